"""What a rule sees: the record's fields by name, ``record``, ``old``, ``user`` and helpers.

Helpers that read data (``lookup``, ``query``, ``count``) go through the record service of
the caller's session, so a rule never reads what its user may not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from plinth.errors import NotFound, PermissionDenied, ValidationError
from plinth.packs.settings import get_setting
from plinth.rules.sandbox.environment import time_helpers
from plinth.rules.sandbox.errors import SandboxError
from plinth.rules.sandbox.limits import MAX_HELPER_CALLS, MAX_QUERY_LIMIT
from plinth.rules.sandbox.sizes import off_the_clock
from plinth.rules.sandbox.views import RecordView, UserView, WritableRecord
from plinth.runtime.query import OPERATORS, Filter, ListQuery

if TYPE_CHECKING:
    from plinth.runtime.session import Session


def list_filters(filters: Any) -> list[Filter]:
    """List filters from a dict such as {"status": "open", "qty__gt": 3}."""
    if filters is None:
        return []
    if not isinstance(filters, dict):
        raise SandboxError("filters must be a dict like {'status': 'open', 'qty__gt': 3}")
    result = []
    for key, value in filters.items():
        field, _, op = str(key).partition("__")
        op = op or "eq"
        if op not in OPERATORS:
            raise SandboxError(f"unknown filter operator {op!r}")
        result.append(Filter(field, op, list(value) if op == "in" else value))
    return result


def data_helpers(session: Session, calls: list[int]) -> dict[str, Any]:
    """``calls`` counts this run's reads; ``rule_scope`` resets it for every run."""

    def charge() -> None:
        calls[0] += 1
        if calls[0] > MAX_HELPER_CALLS:
            raise SandboxError(f"a rule may read data at most {MAX_HELPER_CALLS} times")

    def lookup(object_name: str, record_id: Any) -> RecordView | None:
        """One record by id, or None if it does not exist or may not be seen."""
        charge()
        if record_id is None:
            return None
        try:
            with off_the_clock():
                return RecordView(session.records.get(object_name, record_id))
        except (NotFound, PermissionDenied):
            return None

    def query(
        object_name: str, filters: Any = None, sort: Any = None, limit: int = 20
    ) -> list[RecordView]:
        """Records matching filters (``field__op`` keys), sorted, at most ``limit``."""
        charge()
        if not isinstance(limit, int) or not 1 <= limit <= MAX_QUERY_LIMIT:
            raise SandboxError(f"limit must be from 1 to {MAX_QUERY_LIMIT}")
        order = [s for s in str(sort).split(",") if s] if sort else []
        try:
            with off_the_clock():
                wanted = ListQuery(list_filters(filters), order, limit)
                page = session.records.list(object_name, wanted)
        except (ValidationError, NotFound, PermissionDenied) as exc:
            raise SandboxError(f"query({object_name!r}): {exc.detail}") from None
        return [RecordView(r) for r in page.data]

    def count(object_name: str, filters: Any = None) -> int:
        charge()
        try:
            with off_the_clock():
                return session.records.count(object_name, ListQuery(list_filters(filters)))
        except (ValidationError, NotFound, PermissionDenied) as exc:
            raise SandboxError(f"count({object_name!r}): {exc.detail}") from None

    def setting(name: str) -> Any:
        """A pack setting such as ``setting("field_service.require_check_in")``."""
        charge()
        try:
            with off_the_clock():
                return get_setting(session, str(name))
        except NotFound as exc:
            raise SandboxError(exc.detail) from None

    return {"lookup": lookup, "query": query, "count": count, "setting": setting}


def helpers(session: Session) -> dict[str, Any]:
    """Helpers of a session, built once per session."""
    cached = session.__dict__.get("_rule_helpers")
    if cached is None:
        calls = session.__dict__["_rule_reads"] = [0]
        cached = {
            **time_helpers(session.actor.zone, session.tenant.clock),
            **data_helpers(session, calls),
            "user": UserView(session.actor),
        }
        session.__dict__["_rule_helpers"] = cached
    return cached


def rule_scope(
    session: Session,
    values: Mapping[str, Any],
    old: Mapping[str, Any] | None = None,
    writable: bool = False,
    fields: tuple[str, ...] = (),
    **extra: Any,
) -> dict[str, Any]:
    """The names a rule sees. ``fields`` are all the object's field names: those missing
    from ``values`` are there too, as None."""
    if fields:
        values = {**dict.fromkeys(fields), **values}
    scope = dict(helpers(session))
    session.__dict__["_rule_reads"][0] = 0  # the read budget is per run, not per session
    scope.update(values)
    scope["record"] = WritableRecord(values) if writable else RecordView(values)
    scope["old"] = RecordView(old) if old is not None else None
    scope.update(extra)
    return scope
