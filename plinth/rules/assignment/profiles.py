"""From records to what best_match compares: the job (the record being assigned) and one
profile per candidate, reading skills, groups and absences from candidate fields (JSON or
multiselect values) or from related objects (one query each)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from plinth.rules.assignment.candidates import Candidate, related_rows
from plinth.rules.assignment.definitions import AssignmentRule
from plinth.rules.assignment.matching import Job, Profile
from plinth.workflow.calendar import calendar_for

if TYPE_CHECKING:
    from plinth.runtime.session import Session

_T = TypeVar("_T")


def candidate_fields(rule: AssignmentRule) -> set[str]:
    """The candidate fields best_match reads directly."""
    match = rule.match
    names = set()
    for key in ("skills", "group"):
        source = (match.get(key) or {}).get("candidate")
        if isinstance(source, str):
            names.add(source)
    hours = match.get("working_hours") or {}
    for key in ("calendar", "absences"):
        if isinstance(hours.get(key), str):
            names.add(hours[key])
    distance = match.get("distance") or {}
    names.update(distance[k] for k in ("candidate", "fallback") if distance.get(k))
    return names


def build_job(session: Session, rule: AssignmentRule, record: Mapping[str, Any]) -> Job:
    match = rule.match
    job = Job()
    if "skills" in match:
        job.skills = {
            k: v[0] for k, v in skill_map(record.get(match["skills"]["required"]), 0).items()
        }
    if "group" in match:
        value = record.get(match["group"]["record"])
        job.group = None if value in (None, "") else str(value)
        job.group_required = match["group"].get("required", True)
    hours = match.get("working_hours")
    job.start = _when(record, (hours or {}).get("at"), session.tenant.clock())
    if hours:
        job.check_hours = True
        minutes = record.get(hours["duration"]) if hours.get("duration") else None
        if isinstance(minutes, int | float) and minutes > 0:
            job.end = job.start + dt.timedelta(minutes=minutes)
    distance = match.get("distance")
    if distance:
        job.location = record.get(distance["record"])
        job.max_km = distance.get("max_km")
    job.preferred = _ids(record.get(match["preferred"])) if match.get("preferred") else frozenset()
    job.excluded = _ids(record.get(match["excluded"])) if match.get("excluded") else frozenset()
    if match.get("required_candidate"):
        job.required = record.get(match["required_candidate"])
    return job


def _when(record: Mapping[str, Any], at: str | list[str] | None, now: dt.datetime) -> dt.datetime:
    """When the record's work happens: the first of the ``at`` fields that is set (its
    schedule, else its appointment window or earliest start), not before now; now when none
    is. A task created at night for tomorrow's window is judged at the window."""
    names = [at] if isinstance(at, str) else list(at or ())
    for name in names:
        value = record.get(name)
        if isinstance(value, dt.datetime):
            value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            return max(value, now)
    return now


def build_profiles(
    session: Session, rule: AssignmentRule, candidates: list[Candidate]
) -> list[Profile]:
    """One profile per candidate, in the candidates' order (loads are added when ranking)."""
    match = rule.match
    zone = session.tenant.zone
    ids = [c.id for c in candidates]
    profiles = {c.id: Profile(c.id) for c in candidates}
    by_id = {c.id: c for c in candidates}

    def each_source(
        source: Any, convert: Callable[[Any, Mapping[str, Any] | None], _T]
    ) -> Iterator[tuple[Profile, _T]]:
        if isinstance(source, Mapping):
            rows = related_rows(session, dict(source), ids)
            for candidate_id, items in rows.items():
                if candidate_id in profiles:
                    yield profiles[candidate_id], convert(items, source)
        else:
            for candidate_id, profile in profiles.items():
                yield profile, convert(by_id[candidate_id].record.get(source), None)

    if "skills" in match:
        for profile, skills in each_source(match["skills"]["candidate"], _skills_of):
            profile.skills = skills
    if "group" in match:
        for profile, groups in each_source(match["group"]["candidate"], _groups_of):
            profile.groups = groups
    hours = match.get("working_hours") or {}
    if hours:
        docs = session.compiled.docs("calendars")
        calendars = {name: calendar_for(doc) for name, doc in docs.items()}
        default = calendars.get(hours.get("default_calendar"))  # type: ignore[arg-type]
        for profile in profiles.values():
            record = by_id[profile.id].record
            name = record.get(hours["calendar"]) if hours.get("calendar") else None
            profile.calendar = (calendars.get(name) if isinstance(name, str) else None) or default
        if hours.get("absences"):
            for profile, absences in each_source(
                hours["absences"], lambda v, spec: _absences_of(v, spec, zone)
            ):
                profile.absences = absences
    distance = match.get("distance") or {}
    if distance:
        for profile in profiles.values():
            record = by_id[profile.id].record
            profile.location = record.get(distance["candidate"]) or (
                record.get(distance["fallback"]) if distance.get("fallback") else None
            )
    return list(profiles.values())


