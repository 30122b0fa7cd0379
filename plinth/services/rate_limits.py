"""Fixed-window request limits for public endpoints, shared by every process.

Counters live in ``plinth_rate_limit`` (one row per bucket, client and window), so all
gunicorn workers see the same counts; a hit is counted in its own short transaction, so a
request that then fails still counts.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from plinth.errors import TooManyRequests
from plinth.runtime import system_tables as st

if TYPE_CHECKING:
    from plinth.tenant import Tenant


def hit(tenant: Tenant, bucket: str, client: str, limit: int, window_seconds: int) -> int:
    """Count one request of ``client`` in ``bucket``; 429 with Retry-After past ``limit``
    in the current window. Returns how many requests the client has left."""
    now = tenant.clock()
    start = int(now.timestamp()) // window_seconds * window_seconds
    window_end = dt.datetime.fromtimestamp(start + window_seconds, dt.UTC)
    key = f"{bucket}:{client}:{start}"[:200]
    table = st.rate_limit
    with tenant.database.transaction(write=True) as conn:
        insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)
        statement = insert.values(key=key, window_end=window_end, hits=1).on_conflict_do_update(
            index_elements=[table.c.key], set_={"hits": table.c.hits + 1}
        )
        conn.execute(statement)
        hits: int = conn.execute(sa.select(table.c.hits).where(table.c.key == key)).scalar_one()
        if hits == 1:  # first hit of a window: forget windows that have ended
            conn.execute(table.delete().where(table.c.window_end < now))
    if hits > limit:
        retry = max(1, math.ceil((window_end - now).total_seconds()))
        raise TooManyRequests(
            f"too many requests; at most {limit} every {window_seconds} seconds", retry
        )
    return limit - hits
