"""Candidate profiles kept between decisions, refreshed row by row as candidates change.

Reading and normalising 1,000 candidates (JSON skills, groups, absences, calendars) costs
far more than scoring them. A cached entry remembers a fingerprint of the candidate rows
(count, highest id, sum of versions, latest update) and of the related rows the rule reads.
When only candidate rows moved (an engineer's location was updated, one was added), just
the rows updated since the entry was built are read again, and rows that left the set are
dropped; if the cached versions then do not add up to the fingerprint's, or related rows
moved, everything is rebuilt. Loads are never cached.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from plinth.rules.assignment.candidates import Candidate, load_candidates
from plinth.rules.assignment.definitions import AssignmentRule
from plinth.rules.assignment.matching import Profile
from plinth.rules.assignment.profiles import build_profiles, candidate_fields
from plinth.rules.scope import list_filters
from plinth.runtime.query import QueryCompiler

if TYPE_CHECKING:
    from plinth.runtime.session import Session

CACHE_SIZE = 64
# Rows are re-read from a little before the latest update seen, for transactions that
# stamped their rows earlier but committed later; the version check below catches the rest.
REREAD_MARGIN = dt.timedelta(seconds=30)


@dataclasses.dataclass(frozen=True)
class _Entry:
    own: tuple[Any, ...]  # fingerprint of the candidate rows
    related: tuple[tuple[Any, ...], ...]  # fingerprints of related rows (skills, groups...)
    rows: dict[int, tuple[Candidate, Profile]]


_CACHE: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
_LOCK = threading.Lock()


def candidates_and_profiles(
    session: Session, rule: AssignmentRule, record: Mapping[str, Any]
) -> tuple[list[Candidate], list[Profile]]:
    """The rule's candidates admitted for this record and their (load-free) profiles."""
    if "role" in rule.candidates or rule.candidate_condition is not None:
        # Users with a role are few; a candidate condition depends on the record.
        return _split(_build(session, rule, record))
    key = (id(session.tenant), session.compiled.revision_id, rule.object, rule.name)
    model = session.compiled.object(cast(str, rule.candidate_object))  # not users with a role
    clauses = QueryCompiler(model, session.coercion, None).filters(
        list_filters(rule.candidates.get("filter"))
    )
    own = _summary(session, model.table, clauses)
    related = tuple(
        _summary(session, session.compiled.object(spec["object"]).table, ())
        for spec in _related_specs(rule)
    )
    with _LOCK:
        entry = _CACHE.get(key)
    if entry is not None and entry.related == related and entry.own == own:
        return _split(entry.rows)
    if entry is None or entry.related != related:
        rows = _build(session, rule, record)
    else:
        rows = _refresh(session, rule, record, entry, own, model.table, clauses)
    with _LOCK:
        _CACHE[key] = _Entry(own, related, rows)
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return _split(rows)


def _split(rows: dict[int, tuple[Candidate, Profile]]) -> tuple[list[Candidate], list[Profile]]:
    ordered = [rows[i] for i in sorted(rows)]
    return [c for c, _ in ordered], [p for _, p in ordered]


def _build(
    session: Session, rule: AssignmentRule, record: Mapping[str, Any]
) -> dict[int, tuple[Candidate, Profile]]:
    candidates = load_candidates(session, rule, record, candidate_fields(rule))
    profiles = build_profiles(session, rule, candidates)
    return {c.id: (c, p) for c, p in zip(candidates, profiles, strict=True)}


def _refresh(
    session: Session,
    rule: AssignmentRule,
    record: Mapping[str, Any],
    entry: _Entry,
    own: tuple[Any, ...],
    table: sa.Table,
    clauses: Iterable[sa.ColumnElement[bool]],
) -> dict[int, tuple[Candidate, Profile]]:
    """Re-read the rows updated since the entry's latest update; drop rows that left."""
    latest = entry.own[3]
    if latest is None:
        return _build(session, rule, record)
    since = _instant(latest) - REREAD_MARGIN
    changed = load_candidates(session, rule, record, candidate_fields(rule), since)
    rows = dict(entry.rows)
    rows.update(
        (c.id, (c, p)) for c, p in zip(changed, build_profiles(session, rule, changed), strict=True)
    )
    if len(rows) != own[0] or max(rows, default=None) != own[1]:
        present = {r[0] for r in session.conn.execute(sa.select(table.c.id).where(*clauses))}
        rows = {i: v for i, v in rows.items() if i in present}
    versions = sum(c.record["version"] for c, _ in rows.values())
    if len(rows) != own[0] or versions != own[2]:
        # A row committed late with an older updated_at: never serve a stale set.
        return _build(session, rule, record)
    return rows


def _summary(
    session: Session, table: sa.Table, clauses: Iterable[sa.ColumnElement[bool]]
) -> tuple[Any, ...]:
    query = sa.select(
        sa.func.count(),
        sa.func.max(table.c.id),
        sa.func.coalesce(sa.func.sum(table.c.version), 0),
        sa.func.max(table.c.updated_at),
    ).where(*clauses)
    return tuple(session.conn.execute(query).one())


def _instant(value: str | dt.datetime) -> dt.datetime:
    """An aggregate's updated_at (SQLite returns text from max()) as an aware datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _related_specs(rule: AssignmentRule) -> Iterator[Mapping[str, Any]]:
    match = rule.match
    for source in (
        (match.get("skills") or {}).get("candidate"),
        (match.get("group") or {}).get("candidate"),
        (match.get("working_hours") or {}).get("absences"),
    ):
        if isinstance(source, Mapping):
            yield source
