"""The audit log: authentication events and metadata changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from plinth.auth.actor import Actor
from plinth.runtime import system_tables as st


def audit(
    conn: Connection,
    actor: Actor | None,
    event: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Append one audit entry in the caller's transaction."""
    conn.execute(
        st.audit.insert(),
        {
            "at": dt.datetime.now(dt.UTC),
            "actor_id": actor.id if actor else None,
            "actor_label": actor.label if actor else "",
            "event": event,
            "target": target[:255],
            "detail": detail,
            "ip": ip,
        },
    )
