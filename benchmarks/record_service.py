"""Record service overhead against hand-written SQLAlchemy Core, and list latency at scale.

For each operation the record service and a hand-written Core baseline run against
identical tables in the same database, in the same run, each call in its own transaction
(as one request would). Two service figures are printed: the call inside a session whose
metadata check is done ("service"), and a whole new session per call, which adds the
per-request revision check ("service+check").

Then, on PostgreSQL, list latency for an indexed filter with keyset pagination at 100k and
1M rows: first pages and pages deep inside the result, through the record service.

    .venv/bin/python benchmarks/record_service.py                 # SQLite and PostgreSQL
    .venv/bin/python benchmarks/record_service.py --backend sqlite --scale 0
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ITEM, POSTGRES_URL, STATUSES  # noqa: E402
from plinth.auth.actor import SYSTEM  # noqa: E402
from plinth.bootstrap import build_tenant
from plinth.config import load_config  # noqa: E402
from plinth.metadata.publisher import Publisher, Put  # noqa: E402
from plinth.runtime import migrate  # noqa: E402
from plinth.runtime.keyset import encode_cursor  # noqa: E402
from plinth.runtime.query import Filter, ListQuery, QueryCompiler  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def timed(function, iterations: int) -> list[float]:
    """Milliseconds per call."""
    samples = []
    for i in range(iterations):
        start = time.perf_counter()
        function(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


class Bench:
    def __init__(self, url: str, schema: str | None, instance: Path):
        settings = {"DATABASE_URL": url, "INSTANCE_DIR": str(instance), "SECRET_KEY": "bench"}
        if schema:
            settings["DATABASE_SCHEMA"] = schema
        self.tenant = build_tenant(load_config(settings, environ={}))
        migrate.upgrade(self.tenant.database)
        Publisher(self.tenant).publish([Put("objects", ITEM)])
        with self.tenant.session() as session:
            self.model = session.compiled.object("bench_item")
        self.baseline = self._baseline_table(self.model.table)
        self.rng = random.Random(42)
        self._prepare_baseline()

    def _baseline_table(self, table: sa.Table) -> sa.Table:
        """An identical table (same columns and indexes) for the hand-written code."""
        metadata = sa.MetaData()
        sa.Table("plinth_user", metadata, sa.Column("id", sa.BigInteger, primary_key=True))
        copy = table.to_metadata(metadata, name="baseline_item")
        for index in list(copy.indexes):
            index.name = index.name.replace("obj_bench_item", "baseline_item")
        with self.tenant.database.transaction(write=True) as conn:
            copy.create(conn)
        return copy

    def values(self, i: int) -> dict:
        return {
            "title": f"Item {i} {self.rng.random():.6f}",
            "status": STATUSES[i % len(STATUSES)],
            "priority": i % 10,
            "amount": f"{self.rng.randint(0, 99999)}.{i % 100:02d}",
            "due": dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i),
        }

    # ---- baseline: competent hand-written SQLAlchemy Core, statements prepared once -------
    def _prepare_baseline(self) -> None:
        table = self.baseline
        self.b_insert = table.insert().returning(*table.c)
        self.b_get = sa.select(table).where(table.c.id == sa.bindparam("_id"))
        self.b_lock = self.b_get.with_for_update()
        self.b_update = (
            table.update()
            .where(table.c.id == sa.bindparam("_id"), table.c.version == sa.bindparam("_v"))
            .values(
                title=sa.bindparam("title"),
                version=sa.bindparam("version"),
                updated_at=sa.bindparam("updated_at"),
            )
            .returning(*table.c)
        )
        self.b_list = (
            sa.select(table)
            .where(table.c.status == sa.bindparam("status"))
            .order_by(table.c.created_at.desc(), table.c.id.desc())
            .limit(51)
        )

    def core_create(self, i: int) -> int:
        values = self.values(i)
        values["amount"] = decimal.Decimal(values["amount"])
        now = dt.datetime.now(dt.UTC)
        row = {**values, "created_at": now, "updated_at": now, "version": 1}
        with self.tenant.database.transaction(write=True) as conn:
            return conn.execute(self.b_insert, row).mappings().one()["id"]

    def core_get(self, record_id: int) -> dict:
        with self.tenant.database.transaction() as conn:
            return dict(conn.execute(self.b_get, {"_id": record_id}).mappings().one())

    def core_update(self, record_id: int, i: int) -> dict:
        """Read the row (to validate the merged record), then update it by id and version."""
        with self.tenant.database.transaction(write=True) as conn:
            current = conn.execute(self.b_lock, {"_id": record_id}).mappings().one()
            params = {
                "_id": record_id,
                "_v": current["version"],
                "title": f"Updated {i} {current['version']}",
                "version": current["version"] + 1,
                "updated_at": dt.datetime.now(dt.UTC),
            }
            return dict(conn.execute(self.b_update, params).mappings().one())

    def core_list(self, status: str) -> list[dict]:
        with self.tenant.database.transaction() as conn:
            return [dict(r) for r in conn.execute(self.b_list, {"status": status}).mappings()]

    def service_query(self, status: str, cursor=None) -> ListQuery:
        return ListQuery(
            filters=[Filter("status", "eq", status)], sort=["-created_at"], limit=50, cursor=cursor
        )


OPERATIONS = (
    ("create", "create"),
    ("get", "get"),
    ("update", "update"),
    ("list", "list (filter+sort)"),
)


def compare_operations(bench: Bench, iterations: int) -> list[tuple[str, str, list[float]]]:
    """Core, service (metadata already checked) and service+check, interleaved in blocks."""
    tenant = bench.tenant
    warm = max(50, iterations // 10)
    with tenant.session() as s:  # warm the metadata cache and the statement caches
        service_ids = [s.records.create("bench_item", bench.values(i))["id"] for i in range(warm)]
        compiled = s.compiled
    core_ids = [bench.core_create(i) for i in range(warm)]

    def service(op: str, checked: bool):
        def call(i):
            with tenant.session(SYSTEM, write=op in ("create", "update")) as s:
                if checked:
                    s.__dict__["compiled"] = compiled  # this "request" checked its metadata
                if op == "create":
                    service_ids.append(s.records.create("bench_item", bench.values(i))["id"])
                elif op == "get":
                    s.records.get("bench_item", service_ids[i % len(service_ids)])
                elif op == "update":
                    record_id = service_ids[i % len(service_ids)]
                    s.records.update("bench_item", record_id, {"title": f"Upd {i} {checked}"})
                else:
                    s.records.list("bench_item", bench.service_query(STATUSES[i % 5]))

        return call

    def core(op: str):
        def call(i):
            if op == "create":
                core_ids.append(bench.core_create(i))
            elif op == "get":
                bench.core_get(core_ids[i % len(core_ids)])
            elif op == "update":
                bench.core_update(core_ids[i % len(core_ids)], i)
            else:
                bench.core_list(STATUSES[i % 5])

        return call

    results = []
    for op, label in OPERATIONS:
        variants = {
            "core": core(op),
            "service": service(op, True),
            "service+check": service(op, False),
        }
        samples: dict[str, list[float]] = {name: [] for name in variants}
        block = max(1, iterations // 20)
        for start in range(0, iterations, block):
            for name, function in variants.items():
                samples[name] += timed(lambda i, s=start, f=function: f(s + i), block)
        results.extend((label, name, values) for name, values in samples.items())
    return results


def print_comparison(backend: str, results) -> None:
    print(f"\n## {backend}: record service vs hand-written Core (ms per call)\n")
    print(f"{'operation':<20} {'variant':<14} {'mean':>8} {'p50':>8} {'p95':>8} {'ratio':>7}")
    by_op: dict[str, dict[str, list[float]]] = {}
    for op, variant, samples in results:
        by_op.setdefault(op, {})[variant] = samples
    for op, variants in by_op.items():
        base = statistics.mean(variants["core"])
        for variant in ("core", "service", "service+check"):
            samples = variants[variant]
            mean = statistics.mean(samples)
            print(
                f"{op:<20} {variant:<14} {mean:8.3f} {percentile(samples, 0.5):8.3f} "
                f"{percentile(samples, 0.95):8.3f} {mean / base:6.2f}x"
            )


def scale_test(bench: Bench, rows: int, samples: int) -> None:
    """Fill to ``rows`` records and time first and deep pages of an indexed filter."""
    tenant = bench.tenant
    with tenant.database.transaction() as conn:
        have = conn.scalar(sa.select(sa.func.count()).select_from(bench.model.table))
    missing = rows - have
    if missing > 0:
        started = time.perf_counter()
        with tenant.database.transaction(write=True) as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO obj_bench_item (created_at, updated_at, version, title, status, "
                    "priority, amount, due) SELECT now() - (g || ' seconds')::interval, now(), 1, "
                    "'Item ' || g, (ARRAY['open','assigned','working','done','closed'])[1 + g % 5],"
                    " g % 10, (g % 100000) / 100.0, now() + (g || ' minutes')::interval "
                    "FROM generate_series(1, :n) g"
                ),
                {"n": missing},
            )
            conn.execute(sa.text("ANALYZE obj_bench_item"))
        print(f"  filled {missing:,} rows in {time.perf_counter() - started:.1f}s")
    with tenant.session() as s:
        model = s.compiled.object("bench_item")
        keys = QueryCompiler(model, s.coercion, None).sort_keys(["-created_at"])
        table = model.table
        deep_rows = (
            s.conn.execute(
                sa.select(table.c.id, table.c.created_at)
                .where(table.c.status == "open")
                .order_by(sa.func.random())
                .limit(samples)
            )
            .mappings()
            .all()
        )
    cursors = [encode_cursor(keys, dict(r)) for r in deep_rows]
    first = timed(lambda i: _list(tenant, bench.service_query(STATUSES[i % 5])), samples)
    deep = timed(lambda i: _list(tenant, bench.service_query("open", cursors[i])), samples)
    for label, values in (("first page", first), ("deep page (keyset)", deep)):
        print(
            f"  {rows:>9,} rows  {label:<20} p50 {percentile(values, 0.5):6.2f} ms"
            f"   p95 {percentile(values, 0.95):6.2f} ms   max {max(values):6.2f} ms"
        )


def _list(tenant, query):
    with tenant.session(SYSTEM, write=False) as s:
        page = s.records.list("bench_item", query)
        assert len(page.data) == 50 or page.next_cursor is None  # a full page unless the last
        return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument(
        "--scale", default="100000,1000000", help="PostgreSQL row counts for the list test; 0 skips"
    )
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            schema = None
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/bench.db"
            else:
                url, schema = args.postgres_url, f"bench_{uuid.uuid4().hex[:8]}"
            bench = Bench(url, schema, Path(tmp))
            try:
                print_comparison(backend, compare_operations(bench, args.iterations))
                if backend == "postgresql" and args.scale != "0":
                    print("\n## postgresql: list latency, indexed filter + keyset pagination\n")
                    for rows in sorted(int(n) for n in args.scale.split(",")):
                        scale_test(bench, rows, args.samples)
            finally:
                if schema:
                    with bench.tenant.database.engine.connect() as conn:
                        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
                        conn.commit()
                bench.tenant.dispose()


if __name__ == "__main__":
    main()
