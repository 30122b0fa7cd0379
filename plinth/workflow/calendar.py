"""Business calendars: exact working-time arithmetic over working hours, holidays and DST.

An instant is *working time* when, seen in the calendar's time zone, its local date is a working
date and its wall-clock time lies in one of that date's ``[start, end)`` intervals. Wall times
skipped by a spring-forward change therefore contribute nothing, and a wall hour repeated by a
fall-back change counts twice when it lies inside working hours.

Internally instants are integer microseconds since the Unix epoch (UTC). The time line is cut into
UTC days; for each day the working spans are computed once, exactly, from the stretches of
constant UTC offset within it (on which wall time is simply ``instant + offset``), and cached.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

MAX_HORIZON_DAYS = 366 * 5

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SECOND = 1_000_000
_MINUTE = 60 * _SECOND
_DAY = 86_400 * _SECOND
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_ONE_US = dt.timedelta(microseconds=1)
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")
_DURATION = re.compile(r"(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")

Spans = tuple[tuple[int, int], ...]


class CalendarError(ValueError):
    """A calendar document is unusable, or a calculation found no working time."""


class BusinessCalendar:
    """Working hours per weekday, holidays and extra working days in one time zone."""

    def __init__(
        self,
        name: str,
        zone: zoneinfo.ZoneInfo,
        weekly: tuple[Spans, ...],
        holidays: tuple[tuple[dt.date, dt.date], ...] = (),
        extra_working_days: frozenset[dt.date] = frozenset(),
    ):
        self.name = name
        self.zone = zone
        self._weekly = weekly
        self._holidays = holidays
        self._extra_days = extra_working_days
        self._extra_hours = next((spans for spans in weekly if spans), ())
        self._local_days: dict[int, Spans] = {}
        self._utc_days: dict[int, tuple[Spans, int]] = {}

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.name!r}, {self.zone.key!r})"

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> BusinessCalendar:
        """Build a calendar from a ``calendars`` metadata document; CalendarError if invalid."""
        try:
            zone = zoneinfo.ZoneInfo(doc.get("time_zone"))  # type: ignore[arg-type]  # None: TypeError
        except (zoneinfo.ZoneInfoNotFoundError, TypeError, ValueError):
            raise CalendarError(f"unknown time zone {doc.get('time_zone')!r}") from None
        hours = doc.get("hours") or {}
        unknown = set(hours) - set(WEEKDAYS)
        if unknown:
            raise CalendarError(f"unknown weekdays {sorted(unknown)}")
        return cls(
            name=doc.get("name", ""),
            zone=zone,
            weekly=tuple(_parse_spans(day, hours.get(day) or ()) for day in WEEKDAYS),
            holidays=tuple(_parse_holiday(item) for item in doc.get("holidays") or ()),
            extra_working_days=frozenset(
                _parse_date(value) for value in doc.get("extra_working_days") or ()
            ),
        )

    def is_working(self, instant: dt.datetime) -> bool:
        """Whether ``instant`` is working time."""
        local = _require_aware(instant).astimezone(self.zone)
        wall = (local.hour * 3600 + local.minute * 60 + local.second) * _SECOND + local.microsecond
        day = local.toordinal() - _EPOCH_ORDINAL
        return any(start <= wall < end for start, end in self._local_day(day))

    def intervals(
        self, start: dt.datetime, end: dt.datetime
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working intervals within ``[start, end)`` in UTC, sorted, with touching ones merged."""
        for low, high in self._spans(_to_us(start), _to_us(end)):
            yield _from_us(low), _from_us(high)

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time in ``[start, end)``; zero when ``end <= start``."""
        low, high = _to_us(start), _to_us(end)
        total = 0
        for day in range(low // _DAY, -(-high // _DAY)):
            spans, day_total = self._utc_day(day)
            if low <= day * _DAY and (day + 1) * _DAY <= high:
                total += day_total
            else:
                total += sum(max(0, min(e, high) - max(s, low)) for s, e in spans)
        return dt.timedelta(microseconds=total)

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The earliest instant ``t >= start`` with ``between(start, t) == duration``.

        A zero duration gives ``start`` itself, even outside working time. Raises CalendarError
        when the duration is not covered within MAX_HORIZON_DAYS days.
        """
        low = _to_us(start)
        if duration < dt.timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        remaining = duration // _ONE_US
        if not remaining:
            return _from_us(low)
        first = low // _DAY
        for day in range(first, first + MAX_HORIZON_DAYS + 1):
            spans, day_total = self._utc_day(day)
            if day > first and day_total < remaining:
                remaining -= day_total
                continue
            for span_start, span_end in spans:
                begin = max(span_start, low)
                if span_end - begin >= remaining:
                    return _from_us(begin + remaining)
                remaining -= max(0, span_end - begin)
        raise self._no_working_time(start, duration)

    def next_working(self, instant: dt.datetime) -> dt.datetime:
        """``instant`` itself (in UTC) if it is working time, else the next working instant."""
        low = _to_us(instant)
        span = next(self._spans(low, low + MAX_HORIZON_DAYS * _DAY), None)
        if span is None:
            raise self._no_working_time(instant, None)
        return _from_us(span[0])

    # Working spans -------------------------------------------------------------------------

    def _spans(self, low: int, high: int) -> Iterator[tuple[int, int]]:
        """Working spans clipped to ``[low, high)``, merging those that touch across days."""
        pending = None
        for day in range(low // _DAY, -(-high // _DAY)):
            for start, end in self._utc_day(day)[0]:
                start, end = max(start, low), min(end, high)
                if start >= end:
                    continue
                if pending and pending[1] == start:
                    pending = (pending[0], end)
                    continue
                if pending:
                    yield pending
                pending = (start, end)
        if pending:
            yield pending

    def _utc_day(self, day: int) -> tuple[Spans, int]:
        """The working spans within UTC day number ``day`` and their total, cached."""
        cached = self._utc_days.get(day)
        if cached is None:
            spans = _merge(self._day_spans(day * _DAY, (day + 1) * _DAY))
            cached = self._utc_days[day] = (spans, sum(end - start for start, end in spans))
        return cached

    def _day_spans(self, low: int, high: int) -> Iterator[tuple[int, int]]:
        """Working spans of ``[low, high)`` in order, per stretch of constant UTC offset."""
        for seg_start, seg_end, offset in self._offset_segments(low, high):
            first_day = (seg_start + offset) // _DAY
            last_day = (seg_end - 1 + offset) // _DAY
            for day in range(first_day, last_day + 1):
                base = day * _DAY - offset
                for start, end in self._local_day(day):
                    start, end = max(seg_start, base + start), min(seg_end, base + end)
                    if start < end:
                        yield start, end

    def _offset_segments(self, low: int, high: int) -> Iterator[tuple[int, int, int]]:
        """Split ``[low, high)`` into ``(start, end, utc_offset)`` stretches, to the second."""
        while low < high:
            offset = self._offset(low)
            change = high
            if self._offset(high - _SECOND) != offset:
                before, change = low, high - _SECOND
                while change - before > _SECOND:
                    middle = before + (change - before) // (2 * _SECOND) * _SECOND
                    if self._offset(middle) == offset:
                        before = middle
                    else:
                        change = middle
            yield low, change, offset
            low = change

    def _offset(self, instant: int) -> int:
        offset = _from_us(instant).astimezone(self.zone).utcoffset()
        return cast(dt.timedelta, offset) // _ONE_US  # an aware datetime has an offset

    def _local_day(self, day: int) -> Spans:
        """Working wall-clock spans (microseconds after midnight) of local day number ``day``."""
        spans = self._local_days.get(day)
        if spans is None:
            spans = self._local_days[day] = self._hours_on(
                dt.date.fromordinal(day + _EPOCH_ORDINAL)
            )
        return spans

    def _hours_on(self, date: dt.date) -> Spans:
        if date in self._extra_days:
            return self._extra_hours
        if any(first <= date <= last for first, last in self._holidays):
            return ()
        return self._weekly[date.weekday()]

    def _no_working_time(self, start: dt.datetime, duration: dt.timedelta | None) -> CalendarError:
        wanted = f" to cover {duration}" if duration is not None else ""
        return CalendarError(
            f"no working time within {MAX_HORIZON_DAYS} days after {start.isoformat()}{wanted} "
            f"in calendar {self.name!r}"
        )


@functools.lru_cache(maxsize=256)
def _calendar_from_json(key: str) -> BusinessCalendar:
    return BusinessCalendar.from_document(json.loads(key))


def calendar_for(doc: Mapping[str, Any]) -> BusinessCalendar:
    """A shared, cached BusinessCalendar for a calendar document (keyed by its content)."""
    return _calendar_from_json(json.dumps(doc, sort_keys=True, separators=(",", ":")))


def parse_duration(text: str) -> dt.timedelta:
    """Parse a metadata duration such as ``30m``, ``4h``, ``1h30m``, ``2d4h`` or ``45s``.

    Units must appear in the order d, h, m, s. ``1d`` is 24 hours of *business* time, not one
    working day: ``calendar.add(start, parse_duration("1d"))`` consumes 24 working hours.
    """
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"invalid duration {text!r}; expected e.g. 30m, 4h, 1d or 1h30m")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


