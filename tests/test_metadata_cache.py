"""Compiled metadata is cached per process and refreshed when another process publishes."""

import sqlalchemy as sa

from plinth.bootstrap import build_tenant
from plinth.config import load_config
from plinth.metadata.publisher import Publisher, Put
from tests.docs import SITE, doc


def test_a_change_published_elsewhere_is_seen_on_the_next_session(tenant, plinth_settings):
    other_process = build_tenant(load_config(plinth_settings, environ={}))
    try:
        Publisher(tenant).publish([Put("objects", doc(SITE))])
        with other_process.session() as s:
            assert "city" in s.compiled.object("site").fields
            first = s.compiled
        changed = doc(SITE)
        changed["fields"].append({"name": "zone", "type": "text"})
        Publisher(tenant).publish([Put("objects", changed)])
        with other_process.session() as s:
            assert s.compiled is not first
            created = s.records.create("site", {"name": "Depot", "zone": "north"})
        assert created["zone"] == "north"
        with other_process.session() as s:
            assert s.compiled is other_process.metadata.current(s.conn)  # cached again
    finally:
        other_process.dispose()


def test_the_check_per_session_is_one_indexed_read(tenant):
    Publisher(tenant).publish([Put("objects", doc(SITE))])
    with tenant.session() as s:
        assert s.compiled.revision_id == 1
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(tenant.database.engine, "before_cursor_execute", listener)
    try:
        with tenant.session() as s:
            assert s.compiled.revision_id == 1
    finally:
        sa.event.remove(tenant.database.engine, "before_cursor_execute", listener)
    queries = [q for q in statements if q.strip().upper().startswith("SELECT")]
    assert len(queries) == 1 and "max(plinth_revision.id)" in queries[0]
