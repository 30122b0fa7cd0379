"""Shared fixtures of the workflow tests: a ticket object with a workflow, a frozen clock."""

import pytest
import sqlalchemy as sa

from plinth.auth.actor import SYSTEM, Actor
from plinth.runtime import system_tables as st
from plinth.workflow.transitions import fire

from .ticket_flow import ROLES, T0, TICKET, WORKFLOW


@pytest.fixture
def clock(tenant):
    now = [T0]
    tenant.clock = lambda: now[0]
    return now


@pytest.fixture
def flow(tenant, publish, clock):
    with tenant.session() as session:
        session.conn.execute(
            st.user.insert(),
            [
                {"id": i, "email": f"user{i}@example.com", "created_at": T0, "updated_at": T0}
                for i in (105, 106, 109)
            ],
        )
        session.conn.execute(
            st.user_role.insert(),
            [{"user_id": 105, "role": "agent"}, {"user_id": 106, "role": "manager"}],
        )
    publish(TICKET, *ROLES, ("workflows", WORKFLOW))


def actor(user_id, *roles):
    return Actor(user_id, f"user{user_id}@example.com", roles=frozenset(roles))


def move(tenant, record_id, name, who=SYSTEM, **kwargs):
    with tenant.session(who) as session:
        return fire(session, "ticket", record_id, name, **kwargs)


def entries(tenant, record_id):
    with tenant.session() as session:
        return [
            dict(r)
            for r in session.conn.execute(
                sa.select(st.transition)
                .where(st.transition.c.record_id == record_id)
                .order_by(st.transition.c.id)
            ).mappings()
        ]