# Helpers ------------------------------------------------------------------------------------


def _require_aware(instant: dt.datetime) -> dt.datetime:
    if not isinstance(instant, dt.datetime) or instant.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got {instant!r}")
    return instant


def _to_us(instant: dt.datetime) -> int:
    return (_require_aware(instant) - _EPOCH) // _ONE_US


def _from_us(instant: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=instant)


def _merge(spans: Iterable[tuple[int, int]]) -> Spans:
    """Sort spans and merge those that overlap or touch."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def _parse_time(value: Any) -> int:
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise CalendarError(f"invalid time {value!r}; expected HH:MM")
    return (int(value[:2]) * 60 + int(value[3:])) * _MINUTE


def _parse_spans(day: str, intervals: Iterable[Any]) -> Spans:
    spans = []
    for interval in intervals:
        if not isinstance(interval, list | tuple) or len(interval) != 2:
            raise CalendarError(f"hours.{day}: expected [start, end], got {interval!r}")
        start, end = (_parse_time(value) for value in interval)
        if start >= end:
            raise CalendarError(f"hours.{day}: start must be before end in {interval!r}")
        spans.append((start, end))
    return _merge(spans)


def _parse_date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CalendarError(f"invalid date {value!r}") from None


def _parse_holiday(item: Any) -> tuple[dt.date, dt.date]:
    if isinstance(item, dict):
        first, last = _parse_date(item.get("from")), _parse_date(item.get("to"))
        if first > last:
            raise CalendarError(f"holiday from {first} is after to {last}")
        return first, last
    date = _parse_date(item)
    return date, date
