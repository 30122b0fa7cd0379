"""The generated demo city: deterministic, and covering every state the product has."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from packs.field_service.demo import backlog as demo_backlog
from packs.field_service.demo.city import ZONE
from packs.field_service.dispatch import optimize
from packs.field_service.dispatch.data import Scope, load_day
from packs.field_service.stock import ledger as stock
from plinth.auth.actor import SYSTEM
from plinth.bootstrap import build_tenant
from plinth.config import load_config
from plinth.packs.demo import load_demo
from plinth.packs.installer import PackInstaller
from plinth.packs.loader import load_pack
from plinth.runtime import migrate
from plinth.runtime.query import ListQuery
from tests.field_service.city import PACK

FIELDS = ["number", "subject", "status", "priority", "channel", "customer"]


def _city(settings) -> tuple[list[tuple], dict]:
    tenant = build_tenant(load_config(settings, environ={}))
    try:
        migrate.upgrade(tenant.database)
        pack = load_pack(PACK)
        PackInstaller(tenant).install([pack])
        assert load_demo(tenant, pack) > 100
        with tenant.session(SYSTEM) as s:
            orders = s.records.list(
                "work_order", ListQuery(sort=["number"], limit=1000, fields=FIELDS)
            )
            counts = {
                name: s.records.count(name, ListQuery())
                for name in (
                    "field_task",
                    "check_in",
                    "location_ping",
                    "track",
                    "expense",
                    "part_movement",
                    "service_resource",
                )
            }
            assert stock.reconcile(s) == []
            counts["backlog"], handled = _optimise_next_day(tenant, s)
            assert handled == counts["backlog"]
        rows = [tuple(r[f] for f in FIELDS) for r in orders.data]
        return rows, counts
    finally:
        tenant.dispose()


def _optimise_next_day(tenant, session) -> tuple[int, int]:
    """The backlog of the next working day goes through the dispatch optimiser."""
    day = demo_backlog.next_working_day(tenant.clock(), ZoneInfo(ZONE))
    loaded = load_day(session, Scope(day), tenant.clock())
    totals = optimize(loaded.problem, 1).totals()
    return len(loaded.movable), totals["tasks_placed"] + totals["tasks_unplaced"]


@pytest.mark.sqlite_only
def test_the_demo_city_is_the_same_every_time_and_covers_every_state(backend, tmp_path):
    settings = {
        "INSTANCE_DIR": str(tmp_path / "a"),
        "DEMO_SCALE": 0.05,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
    }
    first, counts = _city(settings)
    second, again = _city(
        {
            **settings,
            "INSTANCE_DIR": str(tmp_path / "b"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}",
        }
    )
    assert first == second and counts == again
    states = {row[2] for row in first}
    assert states == {
        "new",
        "remote",
        "cancelled",
        "dispatched",
        "accepted",
        "en_route",
        "arrived",
        "in_service",
        "waiting_parts",
        "completed",
        "awaiting_acceptance",
        "closed",
    }
    assert counts["service_resource"] == 4 and counts["track"] > 0 and counts["check_in"] > 0
    assert counts["expense"] > 0 and counts["location_ping"] > counts["track"]
    assert counts["backlog"] == 4  # 80 at full scale