# ---- value normalisers ---------------------------------------------------------------------
def skill_map(value: Any, default_level: float) -> dict[str, tuple[float, float]]:
    """Skills as ``{skill: (level, efficiency)}`` from ``{"hvac": 3}``, ``["hvac", ..]`` or
    ``[{"skill": "hvac", "level": 3, "efficiency": 1.2}, ..]``."""
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {str(k): _level(v, default_level) for k, v in value.items()}
    result = {}
    for item in value if isinstance(value, list | tuple) else [value]:
        if isinstance(item, Mapping):
            key = item.get("skill", item.get("name"))
            if key is not None:
                result[str(key)] = _level(item, default_level)
        elif item is not None:
            result[str(item)] = (float(default_level), 1.0)
    return result


def _level(value: Any, default_level: float) -> tuple[float, float]:
    if isinstance(value, Mapping):
        level = value.get("level", value.get("min_level", default_level))
        efficiency = value.get("efficiency", 1.0)
        return _number(level, default_level), _number(efficiency, 1.0)
    return _number(value, default_level), 1.0


def _number(value: Any, default: float) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    )


def _skills_of(value: Any, spec: Mapping[str, Any] | None) -> dict[str, tuple[float, float]]:
    if spec is None:
        return skill_map(value, 1)
    return {
        str(row[spec["key"]]): (
            _number(row.get(spec.get("level")), 1.0),
            _number(row.get(spec.get("efficiency")), 1.0),
        )
        for row in value
        if row.get(spec.get("key")) is not None
    }


def _groups_of(
    value: Any, spec: Mapping[str, Any] | None
) -> list[tuple[str, dt.date | None, dt.date | None]]:
    if spec is not None:
        value = [
            {
                "group": row.get(spec["key"]),
                "from": row.get(spec.get("from")),
                "to": row.get(spec.get("to")),
            }
            for row in value
        ]
    result = []
    for item in value or ():
        if isinstance(item, Mapping):
            if item.get("group") is not None:
                result.append((str(item["group"]), _date(item.get("from")), _date(item.get("to"))))
        elif item is not None:
            result.append((str(item), None, None))
    return result


def _absences_of(
    value: Any, spec: Mapping[str, Any] | None, zone: dt.tzinfo
) -> list[tuple[dt.datetime, dt.datetime]]:
    if spec is not None:
        value = [
            {"from": row.get(spec.get("from")), "to": row.get(spec.get("to"))} for row in value
        ]
    result = []
    for item in value or ():
        if isinstance(item, Mapping):
            start, end = _instant(item.get("from"), zone), _instant(item.get("to"), zone, end=True)
            if start is not None and end is not None:
                result.append((start, end))
    return result


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _instant(value: Any, zone: dt.tzinfo, end: bool = False) -> dt.datetime | None:
    """A datetime as is (naive ones in ``zone``); a date as its start (or, for ``end``, the
    start of the next day) in ``zone``."""
    if isinstance(value, str):
        try:
            value = (
                dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
            )
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, dt.date):
        day = value + dt.timedelta(days=1) if end else value
        return dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return None


def _ids(value: Any) -> frozenset[int]:
    """Record ids held by a lookup or a JSON list; anything that is not an id (a JSON field
    may hold junk such as ``[{}]``) names no candidate."""
    items = value if isinstance(value, list | tuple | set | frozenset) else [value]
    return frozenset(v for v in items if isinstance(v, int) and not isinstance(v, bool))
