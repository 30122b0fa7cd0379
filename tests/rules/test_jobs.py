"""Jobs: one run per logical event, retries with back-off, a failed list, lost jobs
recovered, and cron automations enqueued once per tick however many schedulers run."""

import datetime as dt

import pytest
import sqlalchemy as sa

from plinth.bootstrap import build_tenant
from plinth.config import load_config
from plinth.jobs import outbox
from plinth.jobs.scheduler import tick
from plinth.runtime import system_tables as st

T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(tenant):
    now = [T0]
    tenant.clock = lambda: now[0]
    return now


def jobs(tenant):
    with tenant.database.transaction() as conn:
        return [dict(r) for r in conn.execute(sa.select(st.job).order_by(st.job.c.id)).mappings()]


def test_a_key_runs_once_and_work_commits_with_completion(tenant, clock):
    runs = []

    @tenant.jobs.job("test.count")
    def count(job):
        runs.append(job.payload)
        job.session.conn.execute(
            st.setting.insert(), {"key": f"ran:{job.payload}", "value": 1, "updated_at": clock[0]}
        )

    first = tenant.jobs.enqueue_now("test.count", 7, key="event-7")
    again = tenant.jobs.enqueue_now("test.count", 7, key="event-7")
    assert first == again == "test.count:event-7"
    assert runs == [7]  # inline mode: ran right after the commit, once
    assert [(j["status"], j["attempts"]) for j in jobs(tenant)] == [("done", 1)]
    assert tenant.jobs.run(first) is None  # done jobs are not run again


def test_failures_retry_with_backoff_then_land_in_the_failed_list(tenant, clock):
    calls = []

    @tenant.jobs.job("test.flaky", max_attempts=3, backoff=(10, 60))
    def flaky(job):
        calls.append(job.attempt)
        job.session.conn.execute(
            st.setting.insert(), {"key": f"half:{job.attempt}", "value": 1, "updated_at": clock[0]}
        )
        raise ConnectionError("receiver down")

    key = tenant.jobs.enqueue_now("test.flaky", {"x": 1})
    [job] = jobs(tenant)
    assert (job["status"], job["attempts"], job["run_after"]) == (
        "retry",
        1,
        T0 + dt.timedelta(seconds=10),
    )
    assert "ConnectionError: receiver down" in job["last_error"]
    assert tenant.jobs.sweep() == 0  # not due yet
    clock[0] = T0 + dt.timedelta(seconds=11)
    assert tenant.jobs.sweep() == 1
    clock[0] = T0 + dt.timedelta(seconds=100)
    tenant.jobs.sweep()
    [job] = jobs(tenant)
    assert (job["status"], job["attempts"], calls) == ("failed", 3, [1, 2, 3])
    with tenant.database.transaction() as conn:  # a failed attempt's work was rolled back
        assert (
            conn.scalar(
                sa.select(sa.func.count())
                .select_from(st.setting)
                .where(st.setting.c.key.like("half:%"))
            )
            == 0
        )
    with tenant.database.transaction(write=True) as conn:
        assert outbox.requeue(conn, job["id"], clock[0])["status"] == "queued"
    tenant.jobs.run(key)
    assert jobs(tenant)[0]["attempts"] == 4


def test_a_job_whose_worker_died_is_run_again_after_its_lease(tenant, clock):
    done = []
    tenant.jobs.register("test.side_effect", lambda job: done.append(job.attempt))
    with tenant.database.transaction(write=True) as conn:
        outbox.add(conn, "test.side_effect", None, "k1", 5, T0, T0)
        # A worker claims it and dies without finishing:
        assert outbox.claim(conn, "k1", T0, lease_seconds=60)["status"] == "running"
    assert tenant.jobs.sweep() == 0  # still leased
    clock[0] = T0 + dt.timedelta(seconds=61)
    assert tenant.jobs.sweep() == 1
    assert done == [2] and jobs(tenant)[0]["status"] == "done"


