"""Review, then publish: the schema change a metadata change makes, confirmed by a person.

Every builder form ends here. The page lists the documents that change and the database
steps; a destructive step (a column or table whose data would be archived, values that
would not fit) is listed with its row count and needs an explicit confirmation.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug import Response

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from admin_ui.builder.publishing import (
    Operation,
    Outcome,
    base_revision,
    decode,
    encode,
    plan,
    publish,
)
from admin_ui.pages.account import safe_next
from plinth.auth.actor import Actor
from plinth.errors import ValidationError


def review_page(
    actor: Actor, operations: list[Operation], back: str, title: str, always: bool = True
) -> tuple[Outcome, str | Response | None]:
    """Plan ``operations``; show the review page, or publish at once when nothing in the
    database changes and ``always`` is false. Returns (outcome, response or None): a
    refused plan gives no response, so the caller shows the form again with its errors."""
    outcome = plan(actor, operations)
    if not outcome.ok:
        return outcome, None
    if not always and not outcome.steps:
        done = publish(actor, operations, confirm=False, message=title, base=base_revision())
        if not done.ok:
            return done, None
        _flash_published(done)
        return done, redirect(safe_next(back))
    page = render_template(
        "admin/review.html",
        title=title,
        outcome=outcome,
        operations=[encode(op) for op in operations],
        back=back,
        base=base_revision(),
    )
    return outcome, page


def refused_page(outcome: Outcome, back: str) -> tuple[str, int]:
    """A change the publisher refused outright (another document still uses it, say)."""
    messages = [f"{p}: {' '.join(m)}" for p, m in outcome.errors.items()]
    if outcome.refusal:
        messages.append(outcome.refusal)
    return render_template("admin/refused.html", messages=messages, back=back), 409


def _flash_published(outcome: Outcome) -> None:
    if outcome.revision_id:
        flash(_("Published as revision %(id)s.", id=outcome.revision_id))
    else:
        flash(_("Nothing changed."))


@builder.post("/publish")
def publish_reviewed() -> ResponseReturnValue:
    """Publish what a review page showed (confirmation required if it loses data)."""
    with admin_session(write=False) as s:
        actor = s.actor
    back = safe_next(request.form.get("back"))
    try:
        operations = [decode(text) for text in request.form.getlist("operation")]
    except ValueError as exc:
        raise ValidationError.single("/operation", str(exc)) from None
    confirm = request.form.get("confirm") == "on"
    message = (request.form.get("message") or "").strip()
    base = base_revision()
    outcome = publish(actor, operations, confirm=confirm, message=message, base=base)
    if outcome.ok:
        _flash_published(outcome)
        return redirect(back)
    again = plan(actor, operations)
    page = render_template(
        "admin/review.html",
        title=message,
        outcome=again if again.ok else outcome,
        refusal=outcome.refusal,
        errors=outcome.errors,
        operations=request.form.getlist("operation"),
        back=back,
        message=message,
        base=base,
    )
    return page, 409
