"""Who may be assigned: candidate records (or users with a role), their related rows and
their current load, each loaded with one query."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from plinth.rules.assignment.definitions import AssignmentRule
from plinth.rules.record_rules import evaluate_rule
from plinth.rules.sandbox import CompiledRule
from plinth.rules.sandbox.views import RecordView
from plinth.rules.scope import list_filters, rule_scope
from plinth.runtime import system_tables as st
from plinth.runtime.query import QueryCompiler
from plinth.runtime.record_reads import RecordReader
from plinth.workflow.definitions import CLOSED_CATEGORIES, Workflow, workflow_for

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel
    from plinth.runtime.session import Session


@dataclasses.dataclass
class Candidate:
    id: int
    user_id: int | None
    record: dict[str, Any]


def load_candidates(
    session: Session,
    rule: AssignmentRule,
    record: Mapping[str, Any],
    fields: Iterable[str] = (),
    changed_since: dt.datetime | None = None,
) -> list[Candidate]:
    """The candidates of a rule for a record, by id; ``fields`` are the candidate fields the
    caller needs (all of them when the rule has a candidate condition). ``changed_since``
    limits them to those updated at or after an instant."""
    if "role" in rule.candidates:
        return _users_with_role(session, rule.candidates["role"])
    model = session.compiled.object(cast(str, rule.candidate_object))  # candidates of an object
    user_field = rule.candidates.get("user_field")
    if rule.candidate_condition is not None:
        reader = RecordReader.full(model)
    else:
        wanted = {"id", "version", *fields, *([user_field] if user_field else [])}
        reader = RecordReader.cached(model, None, sorted(wanted))
    compiler = QueryCompiler(model, session.coercion, None)
    query = reader_select(reader, model).where(
        *compiler.filters(list_filters(rule.candidates.get("filter")))
    )
    if changed_since is not None:
        query = query.where(model.table.c.updated_at >= changed_since)
    rows = session.conn.execute(query.order_by(model.table.c.id)).mappings()
    result = [
        Candidate(r["id"], c.get(user_field) if user_field else None, c)
        for r in rows
        for c in (reader.to_record(r),)
    ]
    if rule.candidate_condition is None:
        return result
    scope = rule_scope(session, record, fields=tuple(session.compiled.object(rule.object).fields))
    return [c for c in result if _admits(rule, scope, c)]


def reader_select(reader: RecordReader, model: ObjectModel) -> sa.Select[Any]:
    return sa.select(*reader.base_columns).select_from(model.table)


def _admits(rule: AssignmentRule, scope: dict[str, Any], candidate: Candidate) -> bool:
    scope["candidate"] = RecordView(candidate.record)
    where = f"assignment rule {rule.name}: candidate condition"
    condition = cast(CompiledRule, rule.candidate_condition)  # only called when there is one
    return bool(evaluate_rule(condition, scope, where))


def _users_with_role(session: Session, role: str) -> list[Candidate]:
    query = (
        sa.select(st.user.c.id, st.user.c.email)
        .join(st.user_role, st.user_role.c.user_id == st.user.c.id)
        .where(st.user_role.c.role == role, st.user.c.active.is_(True))
        .order_by(st.user.c.id)
    )
    return [
        Candidate(r.id, r.id, {"id": r.id, "email": r.email}) for r in session.conn.execute(query)
    ]


def related_rows(
    session: Session, spec: dict[str, Any], candidate_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """Rows of ``spec["object"]`` whose ``spec["via"]`` points at one of the candidates."""
    model = session.compiled.object(spec["object"])
    names = [spec[k] for k in ("via", "key", "level", "efficiency", "from", "to") if spec.get(k)]
    reader = RecordReader.cached(model, None, sorted(set(names)))
    via = model.table.c[cast(str, model.fields[spec["via"]].column)]  # a lookup: stored
    result: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(candidate_ids, 5000):
        rows = session.conn.execute(reader_select(reader, model).where(via.in_(chunk))).mappings()
        for row in rows:
            item = reader.to_record(row)
            result.setdefault(item[spec["via"]], []).append(item)
    return result


def load_counts(
    session: Session, rule: AssignmentRule, assignees: list[int], exclude_id: Any = None
) -> dict[int, int]:
    """How many open records of the rule's object each assignee holds: records in
    ``load_states``, or else those whose workflow state is not done or cancelled."""
    model = session.compiled.object(rule.object)
    column = model.table.c[cast(str, model.fields[rule.field].column)]  # a lookup or user
    query = sa.select(column, sa.func.count()).where(column.is_not(None)).group_by(column)
    states = open_states(session, rule)
    if states is not None:
        workflow = cast(Workflow, workflow_for(session.compiled, rule.object))  # it has states
        state = cast(str, model.fields[workflow.field].column)  # a select field: stored
        query = query.where(model.table.c[state].in_(states))
    if exclude_id is not None:
        query = query.where(model.table.c.id != exclude_id)
    if len(assignees) <= 50:  # beyond that, one grouped scan is cheaper than binding ids
        query = query.where(column.in_(assignees))
    wanted = set(assignees)
    return {k: n for k, n in session.conn.execute(query) if k in wanted}  # type: ignore[misc]


def open_states(session: Session, rule: AssignmentRule) -> list[str] | None:
    if rule.load_states is not None:
        return list(rule.load_states)
    workflow = workflow_for(session.compiled, rule.object)
    if workflow is None:
        return None
    return [s.name for s in workflow.states.values() if s.category not in CLOSED_CATEGORIES]


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
