"""A record's workflow steps: the step buttons post here, and a step that needs input opens
its form (the fields it requires, each with the widget record forms use, and a comment).

The form's values are read by ``admin_ui.forms`` as a record form's are, so a geo field is a
map with "Use my location" and its ``accuracy_field`` comes with it; refusals are said in the
user's language and name fields by their labels (``admin_ui.messages``).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from admin_ui.forms import editable_fields, values_from_form
from admin_ui.i18n import current_locale
from admin_ui.messages import error_lines, field_errors
from admin_ui.pages import pages
from admin_ui.pages.context import page_session
from admin_ui.values import expand_names
from plinth.errors import Conflict, NotFound, PermissionDenied, ValidationError
from plinth.runtime.model import Field, ObjectModel
from plinth.runtime.session import Session
from plinth.workflow.definitions import Transition
from plinth.workflow.transitions import available_on, fire, require_workflow


def transition_fields(s: Session, model: ObjectModel, transition: Transition) -> list[Field]:
    """The fields a step's form shows: those the transition requires (that the user may
    read), each geo field followed by the field its ``accuracy_field`` names."""
    readable = s.guard.readable(model)
    names: list[str] = []
    for name in transition.require:
        field = model.fields.get(name)
        if field is None or name in names:
            continue
        names.append(name)
        accuracy = field.spec.get("accuracy_field") if field.type.name == "geo" else None
        if accuracy in model.fields and accuracy not in names:
            names.append(accuracy)
    return [model.fields[n] for n in names if readable is None or n in readable]


def _step(s: Session, object_name: str, name: str) -> tuple[ObjectModel, Transition]:
    model = s.compiled.object(object_name)
    transition = require_workflow(s, object_name).transitions.get(name)
    if transition is None:
        raise NotFound(f"{object_name} has no transition {name!r}")
    return model, transition


def _back(object_name: str, record_id: int) -> ResponseReturnValue:
    return redirect(url_for("pages.record_view", object_name=object_name, record_id=record_id))


@pages.get("/<object_name>/<int:record_id>/transitions/<name>")
def transition_form(object_name: str, record_id: int, name: str) -> ResponseReturnValue:
    with page_session() as s:
        model, transition = _step(s, object_name, name)
        if name not in {b["name"] for b in available_on(s, object_name, record_id)}:
            flash(_("“%(step)s” is not possible now.", step=_title(transition)), "error")
            return _back(object_name, record_id)
        fields = transition_fields(s, model, transition)
        record = s.records.get(object_name, record_id, expand_fields=expand_names(fields))
        return _form(s, model, transition, record, fields, dict(record), {}, "")


@pages.post("/<object_name>/<int:record_id>/transitions/<name>")
def record_transition(object_name: str, record_id: int, name: str) -> ResponseReturnValue:
    """Fire a step with the values of its form (parsed as record forms are); problems with
    fields show the form again with them, other refusals go back to the record."""
    with page_session() as s:
        model, transition = _step(s, object_name, name)
        editable = editable_fields(s, model, list(model.user_fields))
        values = values_from_form(editable, request.form, creating=False)
        comment = (request.form.get("comment") or "").strip()
        sent = request.form.get("version", "")
        try:
            with s.savepoint():
                fire(
                    s,
                    object_name,
                    record_id,
                    name,
                    values or None,
                    comment or None,
                    int(sent) if sent.isdigit() else None,
                )
        except ValidationError as exc:
            if not exc.errors:  # the condition does not hold: nothing to fill in
                _flash_refusal(model, exc)
                return _back(object_name, record_id)
            fields = transition_fields(s, model, transition)
            record = s.records.get(object_name, record_id, expand_fields=expand_names(fields))
            typed = {**record, **values}
            page = _form(s, model, transition, record, fields, typed, exc.errors, comment)
            return page, 422
        except (Conflict, PermissionDenied) as exc:  # another state, a newer version, a role
            _flash_refusal(model, exc)
        else:
            flash(_("Done."))
        return _back(object_name, record_id)


def _flash_refusal(model: ObjectModel, exc: ValidationError | Conflict | PermissionDenied) -> None:
    for line in error_lines(model, exc):
        flash(line, "error")


def _title(transition: Transition) -> str:
    return transition.title(current_locale())


def _form(
    s: Session,
    model: ObjectModel,
    transition: Transition,
    record: dict[str, Any],
    fields: list[Field],
    values: dict[str, Any],
    errors: dict[str, list[str]],
    comment: str,
) -> str:
    shown = {f.name for f in fields}
    return render_template(
        "app/transition.html",
        model=model,
        transition=transition,
        action=_title(transition),
        record=record,
        fields=fields,
        required=set(transition.require),
        editable={f.name for f in editable_fields(s, model, fields)},
        values=values,
        errors=field_errors(errors),
        others=[key for key in errors if key not in shown and key != "comment"],
        comment=comment,
    )
