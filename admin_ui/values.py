"""Showing field values in pages: titles of linked records, option labels, local times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from admin_ui.i18n import current_zone, label
from plinth.runtime.model import Field, ObjectModel

LINK_TYPES = frozenset({"lookup", "user"})


def title_of(model: ObjectModel | None, record: Mapping[str, Any] | None) -> str:
    """The text a record is known by: its title field, else its number, else ``#id``."""
    if not record:
        return ""
    if model is not None:
        for name in (model.title_field, *(f.name for f in model.autonumber_fields)):
            if name and record.get(name) not in (None, ""):
                return str(record[name])
    if "name" in record and record["name"]:
        return str(record["name"])
    if "email" in record:
        return str(record["email"])
    return f"#{record.get('id')}"


def option_label(field: Field, value: Any) -> str:
    for option in field.spec.get("options", ()):
        if option["value"] == value:
            return label(option.get("label")) or str(value)
    return "" if value is None else str(value)


def local_time(value: Any) -> str:
    """An ISO instant (or datetime) in the user's time zone, to the minute."""
    if value in (None, ""):
        return ""
    instant = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(ZoneInfo(current_zone())).strftime("%Y-%m-%d %H:%M")


def local_input(value: Any) -> str:
    """A ``datetime-local`` input value: an instant in the user's time zone; a time without
    a zone (what the user typed) as it is."""
    if value in (None, ""):
        return ""
    try:
        instant = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)  # typed and refused: shown back as typed
    if instant.tzinfo is None:
        return instant.strftime("%Y-%m-%dT%H:%M")
    return local_time(instant).replace(" ", "T")


def expand_names(fields: list[Field]) -> list[str]:
    return [f.name for f in fields if f.type.name in LINK_TYPES]
