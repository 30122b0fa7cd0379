"""Shared fixtures of the workflow tests: a ticket object with a workflow, a frozen clock."""

import pytest

from plinth.runtime import system_tables as st

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
