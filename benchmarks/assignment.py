"""best_match over 1,000 candidates: how long one assignment decision takes.

1,000 active engineers (skills with levels, service groups with membership periods, one of
three working-hour calendars, absences, a last known location) and 4,000 open jobs already
assigned (the load). One decision loads the candidates, their load (one grouped query) and
scores them; the table splits the time into loading and scoring and compares it, in the
same run, with

- ``raw fetch``: a hand-written Core query of the same 1,000 candidate rows (the floor of
  any rule that looks at every candidate), and
- ``load_balancing``: the simplest rule over the same candidates (fetch + load count).

Candidate profiles are cached and refreshed row by row: "candidate changed" times decisions
made right after an engineer was edited, "nothing cached" the first decision after a start
or a metadata change (every profile built).

    .venv/bin/python benchmarks/assignment.py                  # SQLite and PostgreSQL
    .venv/bin/python benchmarks/assignment.py --backend sqlite --decisions 50
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import POSTGRES_URL  # noqa: E402
from plinth.auth.actor import SYSTEM  # noqa: E402
from plinth.bootstrap import build_tenant
from plinth.config import load_config  # noqa: E402
from plinth.metadata.publisher import Publisher, Put  # noqa: E402
from plinth.rules.assignment import profile_cache  # noqa: E402
from plinth.rules.assignment.definitions import rule_named  # noqa: E402
from plinth.rules.assignment.methods import decide  # noqa: E402
from plinth.runtime import migrate  # noqa: E402
from plinth.tenant import Tenant  # noqa: E402

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Shanghai
SKILLS = ["hvac", "electrical", "plumbing", "gas", "lift", "network"]
GROUPS = ["north", "south", "east", "west", "centre"]
CALENDARS = {
    name: {
        "name": name,
        "time_zone": "Asia/Shanghai",
        "hours": {d: hours for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
    }
    for name, hours in (
        ("early", [["06:00", "14:00"]]),
        ("day", [["08:00", "12:00"], ["13:00", "17:00"]]),
        ("late", [["12:00", "20:00"]]),
    )
}
ENGINEER = {
    "name": "bench_engineer",
    "fields": [
        {"name": "name", "type": "text"},
        {"name": "active", "type": "boolean", "default": True},
        {"name": "skills", "type": "json"},
        {"name": "groups", "type": "json"},
        {"name": "calendar", "type": "text"},
        {"name": "absences", "type": "json"},
        {"name": "location", "type": "geo"},
    ],
}
JOB = {
    "name": "bench_job",
    "fields": [
        {"name": "title", "type": "text"},
        {"name": "engineer", "type": "lookup", "target": "bench_engineer"},
        {"name": "required_skills", "type": "json"},
        {"name": "group", "type": "text"},
        {"name": "start", "type": "datetime"},
        {"name": "duration", "type": "integer"},
        {"name": "location", "type": "geo"},
    ],
}
CANDIDATES = {"object": "bench_engineer", "filter": {"active": True}}
BEST = {
    "name": "best",
    "object": "bench_job",
    "field": "engineer",
    "when": {"on": "manual"},
    "method": "best_match",
    "candidates": CANDIDATES,
    "match": {
        "skills": {"required": "required_skills", "candidate": "skills"},
        "group": {"record": "group", "candidate": "groups", "required": False},
        "working_hours": {
            "at": "start",
            "duration": "duration",
            "calendar": "calendar",
            "absences": "absences",
        },
        "distance": {"record": "location", "candidate": "location", "max_km": 60},
    },
    "weights": {"skills": 2, "load": 1, "distance": 3, "group": 1},
}
BALANCE = {**BEST, "name": "balance", "method": "load_balancing", "match": {}, "weights": {}}


class MovingClock:
    """The tenant clock: starts at an instant and moves on in real time."""

    def __init__(self, start: dt.datetime):
        self.restart(start)

    def restart(self, start: dt.datetime) -> None:
        self.start, self.ticks = start, time.monotonic()

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self.ticks)


def _point(rng: random.Random) -> dict[str, float]:
    return {"lat": 31.23 + rng.uniform(-0.4, 0.4), "lng": 121.47 + rng.uniform(-0.4, 0.4)}


def populate(tenant: Tenant, candidates: int, open_jobs: int, rng: random.Random) -> None:
    Publisher(tenant).publish(
        [
            Put("objects", ENGINEER),
            Put("objects", JOB),
            *(Put("calendars", c) for c in CALENDARS.values()),
            Put("assignment_rules", BEST),
            Put("assignment_rules", BALANCE),
        ]
    )
    with tenant.session(SYSTEM) as session:
        ids = []
        for i in range(candidates):
            absent = rng.random() < 0.05
            ids.append(
                session.records.create(
                    "bench_engineer",
                    {
                        "name": f"engineer {i}",
                        "skills": [
                            {"skill": s, "level": rng.randint(1, 5), "efficiency": 1.0}
                            for s in rng.sample(SKILLS, 3)
                        ],
                        "groups": [
                            {"group": g, "from": "2026-01-01"} for g in rng.sample(GROUPS, 2)
                        ],
                        "calendar": rng.choice(list(CALENDARS)),
                        "absences": [{"from": "2026-11-23", "to": "2026-11-24"}] if absent else [],
                        "location": _point(rng),
                    },
                )["id"]
            )
        for i in range(open_jobs):
            session.records.create("bench_job", {"title": f"open {i}", "engineer": rng.choice(ids)})


def job_values(rng: random.Random) -> dict:
    return {
        "title": "new",
        "required_skills": [{"skill": rng.choice(SKILLS), "level": rng.randint(1, 3)}],
        "group": rng.choice(GROUPS),
        "start": T0 + dt.timedelta(minutes=rng.randint(0, 300)),
        "duration": 60,
        "location": _point(rng),
    }


def measure(tenant: Tenant, decisions: int, rng: random.Random) -> dict[str, list[float]]:
    keys = ("best", "load", "score", "cold", "first", "balance", "raw")
    samples: dict[str, list[float]] = {k: [] for k in keys}
    with tenant.session(SYSTEM, write=False) as session:
        best = rule_named(session.compiled, "bench_job", "best")
        balance = rule_named(session.compiled, "bench_job", "balance")
        table = session.compiled.object("bench_engineer").table
        raw = sa.select(table).where(table.c.active.is_(True)).order_by(table.c.id)
        for _ in range(3):  # warm caches (calendars, readers, statements)
            decide(session, best, job_values(rng))
        for _ in range(decisions):
            values = job_values(rng)
            started = time.perf_counter()
            decision = decide(session, best, values)
            samples["best"].append((time.perf_counter() - started) * 1000)
            samples["load"].append(decision.detail["milliseconds"]["load"])
            samples["score"].append(decision.detail["milliseconds"]["score"])
            started = time.perf_counter()
            decide(session, balance, values)
            samples["balance"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            rows = session.conn.execute(raw).all()
            samples["raw"].append((time.perf_counter() - started) * 1000)
        assert len(rows) == decision.detail["considered"]
    # Cold: a candidate changed since the last decision, so their profiles are rebuilt.
    engineers = None
    for index in range(max(10, decisions // 10)):
        with tenant.session(SYSTEM) as session:
            if engineers is None:
                engineers = [r.id for r in session.conn.execute(sa.select(table.c.id))]
            changed = engineers[index % len(engineers)]
            session.records.update("bench_engineer", changed, {"name": f"renamed {index}"})
            started = time.perf_counter()
            decide(session, best, job_values(rng))
            samples["cold"].append((time.perf_counter() - started) * 1000)
    # First decisions: nothing cached yet (after a start or a metadata change).
    for _ in range(max(10, decisions // 10)):
        profile_cache._CACHE.clear()
        with tenant.session(SYSTEM, write=False) as session:
            started = time.perf_counter()
            decide(session, best, job_values(rng))
            samples["first"].append((time.perf_counter() - started) * 1000)
    return samples


def report(backend: str, samples: dict[str, list[float]], eligible: int) -> None:
    def p(values, fraction):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    raw = statistics.median(samples["raw"])
    print(
        f"\n## {backend}: one decision over 1,000 candidates ({len(samples['best'])} decisions)\n"
    )
    print(f"{'what':<30} {'p50 ms':>8} {'p95 ms':>8} {'vs raw fetch':>13}")
    rows = [
        ("best_match (total)", samples["best"]),
        ("  loading + load counts", samples["load"]),
        ("  filtering + scoring", samples["score"]),
        ("best_match, candidate changed", samples["cold"]),
        ("best_match, nothing cached", samples["first"]),
        ("load_balancing (total)", samples["balance"]),
        ("raw fetch (baseline)", samples["raw"]),
    ]
    for label, values in rows:
        median = statistics.median(values)
        print(f"{label:<30} {median:8.2f} {p(values, 0.95):8.2f} {median / raw:12.1f}x")
    print(f"\n(last decision: {eligible} of 1,000 candidates eligible)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            settings = {"INSTANCE_DIR": tmp, "SECRET_KEY": "bench"}
            schema = None
            if backend == "sqlite":
                settings["DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
            else:
                schema = f"bench_{uuid.uuid4().hex[:8]}"
                settings.update(DATABASE_URL=args.postgres_url, DATABASE_SCHEMA=schema)
            tenant = build_tenant(load_config(settings, environ={}))
            # The data is a day old; from T0 on, the clock moves as a real one does.
            clock = MovingClock(T0 - dt.timedelta(days=1))
            tenant.clock = clock
            try:
                migrate.upgrade(tenant.database)
                rng = random.Random(7)
                populate(tenant, 1000, 4000, rng)
                clock.restart(T0)
                samples = measure(tenant, args.decisions, rng)
                with tenant.session(SYSTEM, write=False) as session:
                    rule = rule_named(session.compiled, "bench_job", "best")
                    eligible = decide(session, rule, job_values(rng)).detail["eligible"]
                report(backend, samples, eligible)
            finally:
                if schema:
                    with tenant.database.engine.connect() as conn:
                        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
                        conn.commit()
                tenant.dispose()


if __name__ == "__main__":
    main()
