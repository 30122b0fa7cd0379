"""Business calendars: worked examples, DST edge cases, and properties checked against a
brute-force oracle that walks the UTC time line minute by minute."""

import datetime as dt
import functools
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from plinth.workflow.calendar import (
    MAX_HORIZON_DAYS,
    BusinessCalendar,
    CalendarError,
    calendar_for,
    parse_duration,
)

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
WORKDAY = [["09:00", "12:00"], ["13:00", "18:00"]]
CN_5X8 = {
    "name": "cn_5x8",
    "time_zone": "Asia/Shanghai",
    "hours": {day: WORKDAY for day in WEEKDAYS[:5]} | {"sat": [], "sun": []},
    "holidays": ["2026-10-01", {"from": "2026-10-02", "to": "2026-10-07", "label": "National Day"}],
    "extra_working_days": ["2026-10-10"],
}


def every_day(*intervals, zone="UTC", **extra):
    return {
        "name": "test",
        "time_zone": zone,
        "hours": dict.fromkeys(WEEKDAYS, list(intervals)),
    } | extra


def at(zone, *args):
    return dt.datetime(*args, tzinfo=zone)


def local_day(zone, year, month, day):
    """The instants starting and ending local date ``year-month-day`` in ``zone``."""
    start = dt.date(year, month, day)
    return at(zone, year, month, day), dt.datetime.combine(
        start + dt.timedelta(days=1), dt.time(), zone
    )


# Worked examples -------------------------------------------------------------------------------


def test_friday_afternoon_plus_four_hours_lands_monday_late_morning():
    cal = calendar_for(CN_5X8)
    due = cal.add(at(SHANGHAI, 2026, 10, 16, 16), 4 * HOUR)
    assert due == at(SHANGHAI, 2026, 10, 19, 11)
    assert due.tzinfo is UTC


def test_lunch_break_is_skipped():
    cal = calendar_for(CN_5X8)
    assert cal.add(at(SHANGHAI, 2026, 10, 19, 11), 2 * HOUR) == at(SHANGHAI, 2026, 10, 19, 14)
    assert not cal.is_working(at(SHANGHAI, 2026, 10, 19, 12, 30))
    assert cal.next_working(at(SHANGHAI, 2026, 10, 19, 12, 30)) == at(SHANGHAI, 2026, 10, 19, 13)


def test_holiday_range_is_skipped():
    cal = calendar_for(CN_5X8)
    # Wed 30 Sep 17:00: one hour that day, then 1-7 Oct are holidays; Thu 8 Oct resumes.
    assert cal.add(at(SHANGHAI, 2026, 9, 30, 17), 2 * HOUR) == at(SHANGHAI, 2026, 10, 8, 10)
    assert cal.between(at(SHANGHAI, 2026, 10, 1), at(SHANGHAI, 2026, 10, 8)) == dt.timedelta(0)


def test_extra_working_saturday_counts_with_the_first_weekdays_hours():
    cal = calendar_for(CN_5X8)
    assert cal.add(at(SHANGHAI, 2026, 10, 9, 17), 2 * HOUR) == at(SHANGHAI, 2026, 10, 10, 10)
    assert cal.between(*local_day(SHANGHAI, 2026, 10, 10)) == 8 * HOUR
    assert cal.between(*local_day(SHANGHAI, 2026, 10, 17)) == dt.timedelta(0)


def test_extra_working_day_wins_over_a_holiday_and_uses_the_first_weekday_with_hours():
    doc = {
        "name": "midweek",
        "time_zone": "UTC",
        "hours": {"wed": [["10:00", "12:00"]], "fri": [["08:00", "18:00"]]},
        "holidays": [{"from": "2026-06-01", "to": "2026-06-30"}],
        "extra_working_days": ["2026-06-14"],  # a Sunday inside the holiday range
    }
    cal = calendar_for(doc)
    assert list(cal.intervals(at(UTC, 2026, 6, 1), at(UTC, 2026, 7, 1))) == [
        (at(UTC, 2026, 6, 14, 10), at(UTC, 2026, 6, 14, 12))
    ]


def test_add_that_uses_up_a_whole_day_ends_that_evening_not_the_next_morning():
    cal = calendar_for(every_day(["09:00", "17:00"]))
    assert cal.add(at(UTC, 2026, 5, 3, 17), 8 * HOUR) == at(UTC, 2026, 5, 4, 17)
    assert cal.add(at(UTC, 2026, 5, 3, 17), 16 * HOUR) == at(UTC, 2026, 5, 5, 17)


