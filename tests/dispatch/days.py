"""Small hand-made dispatch problems (no database): a day in Shanghai from 09:00 local."""

from __future__ import annotations

import datetime as dt

from packs.field_service.dispatch import Engineer, HaversineTravel, Problem, Task
from packs.field_service.dispatch.model import SkillNeed

__all__ = ["HQ", "START", "HaversineTravel", "Problem", "at", "engineer", "north", "task"]

START = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
HQ = (31.2304, 121.4737)


def at(hours: float) -> dt.datetime:
    return START + dt.timedelta(hours=hours)


def north(km: float, east_km: float = 0.0) -> tuple[float, float]:
    return (HQ[0] + km / 111.2, HQ[1] + east_km / 95.0)


def engineer(id: int, home=HQ, hours: float = 9, **values) -> Engineer:
    values.setdefault("skills", {"hvac": 3})
    return Engineer(id, f"engineer {id}", START, at(hours), home, home, **values)


def task(id: int, place, minutes: int = 60, skill: str | None = "hvac", level: int = 1, **values):
    needs = (SkillNeed(skill, level),) if skill else ()
    return Task(id, place, minutes, required_skills=needs, **values)
