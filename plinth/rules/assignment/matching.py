"""best_match: hard filters, then a weighted score per eligible candidate (pure, no I/O).

Every component score lies in [0, 1]:

- ``skills``: per required skill, the candidate's level relative to the best level any
  eligible candidate has (times their efficiency, when known), averaged;
- ``load``: ``1 / (1 + open records held)``;
- ``distance``: ``1 - km / max_km`` (or ``1 / (1 + km / 10)`` without a maximum), 0 when
  the candidate's location is unknown;
- ``group``: 1 for a member of the record's service group at the record's time;
- ``preferred``: 1 for a preferred candidate.

The total is the weighted sum; ties go to the lighter load, then the lower id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from plinth.runtime.field_types.geo import distance_km
from plinth.workflow.calendar import BusinessCalendar

COMPONENTS = ("skills", "load", "distance", "group", "preferred")


@dataclasses.dataclass
class Profile:
    """What best_match knows of one candidate."""

    id: int
    skills: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    groups: list[tuple[str, dt.date | None, dt.date | None]] | None = None
    calendar: BusinessCalendar | None = None
    absences: list[tuple[dt.datetime, dt.datetime]] = dataclasses.field(default_factory=list)
    location: dict[str, float] | None = None


@dataclasses.dataclass
class Job:
    """What best_match knows of the record to assign."""

    skills: dict[str, float] = dataclasses.field(default_factory=dict)  # skill -> minimum level
    group: str | None = None
    group_required: bool = True
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    check_hours: bool = False
    location: dict[str, float] | None = None
    max_km: float | None = None
    preferred: frozenset[int] = frozenset()
    excluded: frozenset[int] = frozenset()
    required: Any = None


def exclusion(job: Job, profile: Profile) -> str | None:
    """Why a candidate cannot take the job, or None when it can."""
    if job.required is not None and profile.id != job.required:
        return "not the required candidate"
    if profile.id in job.excluded:
        return "excluded"
    for skill, minimum in job.skills.items():
        level = profile.skills.get(skill)
        if level is None:
            return f"lacks skill {skill}"
        if level[0] < minimum:
            return f"skill {skill} below level {minimum:g}"
    if job.group is not None and job.group_required and not _member(job, profile):
        return "not in the service group"
    if job.check_hours and job.start is not None:
        if profile.calendar is not None and not profile.calendar.is_working(job.start):
            return "off duty"
        end = max(job.end or job.start, job.start + dt.timedelta(seconds=1))
        if any(begin < end and job.start < finish for begin, finish in profile.absences):
            return "absent"
    if job.max_km is not None and job.location is not None:
        km = distance_km(job.location, profile.location)
        if km is None:
            return "location unknown"
        if km > job.max_km:
            return "too far"
    return None


def rank(
    job: Job, profiles: list[Profile], weights: dict[str, float], loads: dict[int, int]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Eligible candidates best first, each ``{"id", "score", "load", "components", "km"}``,
    and how many candidates each exclusion reason removed; ``loads`` maps candidate ids to
    the open records they hold."""
    excluded: dict[str, int] = {}
    eligible = []
    for profile in profiles:
        reason = exclusion(job, profile)
        if reason is None:
            eligible.append(profile)
        else:
            excluded[reason] = excluded.get(reason, 0) + 1
    best_levels = {
        skill: max((_skill_value(p, skill) for p in eligible), default=0.0) for skill in job.skills
    }
    scored: list[dict[str, Any]] = []
    for profile in eligible:
        km = distance_km(job.location, profile.location) if job.location else None
        components = {
            "skills": _skill_score(job, profile, best_levels),
            "load": 1.0 / (1 + loads.get(profile.id, 0)),
            "distance": _distance_score(job, km),
            "group": 1.0 if job.group is not None and _member(job, profile) else 0.0,
            "preferred": 1.0 if profile.id in job.preferred else 0.0,
        }
        total = sum(weights.get(k, 0.0) * v for k, v in components.items())
        scored.append(
            {
                "id": profile.id,
                "score": round(total, 6),
                "load": loads.get(profile.id, 0),
                "km": None if km is None else round(km, 3),
                "components": {k: round(v, 6) for k, v in components.items()},
            }
        )
    scored.sort(key=lambda s: (-s["score"], s["load"], s["id"]))
    return scored, excluded


def _member(job: Job, profile: Profile) -> bool:
    if profile.groups is None:
        return False
    day = (job.start or dt.datetime.now(dt.UTC)).date()
    return any(
        group == job.group and (start is None or start <= day) and (end is None or day <= end)
        for group, start, end in profile.groups
    )


def _skill_value(profile: Profile, skill: str) -> float:
    level, efficiency = profile.skills.get(skill, (0.0, 1.0))
    return level * efficiency


def _skill_score(job: Job, profile: Profile, best: dict[str, float]) -> float:
    if not job.skills:
        return 1.0
    parts = [
        _skill_value(profile, skill) / best[skill] if best[skill] > 0 else 1.0
        for skill in job.skills
    ]
    return sum(parts) / len(parts)


def _distance_score(job: Job, km: float | None) -> float:
    if job.location is None:
        return 1.0
    if km is None:
        return 0.0
    if job.max_km is not None:
        return max(0.0, 1.0 - km / job.max_km)
    return 1.0 / (1.0 + km / 10.0)
