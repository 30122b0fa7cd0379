"""Autonumbers: gap-tolerant counters per object, field and date prefix.

The counter key is the pattern rendered without its sequence (``WO-202611-``), so a
pattern with ``{YYYY}{MM}`` restarts every month. On PostgreSQL the counter is taken on
a separate autocommit connection, so concurrent inserts never wait on each other and a
rolled-back insert leaves a gap; on SQLite writers are serialized anyway and the counter
shares the insert's transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from plinth.runtime import system_tables as st
from plinth.runtime.database import Database
from plinth.runtime.field_types.special import AUTONUMBER_TOKEN
from plinth.runtime.model import Field


def render(pattern: str, moment: dt.datetime, seq: int | None) -> str:
    """The pattern with its date tokens filled in; ``seq`` None leaves a marker (the key)."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "YYYY":
            return f"{moment.year:04d}"
        if token == "YY":
            return f"{moment.year % 100:02d}"
        if token == "MM":
            return f"{moment.month:02d}"
        if token == "DD":
            return f"{moment.day:02d}"
        if seq is None:
            return "{seq}"
        width = int(match.group(2) or 0)
        return f"{seq:0{width}d}"

    return AUTONUMBER_TOKEN.sub(replace, pattern)


def next_number(
    database: Database,
    conn: Connection,
    object_name: str,
    field: Field,
    now: dt.datetime,
    zone: ZoneInfo,
) -> str:
    """Allocate and render the next number of an autonumber field."""
    moment = now.astimezone(zone)
    pattern = field.spec["pattern"]
    key = render(pattern, moment, None)[:128]
    separate = database.sequence_connection()
    if separate is None:
        value = _allocate(conn, object_name, field.name, key)
    else:
        with separate as seq_conn:
            value = _allocate(seq_conn, object_name, field.name, key)
    return render(pattern, moment, value)


def _allocate(conn: Connection, object_name: str, field_name: str, key: str) -> int:
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    table = st.sequence
    insert = dialect_insert(table).values(object=object_name, field=field_name, key=key, value=1)
    stmt = insert.on_conflict_do_update(
        index_elements=[table.c.object, table.c.field, table.c.key],
        set_={"value": table.c.value + 1},
    ).returning(table.c.value)
    value: int = conn.execute(stmt).scalar_one()
    return value
