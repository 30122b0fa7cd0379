"""Scheduled (cron) automations: when they are due, and running one."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from croniter import croniter

from plinth.rules.actions import AFTER_COMMIT, AFTER_SAVE
from plinth.rules.automations import run_actions
from plinth.rules.record_rules import evaluate_rule
from plinth.rules.sandbox import compile_rule
from plinth.rules.scope import list_filters, rule_scope
from plinth.runtime import system_tables as st
from plinth.runtime.query import ListQuery

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel
    from plinth.runtime.session import Session

log = logging.getLogger(__name__)
MAX_CATCH_UP = 10  # missed runs done after downtime, at most
BATCH = 500


def cron_problem(expression: str) -> str | None:
    if not croniter.is_valid(expression):
        return f"invalid cron expression {expression!r}"
    return None


def due_runs(cron: str, zone: ZoneInfo, since: dt.datetime, now: dt.datetime) -> list[dt.datetime]:
    """Run times after ``since`` up to ``now`` (the last MAX_CATCH_UP of them), in UTC."""
    times = []
    iterator = croniter(cron, since.astimezone(zone))
    while True:
        moment = iterator.get_next(dt.datetime)
        if moment > now:
            break
        times.append(moment.astimezone(dt.UTC))
    return times[-MAX_CATCH_UP:]


def enqueue_due(session: Session, now: dt.datetime, first_look_back: dt.timedelta) -> int:
    """Enqueue every due run of every scheduled automation; each run has its own job key, so
    two schedulers ticking together still enqueue it once."""
    count = 0
    for name, doc in sorted(session.compiled.docs("automations").items()):
        trigger = doc["trigger"]
        if trigger["type"] != "scheduled" or not doc.get("active", True):
            continue
        key = f"cron:{name}"
        last = session.conn.scalar(sa.select(st.setting.c.value).where(st.setting.c.key == key))
        since = dt.datetime.fromisoformat(last) if last else now - first_look_back
        zone = ZoneInfo(trigger.get("time_zone") or "UTC")
        for moment in due_runs(trigger["cron"], zone, since, now):
            at = moment.isoformat()
            session.tenant.jobs.enqueue(
                session, "rules.scheduled", {"automation": name, "at": at}, key=f"{name}:{at}"
            )
            count += 1
        session.conn.execute(st.setting.delete().where(st.setting.c.key == key))
        session.conn.execute(
            st.setting.insert(), {"key": key, "value": now.isoformat(), "updated_at": now}
        )
    return count


def run(session: Session, name: str, at: str, job_key: str) -> None:
    """One run of a scheduled automation: over the matching records of its object, or once."""
    doc = session.compiled.docs("automations").get(name)
    if doc is None or not doc.get("active", True):
        log.info("scheduled automation %s is gone or inactive; skipped", name)
        return
    if not doc.get("object"):
        model = cast("ObjectModel", _NoObject())  # stands in: name, fields and label()
        for phase in (AFTER_SAVE, AFTER_COMMIT):
            run_actions(session, model, doc, phase, {}, None, "scheduled", job_key, saving=False)
        return
    model = session.compiled.object(doc["object"])
    condition = compile_rule(doc["condition"]) if doc.get("condition") else None
    query = ListQuery(filters=list_filters(doc["trigger"].get("filter")), sort=["id"], limit=BATCH)
    while True:
        page = session.records.list(model.name, query)
        for record in page.data:
            if condition is not None:
                scope = rule_scope(session, record, fields=tuple(model.fields))
                if not evaluate_rule(condition, scope, f"automation {name}: condition"):
                    continue
            key = f"{job_key}:{record['id']}"
            for phase in (AFTER_SAVE, AFTER_COMMIT):
                run_actions(
                    session, model, doc, phase, record, None, "scheduled", key, saving=False
                )
        if page.next_cursor is None:
            break
        query.cursor = page.next_cursor


class _NoObject:
    """Stands in for the model of an automation that is scheduled without an object."""

    name = ""
    fields: dict[str, Any] = {}

    def label(self, locale: str = "en") -> str:
        return ""
