"""Assignment rules compiled once per metadata revision."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from plinth.rules.sandbox import CompiledRule, compile_rule
from plinth.runtime.compiler import CompiledMetadata

DEFAULT_WEIGHTS = {"skills": 1.0, "load": 1.0, "distance": 1.0, "group": 1.0, "preferred": 1.0}


@dataclasses.dataclass(frozen=True)
class AssignmentRule:
    name: str
    object: str
    field: str
    priority: int
    on: str  # create, state or manual
    state: str | None
    condition: CompiledRule | None
    candidates: dict[str, Any]
    candidate_condition: CompiledRule | None
    method: str
    assignee: int | str | None
    load_states: tuple[str, ...] | None
    source_field: str | None
    match: dict[str, Any]
    weights: dict[str, float]
    pool: bool

    @property
    def candidate_object(self) -> str | None:
        return self.candidates.get("object")


def rules_for(compiled: CompiledMetadata, object_name: str) -> tuple[AssignmentRule, ...]:
    """The active assignment rules of an object, by priority (lowest first), then name."""
    cache = compiled.__dict__.get("_assignment_rules")
    if cache is None:
        cache = {}
        for _, doc in sorted(compiled.docs("assignment_rules").items()):
            if doc.get("active", True):
                cache.setdefault(doc["object"], []).append(_build(doc))
        cache = {k: tuple(sorted(v, key=lambda r: (r.priority, r.name))) for k, v in cache.items()}
        compiled.__dict__["_assignment_rules"] = cache
    return cache.get(object_name, ())


def rule_named(compiled: CompiledMetadata, object_name: str, name: str) -> AssignmentRule | None:
    return next((r for r in rules_for(compiled, object_name) if r.name == name), None)


def _build(doc: Mapping[str, Any]) -> AssignmentRule:
    candidates = dict(doc.get("candidates") or {})
    return AssignmentRule(
        name=doc["name"],
        object=doc["object"],
        field=doc["field"],
        priority=doc.get("priority", 100),
        on=doc["when"]["on"],
        state=doc["when"].get("state"),
        condition=compile_rule(doc["condition"]) if doc.get("condition") else None,
        candidates=candidates,
        candidate_condition=(
            compile_rule(candidates["condition"]) if candidates.get("condition") else None
        ),
        method=doc["method"],
        assignee=doc.get("assignee"),
        load_states=tuple(doc["load_states"]) if doc.get("load_states") else None,
        source_field=doc.get("source_field"),
        match=dict(doc.get("match") or {}),
        weights={**DEFAULT_WEIGHTS, **(doc.get("weights") or {})},
        pool=bool(doc.get("pool")),
    )