def test_end_of_day_2400_and_sub_minute_instants():
    cal = calendar_for(every_day(["20:00", "24:00"]))
    assert cal.is_working(at(UTC, 2026, 5, 4, 23, 59, 59, 999999))
    assert not cal.is_working(at(UTC, 2026, 5, 5, 0, 0))
    assert cal.between(at(UTC, 2026, 5, 4, 22), at(UTC, 2026, 5, 5, 21)) == 3 * HOUR
    assert cal.add(at(UTC, 2026, 5, 4, 22), 3 * HOUR) == at(UTC, 2026, 5, 5, 21)
    assert cal.add(at(UTC, 2026, 5, 4, 23, 59, 30), MINUTE) == at(UTC, 2026, 5, 5, 20, 0, 30)


def test_intervals_touching_at_midnight_are_merged():
    cal = calendar_for(every_day(["00:00", "06:00"], ["20:00", "24:00"]))
    assert list(cal.intervals(at(UTC, 2026, 5, 4, 12), at(UTC, 2026, 5, 6, 3))) == [
        (at(UTC, 2026, 5, 4, 20), at(UTC, 2026, 5, 5, 6)),
        (at(UTC, 2026, 5, 5, 20), at(UTC, 2026, 5, 6, 3)),
    ]


def test_seven_by_twenty_four_is_plain_elapsed_time_even_across_dst():
    cal = calendar_for(every_day(["00:00", "24:00"], zone="Europe/Berlin"))
    start = at(UTC, 2026, 3, 28, 13, 17, 5)
    for hours in (1, 25, 24 * 220):
        end = start + hours * HOUR
        assert cal.add(start, hours * HOUR) == end
        assert cal.between(start, end) == hours * HOUR
        assert list(cal.intervals(start, end)) == [(start, end)]


def test_new_york_spring_forward_loses_the_missing_hour():
    cal = calendar_for(every_day(["01:00", "04:00"], zone="America/New_York"))
    day = local_day(NEW_YORK, 2026, 3, 8)
    assert cal.between(*day) == 2 * HOUR
    # 01:00 EST .. 02:00 EST then 03:00 EDT .. 04:00 EDT: contiguous in UTC.
    assert list(cal.intervals(*day)) == [(at(UTC, 2026, 3, 8, 6), at(UTC, 2026, 3, 8, 8))]


def test_new_york_fall_back_counts_the_repeated_hour_twice():
    cal = calendar_for(every_day(["01:00", "04:00"], zone="America/New_York"))
    day = local_day(NEW_YORK, 2026, 11, 1)
    assert cal.between(*day) == 4 * HOUR
    assert list(cal.intervals(*day)) == [(at(UTC, 2026, 11, 1, 5), at(UTC, 2026, 11, 1, 9))]
    assert cal.add(at(UTC, 2026, 11, 1, 5), 3 * HOUR) == at(UTC, 2026, 11, 1, 8)


def test_interval_inside_the_spring_forward_gap_contributes_nothing():
    cal = calendar_for(every_day(["02:00", "02:30"], zone="America/New_York"))
    assert cal.between(*local_day(NEW_YORK, 2026, 3, 8)) == dt.timedelta(0)
    assert cal.between(*local_day(NEW_YORK, 2026, 3, 9)) == 30 * MINUTE
    assert cal.next_working(at(NEW_YORK, 2026, 3, 8)) == at(NEW_YORK, 2026, 3, 9, 2)


def test_zero_duration_returns_start_even_outside_working_time():
    cal = calendar_for(CN_5X8)
    sunday = at(SHANGHAI, 2026, 10, 18, 3)
    assert cal.add(sunday, dt.timedelta(0)) == sunday
    assert cal.next_working(sunday) == at(SHANGHAI, 2026, 10, 19, 9)
    assert cal.between(sunday, sunday - HOUR) == dt.timedelta(0)


def test_calendar_for_is_cached_by_content():
    reordered = dict(reversed(list(CN_5X8.items())))
    assert calendar_for(CN_5X8) is calendar_for(reordered)
    assert calendar_for(CN_5X8).name == "cn_5x8"
    assert calendar_for(CN_5X8).zone == SHANGHAI


# Bad inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"time_zone": None}, "unknown time zone"),
        ({"hours": {"mon": [["09:00", "25:00"]]}}, "invalid time"),
        ({"hours": {"mon": [["18:00", "09:00"]]}}, "start must be before end"),
        ({"hours": {"mon": [["09:00"]]}}, "expected [start, end]"),
        ({"hours": {"monday": [["09:00", "18:00"]]}}, "unknown weekdays"),
        ({"holidays": ["2026-02-30"]}, "invalid date"),
        ({"holidays": [{"from": "2026-05-02", "to": "2026-05-01"}]}, "after"),
        ({"extra_working_days": ["soon"]}, "invalid date"),
    ],
)
def test_bad_documents_raise_calendar_error(change, message):
    with pytest.raises(CalendarError, match=message.replace("[", r"\[")):
        BusinessCalendar.from_document(CN_5X8 | change)


