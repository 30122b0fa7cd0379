"""Pack settings: declared in a pack's manifest, changed by administrators, read by rules.

A setting is named ``<pack>.<name>`` (``field_service.require_check_in``). Its declaration
(type, default, bounds, options, label) comes from the installed pack's manifest; a changed
value is stored in ``plinth_setting`` under ``setting:<pack>.<name>``, so every process sees
it on its next read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
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
    cache = session.__dict__.setdefault("_settings", {})
    if name not in cache:
        declared = declarations(session.conn).get(name)
        if declared is None:
            raise NotFound(f"no setting named {name!r}")
        cache[name] = _stored(session.conn, [name]).get(name, declared.default)
    return cache[name]


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
