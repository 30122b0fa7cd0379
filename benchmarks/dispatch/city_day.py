"""A field-service day for the dispatch benchmarks, generated from the demo city (seeded).

Engineers and tasks live in the demo city's service groups and real Shanghai districts
(``demo_city.GROUPS``) with its six skills (``demo_city.SKILLS``). Every engineer works the
pack's ``fs_5x8`` calendar on a weekday (09:00-18:00 Asia/Shanghai with a lunch break from
12:00 to 13:00, as the pack's loader reads it), starts and ends at a home base in one of
their group's districts, has 1-3 skills at levels 1-5 and an efficiency of 0.8-1.3. Tasks
are at site-like points in the districts, belong to the district's service group, need one
skill at a level some engineer of that group has, last 30-120 minutes (mostly short), come
in a fixed priority mix, about half with a 2-4 hour appointment window, urgent and some
high ones with a due time.

Calibrated on purpose: the default day is about 215 hours of work (at efficiency 1) plus
35-45 hours of driving against 240 working hours (270 shift hours less lunch), and a skill
at a level is often held by only one or two engineers of a group, so a good plan places
about 80-85% of the tasks, not all. ``team_day`` is a light day of one team instead.

    .venv/bin/python -m benchmarks.dispatch.city_day --engineers 30 --tasks 300   # summary
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import random
from pathlib import Path

import yaml

from packs.field_service.demo.city import GROUPS, SKILLS
from packs.field_service.dispatch.model import Engineer, Problem, SkillNeed, Task
from packs.field_service.dispatch.travel import HaversineTravel
from plinth.workflow.calendar import calendar_for

DAY = dt.date(2026, 11, 25)  # a Wednesday
PACK = Path(__file__).resolve().parents[2] / "packs" / "field_service"
CALENDAR = PACK / "metadata" / "calendars" / "fs_5x8.yaml"
PRIORITY_MIX = {"urgent": 0.10, "high": 0.20, "normal": 0.50, "low": 0.20}
DURATIONS = {30: 55, 45: 22, 60: 12, 90: 7, 120: 4}  # minutes: weight
LEVELS = {1: 50, 2: 30, 3: 15, 4: 5}  # required level: weight (capped by the group)
EFFICIENCIES = (0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3)
WINDOW_SHARE = 0.55  # of non-urgent tasks (urgent ones come as soon as possible): ~50% overall
HIGH_DUE_SHARE = 0.3
HOME_KM, SITE_KM = 3.0, 2.5  # spread around a district centre, as in the demo city
GROUP_CODES = list(GROUPS)
GROUP_IDS = {code: index + 1 for index, code in enumerate(GROUP_CODES)}
DISTRICTS = [(d, centre, code) for code, (_, ds) in GROUPS.items() for d, centre in ds.items()]


def shift(day: dt.date = DAY) -> tuple[dt.datetime, dt.datetime]:
    """The ``fs_5x8`` working day: its first to its last working instant (UTC)."""
    spans = _spans(day)
    return spans[0][0], spans[-1][1]


def lunch(day: dt.date = DAY) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The breaks of the ``fs_5x8`` day: the gaps between its working intervals (12-13)."""
    spans = _spans(day)
    return tuple((a[1], b[0]) for a, b in zip(spans, spans[1:], strict=False) if b[0] > a[1])


def _spans(day: dt.date):
    calendar = _calendar()
    midnight = dt.datetime.combine(day, dt.time(), calendar.zone)
    spans = list(calendar.intervals(midnight, midnight + dt.timedelta(days=1)))
    if not spans:
        raise ValueError(f"{day} is not a working day of fs_5x8")
    return spans


def near(rng: random.Random, centre: tuple[float, float], km: float) -> tuple[float, float]:
    """A point within about ``km`` of a centre (the demo city's spread)."""
    lat = round(centre[0] + rng.uniform(-km, km) / 111.0, 6)
    return lat, round(centre[1] + rng.uniform(-km, km) / 95.0, 6)


