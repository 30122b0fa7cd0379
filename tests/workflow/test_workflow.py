"""Workflows through the record service: states guarded, transitions fired atomically,
the timeline, actions and on_transition automations, approvals and dwell limits."""

import datetime as dt
import threading

import pytest

from plinth.errors import Conflict, NotFound, PermissionDenied, ValidationError
from plinth.runtime import system_tables as st
from plinth.workflow import approvals
from plinth.workflow.engine import sweep_dwell
from plinth.workflow.transitions import available_on

from .steps import actor, entries, move
from .ticket_flow import T0, WORKFLOW


def test_records_start_in_the_initial_state_and_only_transitions_move_them(tenant, flow, records):
    ticket = records("create", "ticket", {"title": "Printer"})
    assert ticket["status"] == "new"
    with pytest.raises(ValidationError) as refused:
        records("update", "ticket", ticket["id"], {"status": "open"})
    assert "is managed by workflow ticket_flow" in refused.value.errors["status"][0]
    with pytest.raises(ValidationError):
        records("create", "ticket", {"status": "done"}, actor=actor(105, "agent"))
    imported = records("create", "ticket", {"status": "done"})  # the system may import states
    assert imported["status"] == "done"
    opened = move(tenant, ticket["id"], "start", actor(105, "agent"))
    assert opened["status"] == "open" and opened["version"] == 2


def test_a_transition_checks_source_roles_required_fields_and_condition(tenant, flow, records):
    ticket = records("create", "ticket", {"title": "Printer"})
    with pytest.raises(Conflict, match="'new': finish is not possible"):
        move(tenant, ticket["id"], "finish", actor(105, "agent"))
    move(tenant, ticket["id"], "start")
    with pytest.raises(PermissionDenied, match="only agent"):
        move(tenant, ticket["id"], "finish", actor(106, "manager"))
    with pytest.raises(ValidationError) as missing:
        move(tenant, ticket["id"], "finish", actor(105, "agent"))
    assert missing.value.errors == {"resolution": ["is required to Finish"]}
    records("update", "ticket", ticket["id"], {"cost": 5000})
    with pytest.raises(ValidationError, match="condition does not hold"):
        move(tenant, ticket["id"], "finish", actor(105, "agent"), values={"resolution": "ok"})
    with pytest.raises(ValidationError) as bad:
        move(tenant, ticket["id"], "finish", actor(105, "agent"), values={"status": "done"})
    assert "status" in bad.value.errors
    records("update", "ticket", ticket["id"], {"cost": 10})
    done = move(tenant, ticket["id"], "finish", actor(105, "agent"), values={"resolution": "fixed"})
    assert done["status"] == "done" and done["closed_by"] == 105 and done["log"] == "closed: fixed"


def test_comment_required_any_source_and_self_transitions(tenant, flow, records):
    ticket = records("create", "ticket", {"title": "x"})
    with pytest.raises(ValidationError) as missing:
        move(tenant, ticket["id"], "cancel")
    assert "comment" in missing.value.errors
    move(tenant, ticket["id"], "start")
    noted = move(tenant, ticket["id"], "note", comment="called the customer")
    assert noted["status"] == "open" and noted["version"] == 3  # still an event
    move(tenant, ticket["id"], "cancel", comment="duplicate")
    names = [
        (e["transition"], e["from_state"], e["to_state"]) for e in entries(tenant, ticket["id"])
    ]
    assert names == [
        (None, None, "new"),
        ("start", "new", "open"),
        ("note", "open", "open"),
        ("cancel", "open", "cancelled"),
    ]


