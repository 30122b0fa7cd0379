"""Workflows compiled once per metadata revision: states, transitions and their rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from plinth.i18n import localize
from plinth.rules.sandbox import CompiledRule, compile_rule
from plinth.runtime.compiler import CompiledMetadata
from plinth.workflow.calendar import parse_duration

CLOSED_CATEGORIES = frozenset({"done", "cancelled"})


@dataclasses.dataclass(frozen=True)
class State:
    name: str
    label: Any
    category: str
    initial: bool
    sla_pause: bool
    max_dwell: dt.timedelta | None

    def title(self, locale: str = "en") -> str:
        return localize(self.label, locale) or self.name


@dataclasses.dataclass(frozen=True)
class Approval:
    levels: tuple[dict[str, Any], ...]
    pending_state: str
    on_reject: str | None


@dataclasses.dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: frozenset[str] | None  # None: from any state
    to: str
    roles: frozenset[str]
    condition: CompiledRule | None
    require: tuple[str, ...]
    set: tuple[tuple[str, CompiledRule], ...]
    comment_required: bool
    actions: tuple[dict[str, Any], ...]
    approval: Approval | None
    condition_message: Any = None

    def title(self, locale: str = "en") -> str:
        return localize(self.label, locale) or self.name.replace("_", " ").capitalize()

    def leaves(self, state: str | None) -> bool:
        """Whether this transition may fire from ``state``."""
        return self.sources is None or state in self.sources


@dataclasses.dataclass(frozen=True)
class Workflow:
    name: str
    object: str
    field: str
    states: dict[str, State]
    transitions: dict[str, Transition]

    @property
    def initial(self) -> str:
        return next(s.name for s in self.states.values() if s.initial)

    def from_state(self, state: str | None) -> list[Transition]:
        return [t for t in self.transitions.values() if t.leaves(state)]

    def paused(self, state: str | None) -> bool:
        found = self.states.get(state)  # type: ignore[arg-type]  # None finds none
        return bool(found and found.sla_pause)


def workflow_for(compiled: CompiledMetadata, object_name: str) -> Workflow | None:
    """The workflow bound to an object (at most one per object), or None."""
    cache = compiled.__dict__.setdefault("_workflows", None)
    if cache is None:
        cache = compiled.__dict__["_workflows"] = {
            doc["object"]: _build(doc) for doc in compiled.docs("workflows").values()
        }
    return cache.get(object_name)


def _build(doc: Mapping[str, Any]) -> Workflow:
    states = {
        s["name"]: State(
            s["name"],
            s.get("label"),
            s["category"],
            bool(s.get("initial")),
            bool(s.get("sla_pause")),
            parse_duration(s["max_dwell"]) if s.get("max_dwell") else None,
        )
        for s in doc["states"]
    }
    transitions = {t["name"]: _transition(t) for t in doc.get("transitions", ())}
    return Workflow(doc["name"], doc["object"], doc["field"], states, transitions)


def _transition(spec: Mapping[str, Any]) -> Transition:
    sources = spec.get("from", "*")
    approval = spec.get("approval")
    return Transition(
        name=spec["name"],
        label=spec.get("label"),
        sources=None if sources == "*" else frozenset(sources),
        to=spec["to"],
        roles=frozenset(spec.get("roles", ())),
        condition=compile_rule(spec["condition"]) if spec.get("condition") else None,
        require=tuple(spec.get("require", ())),
        set=tuple((name, compile_rule(source)) for name, source in (spec.get("set") or {}).items()),
        comment_required=bool(spec.get("comment_required")),
        actions=tuple(spec.get("actions", ())),
        approval=Approval(
            tuple(approval["levels"]), approval["pending_state"], approval.get("on_reject")
        )
        if approval
        else None,
        condition_message=spec.get("condition_message"),
    )
