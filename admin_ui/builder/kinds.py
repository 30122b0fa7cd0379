"""The metadata kinds the builder edits with a generated form, and their names in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from plinth.runtime.compiler import CompiledMetadata

KIND_LABELS = {
    "objects": _l("Objects"),
    "layouts": _l("Layouts"),
    "workflows": _l("Workflows"),
    "validation_rules": _l("Validation rules"),
    "automations": _l("Automations"),
    "sla_policies": _l("SLA policies"),
    "assignment_rules": _l("Assignment rules"),
    "calendars": _l("Calendars"),
    "roles": _l("Roles"),
}

DOCUMENT_KINDS = (
    "validation_rules",
    "automations",
    "sla_policies",
    "assignment_rules",
    "calendars",
    "roles",
)
"""Edited with the form generated from the kind's JSON Schema (see ``documents``)."""

CHOICE_SOURCES = {"object": "objects", "target": "objects", "calendar": "calendars"}
"""Properties whose value names a document of another kind: offered as a list to pick."""


def choices_from(compiled: CompiledMetadata) -> Callable[[str], list[str] | None]:
    """For a property name, the names it may take (None when any text goes)."""

    def choices(key: str) -> list[str] | None:
        kind = CHOICE_SOURCES.get(key)
        return sorted(compiled.docs(kind)) if kind else None

    return choices
