"""API throughput and latency over HTTP: Plinth vs a hand-written Flask + SQLAlchemy app.

Both are served by gunicorn (sync workers) against identical tables in the same database,
in the same run; load comes from separate processes (benchmarks/api_load.py), each request
on a new connection with a bearer token. Prints requests/s and p50/p95 per operation and
the ratio Plinth / baseline (latency: higher is worse; throughput: lower is worse), and the
processor time the server's workers spent per request (from /proc, Linux only): on a small
machine where clients, servers and the database share the cores, throughput and latency
move with whatever else runs, while a worker's own time per request is what the server
costs and holds steady from run to run.

    .venv/bin/python benchmarks/api.py                    # PostgreSQL (default)
    .venv/bin/python benchmarks/api.py --database sqlite --seconds 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import ITEM, POSTGRES_URL, STATUSES  # noqa: E402
from plinth.auth.tokens import create_token  # noqa: E402
from plinth.auth.users import create_user  # noqa: E402
from plinth.bootstrap import build_tenant  # noqa: E402
from plinth.config import load_config  # noqa: E402
from plinth.metadata.publisher import Publisher, Put  # noqa: E402
from plinth.runtime import migrate  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env: dict[str, str], rows: int) -> str:
    """Tables, seed rows in both, an admin and a token; returns the token."""
    tenant = build_tenant(
        load_config(
            {k.removeprefix("PLINTH_"): v for k, v in env.items() if k.startswith("PLINTH_")},
            environ={},
        )
    )
    migrate.upgrade(tenant.database)
    Publisher(tenant).publish([Put("objects", ITEM)])
    with tenant.session() as s:
        source = s.compiled.object("bench_item").table
    metadata = sa.MetaData()
    baseline = source.to_metadata(metadata, name="baseline_item")
    for index in baseline.indexes:
        index.name = index.name.replace("obj_bench_item", "baseline_item")
    now = dt.datetime.now(dt.UTC)
    seed = [
        {
            "title": f"Seed {i}",
            "status": STATUSES[i % 5],
            "priority": i % 10,
            "amount": 10,
            "created_at": now - dt.timedelta(seconds=i),
            "updated_at": now,
            "version": 1,
        }
        for i in range(rows)
    ]
    with tenant.database.transaction(write=True) as conn:
        baseline.create(conn)
        conn.execute(source.insert(), seed)
        conn.execute(baseline.insert(), seed)
        user = create_user(conn, "bench@example.com", "bench-password", roles=["admin"])
        token, _ = create_token(conn, user["id"], "bench")
    tenant.dispose()
    return token


def serve(app: str, port: int, env: dict[str, str], workers: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return process
        except OSError as exc:
            if getattr(exc, "code", None) == 404:  # the baseline has no health endpoint
                return process
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{app} did not start")


def load(base: str, token: str, op: str, seconds: float, concurrency: int, paths: dict) -> dict:
    command = [
        sys.executable,
        str(ROOT / "benchmarks/api_load.py"),
        "--base",
        base,
        "--token",
        token,
        "--op",
        op,
        "--seconds",
        str(seconds),
        "--concurrency",
        str(concurrency),
        "--max-id",
        "1000",
        *[x for k, v in paths.items() for x in (f"--{k}-path", v)],
    ]
    return json.loads(subprocess.run(command, capture_output=True, check=True, text=True).stdout)


def worker_cpu_seconds(server: subprocess.Popen) -> float | None:
    """Processor time (user + system) of a gunicorn master's workers so far; None where
    /proc cannot tell (not Linux)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    try:
        pids = children.read_text().split()
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    except OSError:
        return None
    return total / os.sysconf("SC_CLK_TCK")


def measured_load(server: subprocess.Popen, base: str, token: str, op: str, args, paths) -> dict:
    """One load run, with the workers' processor time per request (ms) added as ``cpu``."""
    before = worker_cpu_seconds(server)
    result = load(base, token, op, args.seconds, args.concurrency, paths)
    after = worker_cpu_seconds(server)
    known = before is not None and after is not None and result["requests"]
    result["cpu"] = (after - before) * 1000 / result["requests"] if known else float("nan")
    return result


def _median_run(runs: list[dict]) -> dict:
    """Per measure, the median over the rounds."""
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="plinth-api-bench-")
    schema = f"apibench_{uuid.uuid4().hex[:8]}"
    env = {"PLINTH_INSTANCE_DIR": tmp, "PLINTH_SECRET_KEY": "bench", "PLINTH_LOG_LEVEL": "WARNING"}
    if args.database == "postgresql":
        env.update(PLINTH_DATABASE_URL=args.postgres_url, PLINTH_DATABASE_SCHEMA=schema)
    else:
        env["PLINTH_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
    token = prepare(env, args.rows)
    plinth_port, baseline_port = free_port(), free_port()
    plinth_server = serve("plinth.app:create_app()", plinth_port, env, args.workers)
    baseline_server = serve(
        "benchmarks.api_baseline:create_app()", baseline_port, env, args.workers
    )
    servers = [plinth_server, baseline_server]
    targets = {
        "baseline": (
            baseline_server,
            f"http://127.0.0.1:{baseline_port}",
            {"create": "/items", "get": "/items/{id}", "list": "/items?status={status}&limit=50"},
        ),
        "plinth": (
            plinth_server,
            f"http://127.0.0.1:{plinth_port}",
            {
                "create": "/api/v1/records/bench_item",
                "get": "/api/v1/records/bench_item/{id}",
                "list": "/api/v1/records/bench_item?status={status}&sort=-created_at&limit=50",
            },
        ),
    }
    try:
        print(
            f"\n## {args.database}: gunicorn {args.workers} sync workers each, "
            f"{args.concurrency} client processes, "
            f"median of {args.rounds} x {args.seconds:.0f}s runs\n"
        )
        print(
            f"{'operation':<10} {'server':<9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'errors':>7} {'p50 ratio':>10} {'req/s ratio':>12} {'cpu ms/req':>11} "
            f"{'cpu ratio':>10}"
        )
        for op in ("create", "get", "list"):
            runs: dict[str, list[dict]] = {"baseline": [], "plinth": []}
            for name in ("baseline", "plinth"):
                _, base, paths = targets[name]
                load(base, token, op, 1, args.concurrency, paths)  # warm-up
            for _ in range(args.rounds):  # alternate, so drift hits both alike
                for name in ("baseline", "plinth"):
                    server, base, paths = targets[name]
                    runs[name].append(measured_load(server, base, token, op, args, paths))
            results = {name: _median_run(values) for name, values in runs.items()}
            for name in ("baseline", "plinth"):
                r, b = results[name], results["baseline"]
                print(
                    f"{op:<10} {name:<9} {r['rps']:8.0f} {r['p50']:8.2f} {r['p95']:8.2f} "
                    f"{r['errors']:7d} {r['p50'] / b['p50']:9.2f}x {b['rps'] / r['rps']:11.2f}x "
                    f"{r['cpu']:11.2f} {r['cpu'] / b['cpu']:9.2f}x"
                )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        if args.database == "postgresql":
            engine = sa.create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            engine.dispose()


if __name__ == "__main__":
    main()
