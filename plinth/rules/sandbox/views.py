"""How records and the acting user look from inside the sandbox."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

from plinth.rules.sandbox.errors import SandboxError

_MAPPING_METHODS = frozenset({"get", "keys", "values", "items"})


def _field_get(values: Mapping[str, Any], key: Any, default: Any = None) -> Any:
    """``record.get(key, default)``: fields are named by text, so nothing else is looked
    up (a tuple key would be hashed all the way down)."""
    return values[key] if type(key) is str and key in values else default


class RecordView(Mapping[str, Any]):
    """A read-only record: ``record.qty`` or ``record["qty"]``; ``record.get("qty", 0)``."""

    __sandbox_attributes__ = True
    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]):
        self._values = values

    def sandbox_attribute(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        if name == "get":
            return functools.partial(_field_get, self._values)
        if name in _MAPPING_METHODS:
            return getattr(self, name)
        raise SandboxError(f"the record has no field {name!r}")

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) and key.startswith("_"):
            raise SandboxError(f"item {key!r} is not allowed")
        if type(key) is not str:
            raise KeyError(key)  # fields are named by text; nothing else is hashed
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"<record {dict(self._values)!r}>"


class WritableRecord(dict[str, Any]):
    """The record a script may change: ``record["status"] = "done"`` or ``record.status = ..``."""

    __sandbox_attributes__ = True
    __sandbox_writable__ = True

    def sandbox_attribute(self, name: str) -> Any:
        if name in self:
            return self[name]
        if name == "get":
            return functools.partial(_field_get, self)
        if name in _MAPPING_METHODS:
            return getattr(self, name)
        raise SandboxError(f"the record has no field {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            raise SandboxError(f"attribute {name!r} is not allowed")
        self[name] = value


class ActorLike(Protocol):
    """What a UserView shows of an actor (``plinth.auth.actor.Actor``, or a stand-in)."""

    @property
    def id(self) -> int | None: ...
    @property
    def label(self) -> str: ...
    @property
    def roles(self) -> Iterable[str]: ...
    @property
    def teams(self) -> Iterable[int]: ...
    @property
    def locale(self) -> str: ...
    @property
    def time_zone(self) -> str: ...


class UserView:
    """The acting user: id, email, name, roles, teams, locale, time_zone."""

    __sandbox_attributes__ = True
    __slots__ = ("_values",)
    FIELDS = ("id", "email", "name", "roles", "teams", "locale", "time_zone")

    def __init__(self, actor: ActorLike):
        self._values = {
            "id": actor.id,
            "email": actor.label if actor.id is not None else None,
            "name": actor.label,
            "roles": sorted(actor.roles),
            "teams": sorted(actor.teams),
            "locale": actor.locale,
            "time_zone": actor.time_zone,
        }

    def sandbox_attribute(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        raise SandboxError(f"user has no {name!r}")

    def __repr__(self) -> str:
        return f"<user {self._values['email'] or 'system'}>"