def engineers(count: int = 30, seed: int = 1, day: dt.date = DAY) -> list[Engineer]:
    """``count`` engineers, spread over the groups in turn; every skill is someone's first
    skill in every group large enough (each group's first skills cycle through the six)."""
    rng = random.Random(f"engineers-{seed}")
    start, end = shift(day)
    breaks = lunch(day)
    firsts = {code: rng.sample(list(SKILLS), len(SKILLS)) for code in GROUP_CODES}
    out = []
    for index in range(count):
        code = GROUP_CODES[index % len(GROUP_CODES)]
        _, districts = GROUPS[code]
        home = near(rng, rng.choice(list(districts.values())), HOME_KM)
        first = firsts[code][(index // len(GROUP_CODES)) % len(SKILLS)]
        others = [s for s in SKILLS if s != first]
        own = [first, *rng.sample(others, rng.choice((0, 1, 1, 2)))]
        out.append(
            Engineer(
                id=index + 1,
                name=f"E{index + 1:02d}",
                shift_start=start,
                shift_end=end,
                start=home,
                end=home,
                skills={skill: rng.randint(1, 5) for skill in own},
                efficiency=rng.choice(EFFICIENCIES),
                groups=frozenset({GROUP_IDS[code]}),
                breaks=breaks,
            )
        )
    return out


def tasks(
    count: int, fleet: list[Engineer], seed: int = 1, day: dt.date = DAY, first_id: int = 1
) -> list[Task]:
    """``count`` tasks for ``fleet``'s day, ids from ``first_id``."""
    rng = random.Random(f"tasks-{seed}-{first_id}")
    start, _end = shift(day)
    best, holders = _skills_of_groups(fleet)
    priorities = _mix(rng, count)
    out = []
    for number, priority in enumerate(priorities):
        _district, centre, code = rng.choice(DISTRICTS)
        group = GROUP_IDS[code]
        if not best[group]:  # a tiny fleet may leave a group empty: use another district
            group = next(g for g in best if best[g])
            code = GROUP_CODES[group - 1]
            centre = rng.choice(list(GROUPS[code][1].values()))
        skill = _weighted(rng, holders[group])  # demand follows the fleet's skill mix
        level = min(_weighted(rng, LEVELS), best[group][skill])
        task = Task(
            id=first_id + number,
            location=near(rng, centre, SITE_KM),
            duration_minutes=_weighted(rng, DURATIONS),
            priority=priority,
            required_skills=(SkillNeed(skill, level),),
            service_group=group,
            label=f"T{first_id + number}",
        )
        if priority != "urgent" and rng.random() < WINDOW_SHARE:
            hours = rng.choice((2, 3, 4))
            opens = start + dt.timedelta(minutes=30 * rng.randint(0, 2 * (8 - hours)))
            task.window_start, task.window_end = opens, opens + dt.timedelta(hours=hours)
        if priority == "urgent":
            task.due_at = start + dt.timedelta(minutes=30 * rng.randint(6, 12))  # 12:00-15:00
        elif priority == "high" and rng.random() < HIGH_DUE_SHARE:
            task.due_at = start + dt.timedelta(minutes=30 * rng.randint(8, 16))  # 13:00-17:00
        out.append(task)
    return out


def generate(
    engineer_count: int = 30, task_count: int = 300, seed: int = 1, day: dt.date = DAY
) -> Problem:
    """One day: ``engineer_count`` engineers and ``task_count`` tasks, straight-line travel
    at the pack's default speed and detour factor (30 km/h, 1.3)."""
    fleet = engineers(engineer_count, seed, day)
    return Problem(fleet, tasks(task_count, fleet, seed, day), HaversineTravel(30.0, 1.3))


def team_day(engineer_count: int = 6, task_count: int = 42, seed: int = 1, day: dt.date = DAY):
    """A light day of one team: ``engineer_count`` engineers of one service group who can
    all do every task (one skill), and short tasks (30 or 45 minutes), a third with an
    appointment window, homes and sites in the group's first district: the day of issue 20,
    on which the least driving leaves part of the team idle and the rest overloaded."""
    rng = random.Random(f"team-{seed}")
    code = GROUP_CODES[0]
    districts = list(GROUPS[code][1].values())
    start, end = shift(day)
    breaks = lunch(day)
    fleet = [
        Engineer(
            id=k + 1,
            name=f"E{k + 1:02d}",
            shift_start=start,
            shift_end=end,
            start=(home := near(rng, districts[0], HOME_KM)),
            end=home,
            skills={"hvac": 3},
            groups=frozenset({GROUP_IDS[code]}),
            breaks=breaks,
        )
        for k in range(engineer_count)
    ]
    work = []
    for number in range(task_count):
        task = Task(
            id=number + 1,
            location=near(rng, districts[0], SITE_KM),
            duration_minutes=rng.choice((30, 30, 45)),
            priority=rng.choice(("normal", "normal", "high", "low")),
            required_skills=(SkillNeed("hvac", 1),),
            service_group=GROUP_IDS[code],
            label=f"T{number + 1}",
        )
        if rng.random() < 1 / 3:
            opens = start + dt.timedelta(hours=rng.choice((0, 2, 4, 5)))
            task.window_start, task.window_end = opens, opens + dt.timedelta(hours=3)
        work.append(task)
    return Problem(fleet, work, HaversineTravel(30.0, 1.3))


def _calendar():
    return calendar_for(yaml.safe_load(CALENDAR.read_text()))


def _skills_of_groups(fleet: list[Engineer]):
    """Per group and skill: the highest level among its engineers, and how many have it."""
    best: dict[int, dict[str, int]] = {g: {} for g in GROUP_IDS.values()}
    holders: dict[int, dict[str, int]] = {g: {} for g in GROUP_IDS.values()}
    for engineer in fleet:
        for group in engineer.groups:
            for skill, level in sorted(engineer.skills.items()):
                best[group][skill] = max(level, best[group].get(skill, 0))
                holders[group][skill] = holders[group].get(skill, 0) + 1
    return best, holders


def _mix(rng: random.Random, count: int) -> list[str]:
    """Exactly the priority mix (rounded), shuffled."""
    names = list(PRIORITY_MIX)
    counts = {name: round(share * count) for name, share in PRIORITY_MIX.items()}
    counts["normal"] += count - sum(counts.values())
    out = [name for name in names for _ in range(counts[name])]
    rng.shuffle(out)
    return out


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def describe(problem: Problem) -> str:
    """A few lines on the day: fleet, work, windows and the hours it adds up to."""
    fleet, work = problem.engineers, problem.tasks
    hours = sum((e.shift_end - e.shift_start).total_seconds() for e in fleet) / 3600
    working = sum(e.available_seconds() for e in fleet) / 3600
    minutes = sum(t.duration_minutes for t in work)
    priorities = collections.Counter(t.priority for t in work)
    windows = sum(t.window_start is not None for t in work)
    due = sum(t.due_at is not None for t in work)
    zone = _calendar().zone
    spans = sorted({(e.shift_start, e.shift_end) for e in fleet})
    when = ", ".join(
        f"{a.astimezone(zone):%Y-%m-%d %H:%M}-{b.astimezone(zone):%H:%M}" for a, b in spans
    )
    return "\n".join(
        [
            f"{len(fleet)} engineers, {hours:.0f} shift hours, {working:.0f} working hours "
            f"(fs_5x8: {when} {zone}, lunch left out); "
            f"{len(work)} tasks, {minutes / 60:.0f} hours of work at efficiency 1",
            "priorities: " + ", ".join(f"{p} {priorities[p]}" for p in PRIORITY_MIX),
            f"{windows} with appointment windows, {due} with due times, "
            f"{len({s.code for t in work for s in t.required_skills})} skills needed",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engineers", type=int, default=30)
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(describe(generate(args.engineers, args.tasks, args.seed)))


if __name__ == "__main__":
    main()
