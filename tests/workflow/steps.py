"""Steps of the workflow tests on the ticket of ``ticket_flow``: who acts, firing a
transition, reading the transition log."""

import sqlalchemy as sa

from plinth.auth.actor import SYSTEM, Actor
from plinth.runtime import system_tables as st
from plinth.workflow.transitions import fire


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
