"""Role-based access: row scopes per action and field access, the union of a user's roles.

A role grants, per object, a scope for each action (``all``, ``team``: owned by someone in
one of the user's teams, ``own``, ``none``: the default) and per field ``edit`` (default),
``read`` or ``none``. The record service consults this guard on every call, so the API,
the UI, rules and packs all obey it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from plinth.auth.access import AccessGuard, deny
from plinth.runtime import system_tables as st

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel
    from plinth.runtime.session import Session

SCOPES = ("none", "own", "team", "all")
FIELD_ACCESS = ("none", "read", "edit")
ACTIONS = ("read", "create", "update", "delete")
# System fields are readable by whoever may read the record.
ALWAYS_READABLE = frozenset(
    {"id", "created_at", "created_by", "updated_at", "updated_by", "owner_id", "version"}
)


@dataclasses.dataclass(frozen=True)
class ObjectGrant:
    scopes: Mapping[str, str]
    fields: Mapping[str, str]  # explicit field access; missing means "edit"
    user_fields: tuple[str, ...] = ()  # "field" or "lookup.field": rows that count as own

    def scope(self, action: str) -> str:
        return self.scopes.get(action, "none")

    def field_access(self, name: str) -> str:
        return self.fields.get(name, "edit")


NO_GRANT = ObjectGrant({}, {})


def union_grants(roles: Iterable[Mapping[str, Any]]) -> dict[str, ObjectGrant]:
    """The combined grant of several role documents, per object.

    Each action gets the widest scope any role gives; each field the best access among the
    roles that grant the object at all (a role that does not list a field gives ``edit``).
    """
    per_object: dict[str, list[Mapping[str, Any]]] = {}
    for role in roles:
        for obj, grant in (role.get("objects") or {}).items():
            per_object.setdefault(obj, []).append(grant)
    result = {}
    for obj, grants in per_object.items():
        scopes = {
            action: max((g.get(action, "none") for g in grants), key=SCOPES.index)
            for action in ACTIONS
        }
        names = {name for g in grants for name in (g.get("fields") or {})}
        fields = {
            name: max(
                ((g.get("fields") or {}).get(name, "edit") for g in grants), key=FIELD_ACCESS.index
            )
            for name in names
        }
        user_fields = tuple(sorted({f for g in grants for f in g.get("user_fields") or ()}))
        result[obj] = ObjectGrant(scopes, fields, user_fields)
    return result


class RoleAccess(AccessGuard):
    """The guard for a signed-in user who is not an admin."""

    def __init__(self, session: Session):
        self.session = session
        self.actor = session.actor
        compiled = session.compiled
        cache = compiled.__dict__.setdefault("_grants", {})
        key = frozenset(self.actor.roles)
        grants = cache.get(key)
        if grants is None:
            docs = compiled.docs("roles")
            grants = cache[key] = union_grants([docs[r] for r in sorted(key) if r in docs])
        self.grants: dict[str, ObjectGrant] = grants

    def grant(self, model: ObjectModel) -> ObjectGrant:
        return self.grants.get(model.name, NO_GRANT)

    def check(self, model: ObjectModel, action: str) -> None:
        if self.grant(model).scope(action) == "none":
            raise deny(model, action)

    def row_filter(self, model: ObjectModel, action: str) -> sa.ColumnElement[bool] | None:
        scope = self.grant(model).scope(action)
        owner = model.table.c.owner_id
        if scope == "all":
            return None
        mine = [owner == self.actor.id, *self._user_field_filters(model)]
        if scope == "own":
            return sa.or_(*mine)
        if scope == "team":
            return sa.or_(*mine, owner.in_(self._team_members_query()))
        return sa.false()

    def _user_field_filters(self, model: ObjectModel) -> list[sa.ColumnElement[bool]]:
        """Rows whose user field, or whose lookup's user field, is the actor."""
        result: list[sa.ColumnElement[bool]] = []
        for path in self.grant(model).user_fields:
            name, _, through = path.partition(".")
            if name not in model.table.c:
                continue  # the cross-check refuses this; a stale role must not break reads
            column = model.table.c[name]
            if not through:
                result.append(column == self.actor.id)
                continue
            target_name: str | None = model.fields[name].spec.get("target")
            target = None if target_name is None else self.session.compiled.objects.get(target_name)
            if target is not None and through in target.table.c:
                held = sa.select(target.table.c.id).where(target.table.c[through] == self.actor.id)
                result.append(column.in_(held))
        return result

    def _team_members_query(self) -> sa.Select[Any]:
        tm = st.team_member
        return sa.select(tm.c.user_id).where(tm.c.team_id.in_(sorted(self.actor.teams) or [0]))

    @functools.cache  # noqa: B019 - one guard per session; the cache dies with it
    def readable(self, model: ObjectModel) -> frozenset[str]:
        grant = self.grant(model)
        return frozenset(
            name
            for name, field in model.fields.items()
            if field.system or grant.field_access(name) != "none"
        )

    @functools.cache  # noqa: B019
    def editable(self, model: ObjectModel) -> frozenset[str]:
        grant = self.grant(model)
        names = {
            name
            for name, field in model.fields.items()
            if not field.system and grant.field_access(name) == "edit"
        }
        if grant.scope("update") in ("all", "team") or grant.scope("create") in ("all", "team"):
            names.add("owner_id")
        return frozenset(names)

    def allows_owner(self, model: ObjectModel, action: str, owner_id: int | None) -> bool:
        scope = self.grant(model).scope(action)
        if scope == "all":
            return True
        if owner_id == self.actor.id:
            return scope in ("own", "team")
        if scope == "team" and owner_id is not None:
            members = set(self.session.conn.scalars(self._team_members_query()))
            return owner_id in members
        return False