def test_naive_datetimes_are_rejected():
    cal = calendar_for(CN_5X8)
    naive = dt.datetime(2026, 10, 19, 10)
    aware = at(UTC, 2026, 10, 19, 10)
    calls = [
        lambda: cal.is_working(naive),
        lambda: cal.add(naive, HOUR),
        lambda: cal.between(aware, naive),
        lambda: list(cal.intervals(naive, aware)),
        lambda: cal.next_working(naive),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_negative_duration_is_rejected():
    with pytest.raises(ValueError, match="negative"):
        calendar_for(CN_5X8).add(at(UTC, 2026, 10, 19), -MINUTE)


@pytest.mark.parametrize(
    "doc",
    [
        {"name": "closed", "time_zone": "Europe/Berlin", "hours": {}},
        every_day(["09:00", "17:00"], holidays=[{"from": "2020-01-01", "to": "2039-12-31"}]),
    ],
)
def test_calendar_without_working_time_fails_fast(doc, monkeypatch):
    """It gives up after looking at the horizon's days, each worked out once."""
    cal = BusinessCalendar.from_document(doc)
    looked_at, worked_out = [], []
    utc_day, day_spans = cal._utc_day, cal._day_spans

    def look_at(day):
        looked_at.append(day)
        return utc_day(day)

    def work_out(low, high):
        worked_out.append(low)
        return day_spans(low, high)

    monkeypatch.setattr(cal, "_utc_day", look_at)
    monkeypatch.setattr(cal, "_day_spans", work_out)
    with pytest.raises(CalendarError, match=f"no working time within {MAX_HORIZON_DAYS} days"):
        cal.add(at(UTC, 2026, 1, 1), HOUR)
    assert len(looked_at) == MAX_HORIZON_DAYS + 1  # the day it starts on, then the horizon
    with pytest.raises(CalendarError, match="no working time within"):
        cal.next_working(at(UTC, 2026, 1, 1))
    assert len(looked_at) == 2 * MAX_HORIZON_DAYS + 1  # from midnight: the horizon's days
    assert len(worked_out) == len(set(worked_out)) == MAX_HORIZON_DAYS + 1  # each day once


# parse_duration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("30m", dt.timedelta(minutes=30)),
        ("4h", dt.timedelta(hours=4)),
        ("1d", dt.timedelta(hours=24)),
        ("1h30m", dt.timedelta(hours=1, minutes=30)),
        ("2d4h", dt.timedelta(hours=52)),
        ("45s", dt.timedelta(seconds=45)),
        ("1d2h3m4s", dt.timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("0m", dt.timedelta(0)),
        ("90m", dt.timedelta(minutes=90)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "h", "1", "1x", "30m1h", "1h 30m", "-1h", "1.5h", "1H", None])
def test_parse_duration_rejects_bad_text(text):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


# Properties against a brute-force oracle -------------------------------------------------------

ZONES = [
    "UTC",
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Pacific/Chatham",
]
FIRST = dt.datetime(2020, 1, 1, tzinfo=UTC)
LAST = dt.datetime(2030, 12, 28, tzinfo=UTC)
WINDOW_MINUTES = 3 * 24 * 60


@functools.cache
def offset_changes(zone_name):
    """UTC midnights 2020-2030 right after which the zone's offset has changed (test bias only)."""
    zone = ZoneInfo(zone_name)
    days = [FIRST + dt.timedelta(days=n) for n in range((LAST - FIRST).days)]
    return [
        b
        for a, b in itertools.pairwise(days)
        if a.astimezone(zone).utcoffset() != b.astimezone(zone).utcoffset()
    ]


def hhmm(minutes):
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def instants(draw, zone_name):
    """Minute-aligned instants in 2020-2030, often within a few days of a DST change."""
    changes = offset_changes(zone_name)
    if changes and draw(st.booleans()):
        return draw(st.sampled_from(changes)) + MINUTE * draw(
            st.integers(-WINDOW_MINUTES - 24 * 60, 0)
        )
    return FIRST + MINUTE * draw(st.integers(0, (LAST - FIRST) // MINUTE))


@st.composite
def day_hours(draw):
    cuts = sorted(
        draw(
            st.lists(
                st.one_of(st.integers(0, 24).map(lambda h: h * 60), st.integers(0, 1440)),
                max_size=8,
            )
        )
    )
    return [[hhmm(s), hhmm(e)] for s, e in zip(cuts[::2], cuts[1::2], strict=False) if s < e]


@st.composite
def scenarios(draw):
    """(doc, zone, start): a random calendar with holidays and extra days near ``start``."""
    zone_name = draw(st.sampled_from(ZONES))
    start = draw(instants(zone_name))
    near = start.astimezone(ZoneInfo(zone_name)).date()
    nearby = st.integers(-2, 6).map(lambda n: near + dt.timedelta(days=n))
    hours = {}
    for day in WEEKDAYS:
        intervals = draw(day_hours())
        if intervals or draw(st.booleans()):
            hours[day] = intervals
    holidays = []
    for first in draw(st.lists(nearby, max_size=3)):
        last = first + dt.timedelta(days=draw(st.integers(0, 2)))
        holidays.append(
            first.isoformat()
            if first == last
            else {"from": first.isoformat(), "to": last.isoformat()}
        )
    extra = sorted({day.isoformat() for day in draw(st.lists(nearby, max_size=2))})
    doc = {
        "name": "random",
        "time_zone": zone_name,
        "hours": hours,
        "holidays": holidays,
        "extra_working_days": extra,
    }
    return doc, ZoneInfo(zone_name), start


class Oracle:
    """The working-time contract, applied literally to one minute-aligned instant at a time."""

    def __init__(self, doc, zone):
        self.doc, self.zone = doc, zone
        self.extra = {dt.date.fromisoformat(day) for day in doc["extra_working_days"]}
        self.holidays = set()
        for item in doc["holidays"]:
            first, last = (item, item) if isinstance(item, str) else (item["from"], item["to"])
            day = dt.date.fromisoformat(first)
            while day <= dt.date.fromisoformat(last):
                self.holidays.add(day)
                day += dt.timedelta(days=1)

    def hours_on(self, date):
        hours = self.doc["hours"]
        if date in self.extra:
            return next((hours[day] for day in WEEKDAYS if hours.get(day)), [])
        if date in self.holidays:
            return []
        return hours.get(WEEKDAYS[date.weekday()], [])

    def is_working(self, instant):
        local = instant.astimezone(self.zone)
        wall = hhmm(local.hour * 60 + local.minute)
        return any(start <= wall < end for start, end in self.hours_on(local.date()))

    def working_minutes(self, start, minutes):
        return [n for n in range(minutes) if self.is_working(start + n * MINUTE)]


PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(scenarios(), st.integers(0, WINDOW_MINUTES))
def test_between_matches_the_oracle(scenario, minutes):
    doc, zone, start = scenario
    cal = BusinessCalendar.from_document(doc)
    expected = len(Oracle(doc, zone).working_minutes(start, minutes)) * MINUTE
    assert cal.between(start, start + minutes * MINUTE) == expected


@PROPERTY
@given(scenarios(), st.integers(0, 24 * 60))
def test_is_working_and_next_working_match_the_oracle(scenario, minutes):
    doc, zone, start = scenario
    cal = BusinessCalendar.from_document(doc)
    oracle = Oracle(doc, zone)
    working = oracle.working_minutes(start, minutes)
    assert cal.is_working(start) == oracle.is_working(start)
    assert cal.is_working(start.astimezone(zone)) == oracle.is_working(start)
    try:
        following = cal.next_working(start)
    except CalendarError:
        assert not working
        return
    if working:
        assert following == start + working[0] * MINUTE
    else:
        assert following >= start + minutes * MINUTE


@PROPERTY
@given(scenarios(), st.integers(0, 16 * 60), st.integers(0, 16 * 60))
def test_add_is_the_earliest_instant_covering_the_duration(scenario, minutes, more):
    doc, zone, start = scenario
    assume(sum(len(hours) for hours in doc["hours"].values()) > 0)
    cal = BusinessCalendar.from_document(doc)
    duration = minutes * MINUTE
    try:
        due = cal.add(start, duration)
        later = cal.add(start, duration + more * MINUTE)
    except CalendarError:
        assume(False)
    assert due >= start
    assert cal.between(start, due) == duration
    if minutes:
        assert cal.between(start, due - dt.timedelta(microseconds=1)) < duration
        assert cal.is_working(due - MINUTE)
    assert later >= due


@PROPERTY
@given(scenarios(), st.lists(st.integers(0, WINDOW_MINUTES), min_size=3, max_size=3))
def test_between_is_additive(scenario, offsets):
    doc, _, start = scenario
    cal = BusinessCalendar.from_document(doc)
    a, b, c = (start + n * MINUTE for n in sorted(offsets))
    assert cal.between(a, b) + cal.between(b, c) == cal.between(a, c)


@PROPERTY
@given(scenarios(), st.integers(0, WINDOW_MINUTES))
def test_intervals_are_sorted_disjoint_merged_and_sum_to_between(scenario, minutes):
    doc, _, start = scenario
    cal = BusinessCalendar.from_document(doc)
    end = start + minutes * MINUTE
    intervals = list(cal.intervals(start, end))
    for low, high in intervals:
        assert start <= low < high <= end
        assert low.tzinfo is UTC and high.tzinfo is UTC
    for (_, previous_end), (next_start, _) in itertools.pairwise(intervals):
        assert previous_end < next_start
    assert sum((high - low for low, high in intervals), dt.timedelta(0)) == cal.between(start, end)
