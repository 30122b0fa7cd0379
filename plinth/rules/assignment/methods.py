"""The assignment methods: each turns a rule and a record into a Decision."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from plinth.errors import NotFound
from plinth.rules.assignment.candidates import Candidate, load_candidates, load_counts
from plinth.rules.assignment.definitions import AssignmentRule
from plinth.rules.assignment.matching import exclusion, rank
from plinth.rules.assignment.profile_cache import candidates_and_profiles
from plinth.rules.assignment.profiles import build_job
from plinth.rules.record_rules import RuleFailed
from plinth.runtime import system_tables as st

if TYPE_CHECKING:
    from plinth.runtime.session import Session

RANKING_SHOWN = 10


@dataclasses.dataclass
class Decision:
    """What a rule decided: an assignee (the field's new value) or a pool of candidates;
    ``detail`` says why (scores, exclusions) and is kept in the assignment log."""

    rule: AssignmentRule
    assignee: Any = None
    pool: list[Candidate] | None = None
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def decided(self) -> bool:
        return self.assignee is not None or bool(self.pool)


def decide(session: Session, rule: AssignmentRule, record: dict[str, Any]) -> Decision:
    """Apply a rule's method to a record (as the system: candidates are not the caller's)."""
    system = session.as_system()
    method = METHODS[rule.method]
    return method(system, rule, record)


def assignee_of(session: Session, rule: AssignmentRule) -> Callable[[Candidate], Any]:
    """How a candidate becomes the field's value: its id for lookups, its user for users."""
    field = session.compiled.object(rule.object).fields[rule.field]
    if field.type.name == "user" and "role" not in rule.candidates:
        return lambda candidate: candidate.user_id
    return lambda candidate: candidate.id


def _fixed(session: Session, rule: AssignmentRule, record: dict[str, Any]) -> Decision:
    value = rule.assignee
    field = session.compiled.object(rule.object).fields[rule.field]
    if field.type.name == "user" and isinstance(value, str):
        value = session.conn.scalar(sa.select(st.user.c.id).where(st.user.c.email == value))
        if value is None:
            raise RuleFailed(f"assignment rule {rule.name}: no user {rule.assignee!r}")
    return Decision(rule, value, detail={"assignee": value})


def _based_on_field(session: Session, rule: AssignmentRule, record: dict[str, Any]) -> Decision:
    first, _, second = cast(str, rule.source_field).partition(".")  # checked with the rule
    value = record.get(first)
    if second and value is not None:
        target = session.compiled.object(rule.object).fields[first].spec["target"]
        try:
            value = session.records.get(target, value, fields=[second])[second]
        except NotFound:
            value = None
    detail = {"source_field": rule.source_field, "value": value}
    if value is None:
        detail["reason"] = f"{rule.source_field} is empty"
    return Decision(rule, value, detail=detail)


def _eligible(
    session: Session, rule: AssignmentRule, record: dict[str, Any]
) -> tuple[list[Candidate], dict[str, Any]]:
    """The rule's candidates (by id) and what to log of them. With ``match`` criteria, a
    round robin or load balancing rule keeps only the candidates its hard filters admit
    (skills, group, working hours, distance, excluded: as best_match), so a fallback never
    assigns someone who may not do the work."""
    if not rule.match:
        candidates = load_candidates(session, rule, record)
        return candidates, {"considered": len(candidates)}
    candidates, profiles = candidates_and_profiles(session, rule, record)
    job = build_job(session, rule, record)
    kept: list[Candidate] = []
    excluded: dict[str, int] = {}
    for candidate, profile in zip(candidates, profiles, strict=True):
        reason = exclusion(job, profile)
        if reason is None:
            kept.append(candidate)
        else:
            excluded[reason] = excluded.get(reason, 0) + 1
    return kept, {"considered": len(candidates), "eligible": len(kept), "excluded": excluded}


