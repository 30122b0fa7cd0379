"""Pack settings are read in one statement per session, with the declarations kept per tenant
until a pack is installed or upgraded (also an upgrade that changes only the manifest, which
publishes no metadata revision), and a changed value is seen by the next session."""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa

from plinth.auth.actor import SYSTEM
from plinth.errors import NotFound
from plinth.metadata.documents import write_document
from plinth.metadata.store import latest_revision_id
from plinth.packs.installer import PackInstaller
from plinth.packs.loader import load_pack
from plinth.packs.settings import change_settings, get_setting, get_settings
from tests.docs import SITE, doc
from tests.packs_helpers import make_pack

SETTINGS = {
    "greeting": {"type": "string", "default": "hello"},
    "max_sites": {"type": "integer", "default": 3, "minimum": 1, "maximum": 10},
}


def install(tenant, tmp_path, version: str, settings: dict) -> None:
    """The pack ``sample`` at ``version``, always with the same documents."""
    folder = make_pack(tmp_path, "sample", version, {"objects": [doc(SITE)]})
    manifest = load_pack(folder).manifest
    write_document(folder / "pack.yaml", {**manifest, "settings": settings})
    PackInstaller(tenant).install([load_pack(folder)])


@contextlib.contextmanager
def counted(tenant):
    """The SQL statements sent meanwhile, as a list that fills up."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    engine = tenant.database.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def read(tenant, *names: str) -> tuple[dict, int]:
    """The values of ``names`` in a new session, and how many statements reading took."""
    with tenant.session(SYSTEM) as s:
        with counted(tenant) as sent:
            values = get_settings(s, names)
            again = get_setting(s, names[0])  # kept for the session: no statement
    assert again == values[names[0]]
    return values, len(sent)


def test_settings_are_read_in_one_statement_and_follow_changes_and_upgrades(tenant, tmp_path):
    install(tenant, tmp_path, "1.0.0", SETTINGS)
    names = ("sample.greeting", "sample.max_sites")
    assert read(tenant, *names)[0] == {"sample.greeting": "hello", "sample.max_sites": 3}
    values, statements = read(tenant, *names)  # the declarations are kept now
    assert values == {"sample.greeting": "hello", "sample.max_sites": 3}
    assert statements == 1

    # a value changed by an administrator: the next session sees it
    with tenant.session(SYSTEM) as s:
        assert get_setting(s, "sample.max_sites") == 3
        change_settings(s, {"sample.max_sites": 7})
        assert get_setting(s, "sample.max_sites") == 7  # the session's copy was dropped
    assert read(tenant, *names) == ({"sample.greeting": "hello", "sample.max_sites": 7}, 1)

    # an upgrade that changes only the manifest (no new revision): a new default, a new
    # setting, and the changed value kept
    with tenant.database.transaction() as conn:
        revision = latest_revision_id(conn)
    upgraded = {**SETTINGS, "greeting": {"type": "string", "default": "ni hao"}}
    upgraded["limit"] = {"type": "number", "default": 2.5}
    install(tenant, tmp_path, "1.1.0", upgraded)
    with tenant.database.transaction() as conn:
        assert latest_revision_id(conn) == revision
    assert read(tenant, *names, "sample.limit")[0] == {
        "sample.greeting": "ni hao",
        "sample.max_sites": 7,
        "sample.limit": 2.5,
    }
    assert read(tenant, "sample.limit")[1] == 1

    # back to the default: the stored value is gone
    with tenant.session(SYSTEM) as s:
        change_settings(s, {"sample.max_sites": None})
    assert read(tenant, "sample.max_sites")[0] == {"sample.max_sites": 3}


def test_unknown_settings_are_named(tenant, tmp_path):
    install(tenant, tmp_path, "1.0.0", SETTINGS)
    with tenant.session(SYSTEM) as s:
        with pytest.raises(NotFound, match="'sample.nope', 'other.x'"):
            get_settings(s, ["sample.greeting", "sample.nope", "other.x"])
        with pytest.raises(NotFound, match="no setting named 'sample.nope'"):
            get_setting(s, "sample.nope")
        assert get_settings(s, []) == {}
