"""Who is acting: the service resource linked to the signed-in user."""

from __future__ import annotations

from typing import Any

from plinth.toolkit import Filter, ListQuery, NotFound, PermissionDenied

OFFICE_ROLES = frozenset({"dispatcher", "service_manager", "warehouse_keeper"})


def resource_of_user(session, user_id: int | None) -> dict[str, Any] | None:
    """The service resource whose ``login`` is the user, read with full access."""
    if user_id is None:
        return None
    rows = (
        session.as_system()
        .records.list("service_resource", ListQuery([Filter("login", "eq", user_id)], limit=1))
        .data
    )
    return rows[0] if rows else None


def my_resource(session) -> dict[str, Any]:
    """The caller's own service resource; 404 when their user is not linked to one."""
    resource = resource_of_user(session, session.actor.id)
    if resource is None:
        raise NotFound("your user is not linked to a service resource (its login field)")
    return resource


def acts_for_others(session) -> bool:
    """Office roles (and admins, the system) may act on behalf of any resource."""
    actor = session.actor
    return actor.is_admin or actor.id is None or bool(actor.roles & OFFICE_ROLES)


def require_own_resource(session, resource_id: Any) -> None:
    """Engineers may only act as their own resource (check in, send locations, ...)."""
    if acts_for_others(session) or resource_id is None:
        return
    mine = resource_of_user(session, session.actor.id)
    if mine is None or mine["id"] != int(resource_id):
        raise PermissionDenied("you may only act as your own service resource")
