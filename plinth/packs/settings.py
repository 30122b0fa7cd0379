"""Pack settings: declared in a pack's manifest, changed by administrators, read by rules.

A setting is named ``<pack>.<name>`` (``field_service.require_check_in``). Its declaration
(type, default, bounds, options, label) comes from the installed pack's manifest; a changed
value is stored in ``plinth_setting`` under ``setting:<pack>.<name>``, so every process sees
it on its next read.

Reading costs one statement per session: the values asked for, with a stamp of the installed
packs (how many, and when one was last installed or upgraded) in the same query. The
declarations, parsed from the manifests, are kept per tenant while the stamp is unchanged, so
a pack installed or upgraded by any process (even one that changed only its manifest, which
makes no metadata revision) is seen on the next read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.errors import NotFound, ValidationError
from plinth.runtime import system_tables as st
from plinth.schemas import Answer, Anything, Choice, ListOf, Text

if TYPE_CHECKING:
    from plinth.runtime.session import Session

KEY_PREFIX = "setting:"
PYTHON_TYPES: dict[str, tuple[type[Any], ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "list": (list,),
}


@dataclasses.dataclass(frozen=True)
class SettingDeclaration:
    name: str  # <pack>.<setting>
    pack: str
    type: str
    default: Any
    label: Any = None
    description: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[str, ...] | None = None

    def problems(self, value: Any) -> list[str]:
        """Why ``value`` is not acceptable for this setting (empty when it is)."""
        kinds = PYTHON_TYPES[self.type]
        if isinstance(value, bool) and self.type != "boolean" or not isinstance(value, kinds):
            return [f"must be a {self.type}"]
        problems = []
        if self.type in ("integer", "number"):
            if self.minimum is not None and value < self.minimum:
                problems.append(f"must be at least {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                problems.append(f"must be at most {self.maximum}")
        if self.type == "string" and self.options and value not in self.options:
            problems.append(f"must be one of {', '.join(self.options)}")
        if self.type == "list":
            if any(not isinstance(item, str) or not item for item in value):
                problems.append("must be a list of non-empty strings")
            elif self.options and set(value) - set(self.options):
                problems.append(f"items must be among {', '.join(self.options)}")
        return problems


class Setting(Answer):
    """A setting with its value and declaration (as ``all_settings`` lists it)."""

    name = Text(required=True, metadata={"example": "field_service.require_check_in"})
    pack = Text(required=True)
    type = Choice(PYTHON_TYPES, required=True)
    value = Anything(required=True, allow_none=True)
    default = Anything(required=True, allow_none=True)
    label = Anything(allow_none=True, metadata={"description": "text, or text by locale"})
    description = Text(allow_none=True)
    options = ListOf(Text())
    minimum = Anything(metadata={"type": "number"})
    maximum = Anything(metadata={"type": "number"})


def declarations(conn: Connection) -> dict[str, SettingDeclaration]:
    """Every setting declared by an installed pack, by full name."""
    result = {}
    query = sa.select(st.pack.c.name, st.pack.c.manifest)
    rows: Iterable[tuple[str, dict[str, Any]]] = conn.execute(query)
    for pack, manifest in rows:
        for name, spec in ((manifest or {}).get("settings") or {}).items():
            full = f"{pack}.{name}"
            result[full] = SettingDeclaration(
                full,
                pack,
                spec["type"],
                spec["default"],
                spec.get("label"),
                spec.get("description"),
                spec.get("minimum"),
                spec.get("maximum"),
                tuple(spec["options"]) if spec.get("options") else None,
            )
    return result


def _stored(conn: Connection, names: Iterable[str]) -> dict[str, Any]:
    keys = [KEY_PREFIX + n for n in names]
    rows: Iterable[tuple[str, Any]] = conn.execute(
        sa.select(st.setting.c.key, st.setting.c.value).where(st.setting.c.key.in_(keys))
    )
    return {key[len(KEY_PREFIX) :]: value for key, value in rows}


def all_settings(session: Session) -> list[dict[str, Any]]:
    """Every declared setting with its current value and declaration."""
    declared = declarations(session.conn)
    stored = _stored(session.conn, declared)
    return [
        {
            "name": d.name,
            "pack": d.pack,
            "type": d.type,
            "value": stored.get(d.name, d.default),
            "default": d.default,
            "label": d.label,
            "description": d.description,
            **({"options": list(d.options)} if d.options else {}),
            **({"minimum": d.minimum} if d.minimum is not None else {}),
            **({"maximum": d.maximum} if d.maximum is not None else {}),
        }
        for d in sorted(declared.values(), key=lambda d: d.name)
    ]


def get_setting(session: Session, name: str) -> Any:
    """The value of one setting (its default until changed); NotFound when undeclared.

    Read once per session: a rule that asks many times costs one query."""
    return get_settings(session, [name])[name]


def get_settings(session: Session, names: Iterable[str]) -> dict[str, Any]:
    """The values of several settings by name (each its default until changed), in one
    query; NotFound naming those undeclared. Values are read once per session."""
    wanted = list(dict.fromkeys(names))
    cache: dict[str, Any] = session.__dict__.setdefault("_settings", {})
    missing = [n for n in wanted if n not in cache]
    if missing:
        stamp, stored = _stamped_values(session.conn, missing)
        declared = _declared(session, stamp)
        unknown = [n for n in missing if n not in declared]
        if unknown:
            raise NotFound(f"no setting named {', '.join(map(repr, unknown))}")
        for name in missing:
            cache[name] = stored.get(name, declared[name].default)
    return {name: cache[name] for name in wanted}


# ---- declarations kept per tenant ---------------------------------------------------------
Stamp = tuple[Any, ...]
_kept: weakref.WeakKeyDictionary[Any, tuple[Stamp, dict[str, SettingDeclaration]]] = (
    weakref.WeakKeyDictionary()
)
_kept_lock = threading.Lock()


def _stamped_values(conn: Connection, names: list[str]) -> tuple[Stamp, dict[str, Any]]:
    """The stored values of ``names`` and the packs' stamp (count, newest ``updated_at``), in
    one statement: a row per stored value, or one row without a key when none is stored."""
    packs = st.pack
    count = sa.select(sa.func.count()).select_from(packs).scalar_subquery()
    newest = sa.select(sa.func.max(packs.c.updated_at)).scalar_subquery()
    one = sa.select(sa.literal(1).label("one")).subquery()
    keys = [KEY_PREFIX + n for n in names]
    query = sa.select(
        count.label("packs"), newest.label("newest"), st.setting.c.key, st.setting.c.value
    ).select_from(one.outerjoin(st.setting, st.setting.c.key.in_(keys)))
    stamp: Stamp = ()
    values: dict[str, Any] = {}
    rows: Iterable[tuple[int, Any, str | None, Any]] = conn.execute(query)
    for packs_count, updated, key, value in rows:
        stamp = (packs_count, updated)
        if key is not None:
            values[key[len(KEY_PREFIX) :]] = value
    return stamp, values


def _declared(session: Session, stamp: Stamp) -> dict[str, SettingDeclaration]:
    """The declarations as of ``stamp``: kept per tenant, read again when it changed."""
    tenant = session.tenant
    with _kept_lock:
        kept = _kept.get(tenant)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    declared = declarations(session.conn)
    with _kept_lock:
        _kept[tenant] = (stamp, declared)
    return declared


def change_settings(session: Session, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Set several settings at once (all or nothing); ``None`` restores the default."""
    declared = declarations(session.conn)
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if name not in declared:
            errors[name] = ["unknown setting"]
        elif value is not None:
            problems = declared[name].problems(value)
            if problems:
                errors[name] = problems
    if errors:
        raise ValidationError(errors)
    now = dt.datetime.now(dt.UTC)
    for name, value in values.items():
        key = KEY_PREFIX + name
        session.conn.execute(st.setting.delete().where(st.setting.c.key == key))
        if value is not None:
            session.conn.execute(
                st.setting.insert(), {"key": key, "value": value, "updated_at": now}
            )
    session.__dict__.pop("_settings", None)
    return all_settings(session)
