"""SLA policies compiled once per metadata revision."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from plinth.rules.sandbox import CompiledRule, compile_rule
from plinth.runtime.compiler import CompiledMetadata
from plinth.workflow.calendar import BusinessCalendar, calendar_for, parse_duration

DEFAULT_WARN_AT = 0.8


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    start_states: frozenset[str] | None  # None: the clock starts when the policy applies
    stop_states: frozenset[str]
    stop_on: str | None
    durations: dict[str, dt.timedelta]

    def duration(self, priority: Any) -> dt.timedelta | None:
        """The target for a priority value (or the ``default`` one), None when there is none."""
        if priority is not None and str(priority) in self.durations:
            return self.durations[str(priority)]
        return self.durations.get("default")


@dataclasses.dataclass(frozen=True)
class Policy:
    name: str
    object: str
    applies_if: CompiledRule | None
    calendar: BusinessCalendar
    priority_field: str | None
    warn_at: float
    targets: tuple[Target, ...]

    def target(self, name: str) -> Target | None:
        return next((t for t in self.targets if t.name == name), None)


def policies_for(compiled: CompiledMetadata, object_name: str) -> tuple[Policy, ...]:
    """The active SLA policies of an object, by name."""
    cache = compiled.__dict__.get("_sla_policies")
    if cache is None:
        cache = {}
        calendars = compiled.docs("calendars")
        for _, doc in sorted(compiled.docs("sla_policies").items()):
            if doc.get("active", True) and doc["calendar"] in calendars:
                policy = _build(doc, calendars[doc["calendar"]])
                cache.setdefault(policy.object, []).append(policy)
        cache = {k: tuple(v) for k, v in cache.items()}
        compiled.__dict__["_sla_policies"] = cache
    return cache.get(object_name, ())


def _build(doc: Mapping[str, Any], calendar_doc: Mapping[str, Any]) -> Policy:
    return Policy(
        name=doc["name"],
        object=doc["object"],
        applies_if=compile_rule(doc["applies_if"]) if doc.get("applies_if") else None,
        calendar=calendar_for(calendar_doc),
        priority_field=doc.get("priority_field"),
        warn_at=doc.get("warn_at", DEFAULT_WARN_AT),
        targets=tuple(
            Target(
                name=t["name"],
                start_states=frozenset(t["start_states"]) if t.get("start_states") else None,
                stop_states=frozenset(t.get("stop_states", ())),
                stop_on=t.get("stop_on"),
                durations={k: parse_duration(v) for k, v in t["durations"].items()},
            )
            for t in doc["targets"]
        ),
    )
