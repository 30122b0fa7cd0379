"""Loading a pack's demo data: static record files and/or a generator function."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.auth.actor import SYSTEM
from plinth.errors import ValidationError
from plinth.metadata.documents import read_document
from plinth.packs.loader import Pack
from plinth.runtime import system_tables as st

if TYPE_CHECKING:
    from plinth.runtime.session import Session
    from plinth.tenant import Tenant

REF_KEY = "_ref"
REFS_KEY = "demo:refs"
ACCOUNTS_KEY = "demo:accounts"


def demo_loaded(conn: Connection, pack_name: str) -> bool:
    key = f"demo:{pack_name}"
    return conn.scalar(sa.select(st.setting.c.key).where(st.setting.c.key == key)) is not None


def load_demo(
    tenant: Tenant, pack: Pack, progress: Callable[[str], None] | None = None, force: bool = False
) -> int | None:
    """Create the pack's demo records once (None when already loaded); returns how many."""
    progress = progress or (lambda _m: None)
    with tenant.session(SYSTEM) as session:
        if demo_loaded(session.conn, pack.name) and not force:
            return None
        refs = _read_setting(session.conn, REFS_KEY) or {}
        count = _load_files(session, pack, progress, refs)
        _write_setting(session.conn, REFS_KEY, refs)
        generator = pack.manifest.get("demo")
        if generator:
            module_name, function_name = generator.split(":")
            function = getattr(importlib.import_module(module_name), function_name)
            count += function(session, progress) or 0
        _mark_loaded(session.conn, pack.name, count)
    return count


def _load_files(
    session: Session, pack: Pack, progress: Callable[[str], None], refs: dict[str, list[Any]]
) -> int:
    """Create records from the pack's files; ``_ref`` names persist across packs."""
    count = 0
    for path in pack.demo_files():
        data = read_document(path)
        if (
            not isinstance(data, dict)
            or "object" not in data
            or not isinstance(data.get("records"), list)
        ):
            raise ValidationError.single(str(path), "must be {object: name, records: [...]}")
        progress(f"{pack.name}: {len(data['records'])} {data['object']} records from {path.name}")
        for index, raw in enumerate(data["records"]):
            values = {k: _resolve(v, refs, path, index) for k, v in raw.items() if k != REF_KEY}
            try:
                record = session.records.create(data["object"], values)
            except ValidationError as exc:
                raise ValidationError(
                    {f"{path.name}#/records/{index}/{k}": v for k, v in exc.errors.items()}
                ) from None
            if REF_KEY in raw:
                refs[raw[REF_KEY]] = [data["object"], record["id"]]
            count += 1
    return count


def _resolve(value: Any, refs: dict[str, list[Any]], path: Path, index: int) -> Any:
    if isinstance(value, dict) and set(value) == {REF_KEY}:
        ref = value[REF_KEY]
        if ref not in refs:
            raise ValidationError.single(
                f"{path.name}#/records/{index}", f"unknown {REF_KEY} {ref!r}"
            )
        return refs[ref][1]
    return value


def add_demo_account(conn: Connection, email: str, role: str, password: str) -> None:
    """Name an account, with its password, for the banner of ``plinth run`` to show.

    For demo data only: the password is kept as it is, so that a newcomer can read it.
    """
    accounts = [a for a in demo_accounts(conn) if a["email"] != email.strip().lower()]
    accounts.append({"email": email.strip().lower(), "role": role, "password": password})
    _write_setting(conn, ACCOUNTS_KEY, accounts)


def demo_accounts(conn: Connection) -> list[dict[str, str]]:
    """The accounts ``add_demo_account`` named, in the order they were named."""
    return list(_read_setting(conn, ACCOUNTS_KEY) or [])


def _mark_loaded(conn: Connection, pack_name: str, count: int) -> None:
    _write_setting(conn, f"demo:{pack_name}", {"records": count})


def _read_setting(conn: Connection, key: str) -> Any:
    return conn.scalar(sa.select(st.setting.c.value).where(st.setting.c.key == key))


def _write_setting(conn: Connection, key: str, value: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    conn.execute(st.setting.delete().where(st.setting.c.key == key))
    conn.execute(st.setting.insert(), {"key": key, "value": value, "updated_at": now})
