"""Publishing from the builder: the metadata API's publisher, its outcome as page data.

A change is first planned (a dry run that also plans destructive steps), so the page can
show the schema change and what would be lost; publishing then runs in the publisher's own
locked transaction, after the request's has ended, exactly as the API does.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from flask import g, request

from plinth.auth.actor import Actor
from plinth.errors import Conflict, DestructiveChange, MetadataInvalid
from plinth.extension import current_tenant
from plinth.json_input import loads
from plinth.metadata.publisher import Publisher, Put, Remove
from plinth.metadata.store import changes_between
from plinth.tenant import as_context

Operation = Put | Remove
#: Run by the publisher inside its transaction, with its connection (a SQLAlchemy
#: ``Connection``, which the HTTP layer does not name) and the new revision's id.
BeforeCommit = Callable[[Any, int | None], None]
MESSAGE_LIMIT = 500


@dataclasses.dataclass
class Outcome:
    """What a planned or published change did, or why it could not."""

    errors: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    steps: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    changes: list[dict[str, str]] = dataclasses.field(default_factory=list)
    revision_id: int | None = None
    refusal: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.refusal is None

    @property
    def destructive(self) -> list[dict[str, Any]]:
        return [step for step in self.steps if step.get("destructive")]


def plan(actor: Actor, operations: list[Operation]) -> Outcome:
    """What publishing ``operations`` would change, destructive steps included."""
    return _run(actor, operations, dry_run=True, confirm=True)


def publish(
    actor: Actor, operations: list[Operation], confirm: bool, message: str, base: int | None
) -> Outcome:
    """Publish; without ``confirm`` a destructive change is refused with what it would lose.
    With ``base`` (the revision the user's page showed) a document someone else changed
    since then is refused rather than overwritten."""
    check = _unchanged_since(base, operations) if base is not None else None
    return _run(actor, operations, dry_run=False, confirm=confirm, message=message, check=check)


def base_revision() -> int | None:
    """The revision the user's page was built from: the form's ``base``, else this request's."""
    sent = request.form.get("base", "")
    if sent.isdecimal() and len(sent) < 19:
        return int(sent)
    session = g.get("plinth_session")
    compiled = session.__dict__.get("compiled") if session is not None else None
    revision_id: int | None = compiled.revision_id if compiled is not None else None
    return revision_id


def _unchanged_since(base: int, operations: list[Operation]) -> BeforeCommit:
    """A check, inside the publish's transaction, that no revision after ``base`` touched
    the documents these operations change (two admins editing the same document)."""
    targets = {(op.kind, op.name) for op in operations}

    def check(conn: Any, revision_id: int | None) -> None:
        for other, changes in changes_between(conn, base, revision_id):
            for change in changes:
                if (change["kind"], change["name"]) in targets:
                    raise Conflict(
                        f"{change['kind']}/{change['name']} was changed by revision {other} "
                        "after you opened this page; nothing was published. Open it again "
                        "and make your change there."
                    )

    return check


def _run(
    actor: Actor,
    operations: list[Operation],
    dry_run: bool,
    confirm: bool,
    message: str = "",
    check: BeforeCommit | None = None,
) -> Outcome:
    try:
        result = Publisher(as_context(current_tenant())).publish(
            operations,
            actor,
            message=message[:MESSAGE_LIMIT],
            confirm_destructive=confirm,
            dry_run=dry_run,
            before_commit=check,
        )
    except MetadataInvalid as exc:
        return Outcome(errors=exc.errors)
    except DestructiveChange as exc:
        return Outcome(steps=exc.losses, refusal=str(exc))
    except Conflict as exc:
        return Outcome(refusal=str(exc))
    return Outcome(steps=result.schema, changes=result.changes, revision_id=result.revision_id)


def encode(operation: Operation) -> str:
    """An operation as the text of a hidden input (the review page posts it back)."""
    if isinstance(operation, Remove):
        return json.dumps({"kind": operation.kind, "remove": operation.name})
    data = {"kind": operation.kind, "put": operation.document}
    if operation.pack:
        data["pack"] = operation.pack
    return json.dumps(data, ensure_ascii=False)


def decode(text: str) -> Operation:
    """The operation a review page posted back; ValueError when it is not one."""
    data = loads(text)  # JsonInputError is a ValueError
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        raise ValueError("not a metadata operation")
    if isinstance(data.get("remove"), str):
        return Remove(data["kind"], data["remove"])
    if isinstance(data.get("put"), dict):
        pack = data.get("pack")
        return Put(data["kind"], data["put"], pack if isinstance(pack, str) else None)
    raise ValueError("not a metadata operation")