def test_unknown_jobs_fail_visibly(tenant, clock):
    with tenant.database.transaction(write=True) as conn:
        outbox.add(conn, "test.nobody", None, "k2", 1, T0, T0)
    assert tenant.jobs.run("k2") == "failed"
    assert "no handler is registered" in jobs(tenant)[0]["last_error"]
    with pytest.raises(ValueError, match="unknown job"):
        tenant.jobs.enqueue_now("test.nobody")
    with pytest.raises(ValueError, match="registered twice"):
        tenant.jobs.register("rules.action", lambda job: None)


def test_cron_automations_are_enqueued_once_per_tick_by_two_schedulers(
    tenant, clock, publish, plinth_settings
):
    publish(
        {"name": "thing", "fields": [{"name": "n", "type": "integer"}]},
        (
            "automations",
            {
                "name": "nightly",
                "trigger": {"type": "scheduled", "cron": "*/5 * * * *"},
                "actions": [{"type": "create_record", "object": "thing", "values": {"n": 1}}],
            },
        ),
    )
    other = build_tenant(load_config(plinth_settings, environ={}))  # a second scheduler process
    other.clock = tenant.clock
    try:
        clock[0] = T0 + dt.timedelta(minutes=1)
        tick(tenant)
        tick(other)
        clock[0] = T0 + dt.timedelta(minutes=11)  # two runs became due: 9:05 and 9:10
        tick(other)
        tick(tenant)
    finally:
        other.dispose()
    runs = [j["key"] for j in jobs(tenant) if j["name"] == "rules.scheduled"]
    assert runs == [
        "rules.scheduled:nightly:2026-11-24T09:05:00+00:00",
        "rules.scheduled:nightly:2026-11-24T09:10:00+00:00",
    ]
    with tenant.session() as s:
        assert s.records.count("thing") == 2


def test_scheduled_automations_over_records_and_periodic_jobs(tenant, clock, publish, records):
    publish(
        {
            "name": "task",
            "fields": [{"name": "late", "type": "boolean"}, {"name": "n", "type": "integer"}],
        },
        (
            "automations",
            {
                "name": "mark",
                "object": "task",
                "trigger": {"type": "scheduled", "cron": "0 * * * *", "filter": {"late": True}},
                "condition": "n > 1",
                "actions": [{"type": "set_fields", "values": {"n": "=n * 10"}}],
            },
        ),
    )
    for late, n in ((True, 1), (True, 2), (False, 3)):
        records("create", "task", {"late": late, "n": n})
    ticks = []
    tenant.jobs.register("test.hourly", lambda job: ticks.append(job.payload["period"]))
    tenant.jobs.every("test.hourly", 3600)
    clock[0] = T0 + dt.timedelta(minutes=59)
    tick(tenant)
    clock[0] = T0 + dt.timedelta(minutes=61)
    tick(tenant)
    tick(tenant)
    assert sorted(r["n"] for r in records("list", "task").data) == [1, 3, 20]
    assert len(ticks) == 2 and ticks[0] + 1 == ticks[1]


def test_with_redis_a_retry_is_scheduled_in_rq_for_when_its_backoff_ends(plinth_settings):
    import uuid

    import time_machine
    from rq import Queue

    from plinth.testing import redis_url, require_redis

    require_redis()
    queue_name = f"test-{uuid.uuid4().hex}"
    settings = {**plinth_settings, "REDIS_URL": redis_url(), "JOB_QUEUE": queue_name}
    tenant = build_tenant(load_config(settings, environ={}))
    try:
        from plinth.runtime import migrate

        migrate.upgrade(tenant.database)
        tenant.jobs.register("test.down", lambda job: 1 / 0, max_attempts=2, backoff=(30,))
        key = tenant.jobs.enqueue_now("test.down")
        queue = Queue(queue_name, connection=tenant.jobs.dispatcher.queue.connection)
        assert queue.count == 1  # pushed after the commit, not run here
        queue.empty()
        failed_at = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)
        with time_machine.travel(failed_at, tick=False):  # the clock stands still
            assert tenant.jobs.run(key) == "retry"
            [scheduled] = queue.scheduled_job_registry.get_job_ids()
            when = queue.scheduled_job_registry.get_scheduled_time(scheduled)
            assert when == failed_at + dt.timedelta(seconds=30)  # its back-off, to the second
            assert tenant.jobs.run(key) is None  # not due yet: a stray early push does nothing
    finally:
        registry = tenant.jobs.dispatcher.queue.scheduled_job_registry
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
        tenant.dispose()


