"""With Redis, the optimisation runs in an rq worker process: the request only queues it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid
from zoneinfo import ZoneInfo

import pytest

from plinth.testing import plinth_command, redis_url, require_redis
from tests.field_service.test_dispatch_api import near

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the engineers' calendar (fs_7x24) is in Shanghai


@pytest.fixture
def plinth_settings(plinth_settings):
    require_redis()
    return {**plinth_settings, "REDIS_URL": redis_url(), "JOB_QUEUE": f"test-{uuid.uuid4().hex}"}


def test_an_rq_worker_solves_the_proposal_the_api_queued(city, plinth_settings):
    # The worker runs on the real (or --fake-now) clock: plan tomorrow, a whole free day.
    day = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).date().isoformat()
    for k in range(1, 4):
        city.create(
            "field_task",
            {
                "description": "Service the chiller",
                "location": near(0.003 * k),
                "required_skills": [{"skill": "hvac", "level": 1}],
            },
        )
    reply = city.dispatcher.post("/api/v1/dispatch/optimize", json={"date": day, "seconds": 1})
    assert reply.status == 202
    url = reply.json["url"]
    assert city.dispatcher.get(url).json["status"] == "queued"  # nothing ran in this process
    env = {**os.environ, **{f"PLINTH_{k}": str(v) for k, v in plinth_settings.items()}}
    worker = subprocess.run(
        plinth_command("worker", "--burst"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    proposal = city.dispatcher.get(url).json
    assert proposal["status"] == "ready", proposal["error"]
    assert proposal["plan"]["totals"]["tasks_placed"] == 3
