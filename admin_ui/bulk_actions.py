"""Bulk actions on the rows selected in a list: delete, set a field, fire a transition.

All of a batch or none of it: every record goes through the record service (or the
workflow engine) as the user, inside one savepoint; one refusal rolls the batch back and
each record's problem is reported.
"""

from __future__ import annotations

import dataclasses

from flask_babel import gettext as _

from admin_ui.forms import editable_fields
from admin_ui.i18n import current_locale, field_label, label
from admin_ui.messages import error_lines
from plinth.errors import NotFound, PlinthError, ValidationError
from plinth.runtime.model import Field, ObjectModel
from plinth.runtime.session import Session
from plinth.workflow.definitions import workflow_for
from plinth.workflow.transitions import fire, may_fire

MAX_SELECTED = 200


@dataclasses.dataclass(frozen=True)
class Choice:
    value: str
    text: str


class BatchFailed(Exception):
    """Some records refused the action; ``problems`` maps record ids to messages."""

    def __init__(self, problems: dict[int, str]) -> None:
        super().__init__(f"{len(problems)} record(s) refused")
        self.problems = problems


def choices(session: Session, model: ObjectModel, fields: list[Field]) -> list[Choice]:
    """What the user may do to a selection, for the list's bulk menu."""
    out: list[Choice] = []
    for field in editable_fields(session, model, fields):
        kind = field.type.name
        if kind == "select":
            for option in field.spec.get("options", ()):
                text = f"{field_label(field)} → {label(option.get('label')) or option['value']}"
                out.append(Choice(f"set:{field.name}:{option['value']}", text))
        elif kind == "boolean":
            out.append(Choice(f"set:{field.name}:true", f"{field_label(field)} → ✓"))
            out.append(Choice(f"set:{field.name}:false", f"{field_label(field)} → ✗"))
    workflow = workflow_for(session.compiled, model.name)
    if workflow is not None:
        for transition in workflow.transitions.values():
            if may_fire(session.actor, transition) and not transition.require:
                if not transition.comment_required:
                    out.append(Choice(f"transition:{transition.name}",
                                      transition.title(current_locale())))  # fmt: skip
    if session.guard.allows(model, "delete"):
        out.append(Choice("delete", _("Delete")))
    return out


def apply(
    session: Session, model: ObjectModel, ids: list[int], action: str, fields: list[Field]
) -> int:
    """Apply ``action`` (one of ``choices``) to the records ``ids``; returns how many."""
    if not ids:
        raise ValidationError.single("ids", "select at least one record")
    if len(ids) > MAX_SELECTED:
        raise ValidationError.single("ids", f"select at most {MAX_SELECTED} records")
    allowed = {c.value for c in choices(session, model, fields)}
    if action not in allowed:
        raise ValidationError.single("action", "is not an action you may take here")
    problems: dict[int, str] = {}
    with session.savepoint():  # BatchFailed leaving it rolls the whole batch back
        for record_id in ids:
            try:
                with session.savepoint():
                    _one(session, model, record_id, action, fields)
            except PlinthError as exc:
                problems[record_id] = _message(model, exc)
        if problems:
            raise BatchFailed(problems)
    return len(ids)


def _one(
    session: Session, model: ObjectModel, record_id: int, action: str, fields: list[Field]
) -> None:
    if action == "delete":
        session.records.delete(model.name, record_id)
        return
    kind, _, rest = action.partition(":")
    if kind == "transition":
        fire(session, model.name, record_id, rest)
        return
    name, _, raw = rest.partition(":")
    field = model.fields[name]
    value = (raw == "true") if field.type.name == "boolean" else raw
    session.records.update(model.name, record_id, {name: value})


def _message(model: ObjectModel, exc: PlinthError) -> str:
    """A record's refusal in the user's language, fields named by their labels."""
    if isinstance(exc, NotFound):
        return str(_("Not found."))
    return "; ".join(error_lines(model, exc))