def test_plinth_run_can_tick_the_scheduler_in_a_thread(plinth_settings):
    """The thread ticks on its own; the tenant's clock, moved by the test, says which period
    it is: the job runs once per period however many ticks fall in one."""
    import queue
    import threading

    from plinth.commands.db import start_scheduler_thread
    from plinth.runtime import migrate

    tenant = build_tenant(load_config({**plinth_settings, "SCHEDULER_TICK_SECONDS": 1}, environ={}))
    now = [T0]
    tenant.clock = lambda: now[0]
    stop = threading.Event()
    ran: queue.Queue = queue.Queue()
    thread = None
    try:
        migrate.upgrade(tenant.database)
        tenant.jobs.register("test.tick", lambda job: ran.put(job.payload["period"]))
        tenant.jobs.every("test.tick", seconds=60)
        thread = start_scheduler_thread(tenant, stop)
        first = int(T0.timestamp()) // 60
        assert ran.get(timeout=60) == first  # the guard only fails a scheduler that never ticks
        now[0] = T0 + dt.timedelta(minutes=1)
        assert ran.get(timeout=60) == first + 1  # the next period, once
        stop.set()
        thread.join(60)
        assert not thread.is_alive()
        assert ran.empty()  # no period ran twice, whatever number of ticks there were
    finally:
        stop.set()
        tenant.dispose()


def test_a_long_running_job_holds_no_transaction_and_runs_in_a_background_thread(tenant, clock):
    import threading

    started, release, seen = threading.Event(), threading.Event(), []

    def crunch(job):
        seen.append((job.session, job.tenant is tenant, threading.current_thread().name))
        started.set()
        assert release.wait(10)
        with job.tenant.session() as session:  # its own short transaction for the result
            session.conn.execute(
                st.setting.insert(), {"key": "crunched", "value": 1, "updated_at": clock[0]}
            )

    tenant.jobs.register("test.crunch", crunch, max_attempts=1, long_running=True)
    key = tenant.jobs.enqueue_now("test.crunch", {"n": 1})
    assert started.wait(10)  # enqueue_now returned while the handler still runs
    assert seen == [(None, True, key)]
    with tenant.database.transaction(write=True) as conn:  # nothing holds the write lock
        conn.execute(st.setting.insert(), {"key": "meanwhile", "value": 1, "updated_at": clock[0]})
    assert [j["status"] for j in jobs(tenant)] == ["running"]
    release.set()
    tenant.jobs.dispatcher.wait(10)
    assert [j["status"] for j in jobs(tenant)] == ["done"]
    with tenant.database.transaction() as conn:
        keys = set(conn.execute(sa.select(st.setting.c.key)).scalars())
    assert {"crunched", "meanwhile"} <= keys


def test_a_failing_long_running_job_is_recorded_as_failed(tenant, clock):
    def broken(job):
        raise RuntimeError("solver exploded")

    tenant.jobs.register("test.broken", broken, max_attempts=1, long_running=True)
    tenant.jobs.enqueue_now("test.broken")
    tenant.jobs.dispatcher.wait(10)
    [job] = jobs(tenant)
    assert job["status"] == "failed" and "solver exploded" in job["last_error"]
