"""The metadata kinds, and the JSON Schema validator of each."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

KINDS: tuple[str, ...] = (
    "objects",
    "calendars",
    "roles",
    "layouts",
    "workflows",
    "sla_policies",
    "assignment_rules",
    "validation_rules",
    "automations",
)
"""Every kind, in dependency order (a kind only refers to kinds before it, or its own)."""

SINGULAR = {
    "objects": "object",
    "calendars": "calendar",
    "roles": "role",
    "layouts": "layout",
    "workflows": "workflow",
    "sla_policies": "SLA policy",
    "assignment_rules": "assignment rule",
    "validation_rules": "validation rule",
    "automations": "automation",
}

BUILTIN_ROLES = frozenset({"admin"})


def is_kind(kind: str) -> bool:
    return kind in KINDS


@functools.cache
def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema document of a kind."""
    text = resources.files("plinth.metadata").joinpath("schemas", f"{kind}.json").read_text("utf-8")
    return json.loads(text)


@functools.cache
def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(schema(kind))
