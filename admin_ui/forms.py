"""From a submitted form to record values, one rule per field type.

Values go to the record service as text wherever its coercion reads text (numbers, dates,
local date-times in the user's time zone), so a page and the API give the same messages.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from plinth.json_input import JsonInputError, loads
from plinth.runtime.field_types.references import AttachmentType
from plinth.runtime.model import Field, ObjectModel
from plinth.runtime.session import Session
from plinth.workflow.definitions import workflow_for

READ_ONLY_TYPES = frozenset({"formula", "autonumber"})
NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*")


def editable_fields(session: Session, model: ObjectModel, fields: list[Field]) -> list[Field]:
    """The fields of ``fields`` this user may change in a form (a workflow's state field
    changes only through its transitions)."""
    editable = session.guard.editable(model)
    workflow = workflow_for(session.compiled, model.name)
    state = workflow.field if workflow is not None else None
    return [
        f
        for f in fields
        if not f.read_only
        and f.type.name not in READ_ONLY_TYPES
        and f.name != state
        and (editable is None or f.name in editable)
    ]


def values_from_form(
    fields: list[Field], form: MultiDict[str, str], creating: bool
) -> dict[str, Any]:
    """Record values for ``fields`` from ``form``; a field missing from the form is left out."""
    values = {}
    for field in fields:
        present, value = _read(field, form, creating)
        if present:
            values[field.name] = value
    return values


def _read(field: Field, form: MultiDict[str, str], creating: bool) -> tuple[bool, Any]:
    name, kind = field.name, field.type.name
    if kind == "boolean":
        return f"{name}__shown" in form, form.get(name) in ("on", "true", "1")
    if kind == "multiselect":
        return f"{name}__shown" in form, [v for v in form.getlist(name) if v]
    if kind == "geo":
        lat, lng = form.get(f"{name}__lat"), form.get(f"{name}__lng")
        if lat is None and lng is None:
            return False, None
        if not (lat or "").strip() and not (lng or "").strip():
            return True, None
        return True, {"lat": _number(lat), "lng": _number(lng)}
    if kind == "signature":
        image = (form.get(name) or "").strip()
        if not image:
            return creating and name in form, None  # an unchanged signature is not resent
        signer = (form.get(f"{name}__signer") or "").strip()
        return True, {"image": image, **({"signer": signer} if signer else {})}
    if name not in form:
        return False, None
    raw = form.get(name, "")
    if kind == "json":
        if not raw.strip():
            return True, None
        try:
            return True, loads(raw)  # bounded nesting: json.loads alone could recurse away
        except JsonInputError:
            return True, raw  # the record service says what is wrong with it
    if kind in ("lookup", "user"):
        raw = raw.strip()
        return True, int(raw) if raw.isdigit() else (raw or None)
    if kind == "attachment":
        ids = [v for v in form.getlist(name) if v.strip()]
        if isinstance(field.type, AttachmentType) and field.type.multiple(field):
            return True, ids
        return True, ids[0] if ids else None
    if raw.strip() == "":
        return True, None
    return True, raw


def _number(text: str | None) -> float | str | None:
    if text is not None and NUMBER.fullmatch(text):
        return float(text)
    return text