def test_timeline_gives_time_spent_in_each_state(tenant, flow, records, clock):
    from plinth.workflow.timeline import time_in_states, timeline

    ticket = records("create", "ticket", {"title": "x"})
    clock[0] = T0 + dt.timedelta(minutes=10)
    move(tenant, ticket["id"], "start", actor(105, "agent"), comment="on it")
    clock[0] = T0 + dt.timedelta(minutes=70)
    with tenant.session() as session:
        lines = timeline(session.conn, "ticket", ticket["id"], clock[0])
    assert [(x["to"], x["dwell_seconds"], x["current"]) for x in lines] == [
        ("new", 600.0, False),
        ("open", 3600.0, True),
    ]
    assert lines[1]["by"] == 105 and lines[1]["comment"] == "on it"
    assert time_in_states(lines) == {"new": 600.0, "open": 3600.0}


def test_concurrent_transitions_from_one_state_exactly_one_wins(tenant, flow, records, backend):
    ticket = records("create", "ticket", {"title": "race"})
    move(tenant, ticket["id"], "start")
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(name):
        try:
            barrier.wait()
            if name == "finish":
                move(tenant, ticket["id"], name, actor(105, "agent"), values={"resolution": "r"})
            else:
                move(tenant, ticket["id"], name, comment="no")
            outcomes.append(name)
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("finish", "spend")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[0] == "conflict" and len(outcomes) == 2
    final = records("get", "ticket", ticket["id"])
    assert final["status"] in ("done", "approval")
    assert len(entries(tenant, ticket["id"])) == 3  # created, start, one winner


def test_on_transition_automations_and_available_transitions(tenant, flow, publish, records):
    publish(
        (
            "automations",
            {
                "name": "tell_manager",
                "object": "ticket",
                "trigger": {"type": "on_transition", "transition": "start"},
                "actions": [
                    {
                        "type": "create_record",
                        "object": "ticket",
                        "values": {"title": "=f'follow-up of {title}'"},
                    }
                ],
            },
        )
    )
    ticket = records("create", "ticket", {"title": "A"})
    with tenant.session(actor(105, "agent")) as session:
        names = [t["name"] for t in available_on(session, "ticket", ticket["id"])]
    assert names == ["start", "cancel"]
    move(tenant, ticket["id"], "start")
    titles = sorted(r["title"] for r in records("list", "ticket").data)
    assert titles == ["A", "follow-up of A"]
    with tenant.session(actor(106, "manager")) as session:
        offered = {t["name"]: t for t in available_on(session, "ticket", ticket["id"])}
    assert set(offered) == {"spend", "cancel", "note"}  # finish needs the agent role
    assert offered["spend"]["needs_approval"] is True


def test_two_level_approval_then_the_transition_fires(tenant, flow, records):
    ticket = records("create", "ticket", {"title": "laptop", "approver": 109})
    move(tenant, ticket["id"], "start")
    submitted = move(tenant, ticket["id"], "spend", actor(105, "agent"), comment="need it")
    assert submitted["status"] == "approval"
    with tenant.session(actor(106, "manager")) as session:
        [pending] = approvals.waiting_for(session)
    assert (pending["level"], pending["approver_role"], pending["comment"]) == (
        0,
        "manager",
        "need it",
    )
    with tenant.session(actor(105, "agent")) as session:
        assert approvals.waiting_for(session) == []
        with pytest.raises(PermissionDenied):
            approvals.decide(session, pending["id"], True, None)
    with tenant.session(actor(106, "manager")) as session:
        after_first = approvals.decide(session, pending["id"], True, "ok")
    assert after_first["level"] == 1 and after_first["approver_user_id"] == 109
    assert records("get", "ticket", ticket["id"])["status"] == "approval"
    with tenant.session(actor(109)) as session:
        final = approvals.decide(session, pending["id"], True, "fine")
    assert final["status"] == "approved" and [s["decision"] for s in final["steps"]] == [
        "approved",
        "approved",
    ]
    assert records("get", "ticket", ticket["id"])["status"] == "done"
    with tenant.session(actor(109)) as session, pytest.raises(Conflict, match="already approved"):
        approvals.decide(session, pending["id"], True, None)
    moves = [(e["transition"], e["to_state"], e["actor_id"]) for e in entries(tenant, ticket["id"])]
    assert moves[-2:] == [("spend", "approval", 105), ("spend", "done", 109)]