def _round_robin(session: Session, rule: AssignmentRule, record: dict[str, Any]) -> Decision:
    candidates, seen = _eligible(session, rule, record)
    if rule.pool:
        return _pool(rule, candidates, seen)
    if not candidates:
        return Decision(rule, detail={**seen, "reason": "no candidates"})
    key = f"assignment:round_robin:{rule.object}:{rule.name}"
    last = _locked_pointer(session, key)
    chosen = next((c for c in candidates if last is None or c.id > last), candidates[0])
    now = session.tenant.clock()
    session.conn.execute(
        st.setting.update().where(st.setting.c.key == key).values(value=chosen.id, updated_at=now)
    )
    value = assignee_of(session, rule)(chosen)
    return Decision(rule, value, detail={**seen, "after": last})


def _locked_pointer(session: Session, key: str) -> int | None:
    """The round-robin pointer, locked until the transaction ends (created if missing)."""
    table = st.setting
    select = sa.select(table.c.value).where(table.c.key == key).with_for_update()
    row = session.conn.execute(select).first()
    if row is None:
        try:
            with session.savepoint():
                session.conn.execute(
                    table.insert(),
                    {"key": key, "value": None, "updated_at": session.tenant.clock()},
                )
        except sa.exc.IntegrityError:
            pass  # another transaction created it: wait for its lock below
        row = session.conn.execute(select).first()
    return cast("sa.Row[Any]", row).value  # there is one now, ours or the other's


def _load_balancing(session: Session, rule: AssignmentRule, record: dict[str, Any]) -> Decision:
    candidates, seen = _eligible(session, rule, record)
    if rule.pool:
        return _pool(rule, candidates, seen)
    if not candidates:
        return Decision(rule, detail={**seen, "reason": "no candidates"})
    value_of = assignee_of(session, rule)
    loads = load_counts(session, rule, [value_of(c) for c in candidates], record.get("id"))
    lightest = sorted(candidates, key=lambda c: (loads.get(value_of(c), 0), c.id))
    ranking = [{"id": c.id, "load": loads.get(value_of(c), 0)} for c in lightest[:RANKING_SHOWN]]
    return Decision(rule, value_of(lightest[0]), detail={**seen, "ranking": ranking})


def _best_match(session: Session, rule: AssignmentRule, record: dict[str, Any]) -> Decision:
    started = time.perf_counter()
    candidates, profiles = candidates_and_profiles(session, rule, record)
    value_of = assignee_of(session, rule)
    held = load_counts(session, rule, [value_of(c) for c in candidates], record.get("id"))
    loads = {c.id: held.get(value_of(c), 0) for c in candidates}
    loaded = time.perf_counter()
    ranking, excluded = rank(build_job(session, rule, record), profiles, rule.weights, loads)
    finished = time.perf_counter()
    detail = {
        "considered": len(candidates),
        "eligible": len(ranking),
        "excluded": excluded,
        "weights": rule.weights,
        "ranking": ranking[:RANKING_SHOWN],
        "milliseconds": {
            "load": round((loaded - started) * 1000, 3),
            "score": round((finished - loaded) * 1000, 3),
        },
    }
    if rule.pool:
        by_id = {c.id: c for c in candidates}
        return _pool(rule, [by_id[r["id"]] for r in ranking], detail)
    if not ranking:
        return Decision(rule, detail={**detail, "reason": "no eligible candidate"})
    chosen = next(c for c in candidates if c.id == ranking[0]["id"])
    return Decision(rule, value_of(chosen), detail=detail)


def _pool(rule: AssignmentRule, members: list[Candidate], detail: dict[str, Any]) -> Decision:
    detail = {**detail, "pool": [c.id for c in members]}
    if not members:
        detail["reason"] = "no eligible candidate for the pool"
    return Decision(rule, pool=members, detail=detail)


METHODS = {
    "fixed": _fixed,
    "based_on_field": _based_on_field,
    "round_robin": _round_robin,
    "load_balancing": _load_balancing,
    "best_match": _best_match,
}
