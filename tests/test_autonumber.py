"""Autonumbers: patterns, per-period counters and uniqueness under concurrent inserts."""

import datetime as dt
import threading

import pytest

from plinth.auth.actor import SYSTEM
from plinth.runtime.autonumber import render

ORDER = {
    "name": "order",
    "fields": [
        {"name": "number", "type": "autonumber", "pattern": "WO-{YYYY}{MM}-{seq:05}"},
        {"name": "note", "type": "text"},
    ],
}


def test_render_fills_dates_and_pads():
    moment = dt.datetime(2026, 3, 9, 12, 0)
    assert render("WO-{YYYY}{MM}-{seq:05}", moment, 42) == "WO-202603-00042"
    assert render("{YY}{MM}{DD}/{seq}", moment, 7) == "260309/7"
    assert render("WO-{YYYY}{MM}-{seq:05}", moment, None) == "WO-202603-{seq}"
    assert render("N{seq:03}", moment, 123456) == "N123456"  # grows past its padding


def test_numbers_restart_with_each_period(publish, tenant):
    publish(ORDER)
    now = [dt.datetime(2026, 1, 31, 15, 0, tzinfo=dt.UTC)]
    tenant.clock = lambda: now[0]
    with tenant.session() as s:
        first = s.records.create("order", {})["number"]
        second = s.records.create("order", {})["number"]
        now[0] = dt.datetime(2026, 2, 1, 1, 0, tzinfo=dt.UTC)
        third = s.records.create("order", {})["number"]
    assert (first, second, third) == ("WO-202601-00001", "WO-202601-00002", "WO-202602-00001")


def test_a_rolled_back_insert_leaves_a_gap_or_reuses_but_never_duplicates(publish, tenant):
    publish(ORDER)
    with tenant.session() as s:
        s.records.create("order", {})
    with pytest.raises(RuntimeError), tenant.session() as s:
        s.records.create("order", {})
        raise RuntimeError("abandon")
    with tenant.session() as s:
        numbers = [s.records.create("order", {})["number"] for _ in range(2)]
        everything = [r["number"] for r in s.records.list("order").data]
    assert len(set(everything)) == len(everything) == 3
    assert numbers[-1] > everything[0]


def test_concurrent_inserts_get_unique_numbers(publish, tenant):
    publish(ORDER)
    threads, per_thread, errors = 8, 15, []

    def work():
        try:
            for _ in range(per_thread):
                with tenant.session(SYSTEM) as s:
                    s.records.create("order", {"note": threading.current_thread().name})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with tenant.session() as s:
        numbers = [r["number"] for r in s.records.list("order", _all()).data]
    assert len(numbers) == threads * per_thread
    assert len(set(numbers)) == len(numbers)


def _all():
    from plinth.runtime.query import ListQuery

    return ListQuery(limit=1000)