def test_rejection_fires_on_reject_and_leaving_cancels_the_approval(tenant, flow, records):
    ticket = records("create", "ticket", {"title": "x", "approver": 109})
    move(tenant, ticket["id"], "start")
    move(tenant, ticket["id"], "spend", actor(105, "agent"))
    with tenant.session(actor(106, "manager")) as session:
        [pending] = approvals.waiting_for(session)
        with pytest.raises(ValidationError):
            approvals.decide(session, pending["id"], False, "")
        rejected = approvals.decide(session, pending["id"], False, "too expensive")
    assert rejected["status"] == "rejected"
    assert records("get", "ticket", ticket["id"])["status"] == "open"
    assert entries(tenant, ticket["id"])[-1]["transition"] == "send_back"
    move(tenant, ticket["id"], "spend", actor(105, "agent"))
    move(tenant, ticket["id"], "cancel", comment="not needed")
    with tenant.session() as session:
        rows = approvals.for_record(session, "ticket", ticket["id"])
    assert [r["status"] for r in rows] == ["cancelled", "rejected"]


def test_manager_level_needs_a_manager(tenant, flow, publish, records):
    wf = {
        **WORKFLOW,
        "transitions": [
            *WORKFLOW["transitions"][:2],
            {
                "name": "spend",
                "from": ["open"],
                "to": "done",
                "approval": {"levels": [{"manager": True}], "pending_state": "approval"},
            },
            *WORKFLOW["transitions"][3:],
        ],
    }
    publish(("workflows", wf))
    with tenant.session() as session:
        now = tenant.clock()
        boss = session.conn.execute(
            st.user.insert().returning(st.user.c.id),
            {"email": "boss@example.com", "created_at": now, "updated_at": now},
        ).scalar_one()
        worker = session.conn.execute(
            st.user.insert().returning(st.user.c.id),
            {"email": "w@example.com", "manager_id": boss, "created_at": now, "updated_at": now},
        ).scalar_one()
    ticket = records("create", "ticket", {"title": "x"})
    move(tenant, ticket["id"], "start")
    with pytest.raises(ValidationError, match="no manager"):
        move(tenant, ticket["id"], "spend", actor(boss, "agent"))
    move(tenant, ticket["id"], "spend", actor(worker, "agent"))
    with tenant.session(actor(boss)) as session:
        [pending] = approvals.waiting_for(session)
        approvals.decide(session, pending["id"], True, None)
    assert records("get", "ticket", ticket["id"])["status"] == "done"


def test_dwell_limit_raises_on_dwell_once(tenant, flow, publish, records, clock):
    publish(
        (
            "automations",
            {
                "name": "undispatched",
                "object": "ticket",
                "trigger": {"type": "on_dwell", "state": "new"},
                "actions": [{"type": "set_fields", "values": {"log": "=f'late {title}'"}}],
            },
        )
    )
    stale = records("create", "ticket", {"title": "stale"})
    moved = records("create", "ticket", {"title": "moved"})
    move(tenant, moved["id"], "start")
    clock[0] = T0 + dt.timedelta(minutes=29)
    with tenant.session() as session:
        assert sweep_dwell(session) == 0
    clock[0] = T0 + dt.timedelta(minutes=31)
    with tenant.session() as session:
        assert sweep_dwell(session) == 1
    with tenant.session() as session:
        assert sweep_dwell(session) == 0  # once per stay
    assert records("get", "ticket", stale["id"])["log"] == "late stale"
    assert records("get", "ticket", moved["id"])["log"] is None


def test_unknown_things_answer_not_found(tenant, flow, records):
    ticket = records("create", "ticket", {"title": "x"})
    with pytest.raises(NotFound):
        move(tenant, ticket["id"], "fly")
    with pytest.raises(NotFound):
        move(tenant, 999, "start")
