"""A worker killed with SIGKILL in the middle of a job: the job is not lost, and its side
effect happens exactly once. Real Redis, real rq worker processes."""

import os
import signal
import subprocess
import sys
import time
import uuid

import sqlalchemy as sa

from plinth.bootstrap import build_tenant
from plinth.config import load_config
from plinth.jobs.scheduler import tick
from plinth.packs.installer import PackInstaller
from plinth.packs.loader import load_pack
from plinth.packs.plugins import load_plugins
from plinth.runtime import migrate
from plinth.runtime import system_tables as st
from plinth.testing import plinth_command, redis_url, require_redis

JOB_MODULE = r"""
import os, time
from pathlib import Path

def register(context):
    def slow(job):
        marker = Path(job.payload["marker"])
        with marker.open("a") as out:
            out.write(f"started {job.attempt} {os.getpid()}\n")
        job.session.conn.exec_driver_sql(
            "INSERT INTO plinth_setting (key, value, updated_at) VALUES ('effect:' || {attempt}, '1', CURRENT_TIMESTAMP)".format(attempt=job.attempt)
        )
        if job.attempt == 1:
            time.sleep(60)  # killed in here, before the transaction commits
    context.jobs.register("crash.slow", slow)
"""


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(worker: subprocess.Popen) -> None:
    """Stop a worker as a service manager does: SIGTERM (rq's warm shutdown), then, if it
    has not gone within 30 s (a loaded machine: a worker still starting up), SIGKILL."""
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def test_a_killed_worker_loses_nothing_and_repeats_nothing(plinth_settings, tmp_path):
    require_redis()
    pack = tmp_path / "crash_pack"
    (pack / "metadata" / "objects").mkdir(parents=True)
    module = f"crash_jobs_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(JOB_MODULE)
    (pack / "pack.yaml").write_text(
        f"name: crash_pack\nversion: 1.0.0\nmetadata: ['metadata/*/*.yaml']\npython: {module}\n"
    )
    settings = {
        **plinth_settings,
        "REDIS_URL": redis_url(),
        "JOB_QUEUE": f"test-{uuid.uuid4().hex}",
        "JOB_LEASE_SECONDS": 2,
    }
    sys.path.insert(0, str(tmp_path))
    tenant = build_tenant(load_config(settings, environ={}))
    try:
        migrate.upgrade(tenant.database)
        PackInstaller(tenant).install([load_pack(pack)])
        load_plugins(tenant)
        env = {
            **os.environ,
            **{f"PLINTH_{k}": str(v) for k, v in settings.items()},
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        }
        command = plinth_command("worker")

        def start_worker():
            return subprocess.Popen(
                command,
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        marker = tmp_path / "marker.txt"
        tenant.jobs.periodic.clear()  # only the job under test is handed on by the ticks
        worker = start_worker()
        key = tenant.jobs.enqueue_now("crash.slow", {"marker": str(marker)}, key="order-42")
        _wait(lambda: marker.exists() and "started 1" in marker.read_text(), 30, "the job to start")
        # A crash: the worker and its work horse (rq runs it in a session of its own) die
        # with SIGKILL in the middle of the job, before its transaction commits.
        horse = int(marker.read_text().split()[2])
        os.kill(horse, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

        def job():
            with tenant.database.transaction() as conn:
                return conn.execute(sa.select(st.job).where(st.job.c.key == key)).mappings().one()

        def effects():
            with tenant.database.transaction() as conn:
                return conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(st.setting)
                    .where(st.setting.c.key.like("effect:%"))
                )

        assert job()["status"] == "running" and effects() == 0  # rolled back with the kill
        worker = start_worker()
        try:
            time.sleep(2.5)  # the dead worker's lease runs out
            assert tick(tenant)["handed_on"] == 1  # the scheduler finds the lost job
            _wait(lambda: job()["status"] == "done", 30, "the job to be done")
        finally:
            stop(worker)
        assert (job()["attempts"], effects()) == (2, 1)
        assert [line.split()[:2] for line in marker.read_text().splitlines()] == [
            ["started", "1"],
            ["started", "2"],
        ]
        assert tick(tenant)["handed_on"] == 0  # nothing left to run
    finally:
        sys.path.remove(str(tmp_path))
        tenant.dispose()
