"""Publishing metadata: validate, plan the schema change, then apply it with a revision.

Everything happens in one transaction holding the metadata lock: documents, the revision
and the DDL commit together or not at all (both PostgreSQL and SQLite have transactional
DDL), and two publishes never interleave.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.auth.actor import SYSTEM, Actor
from plinth.errors import Conflict, DestructiveChange
from plinth.metadata.checks import cross_check
from plinth.metadata.kinds import KINDS
from plinth.metadata.problems import Problem, raise_if_any
from plinth.metadata.schema_validation import schema_problems
from plinth.metadata.store import Change, load_documents, write_revision
from plinth.runtime import naming
from plinth.runtime.audit import audit
from plinth.runtime.compiler import compile_objects, workflow_state_fields
from plinth.runtime.schema_apply import SchemaApplier
from plinth.runtime.schema_plan import SchemaPlan, plan_schema

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel
    from plinth.runtime.session import TenantContext

log = logging.getLogger(__name__)
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired
_LOCK_SPACE = 0x706C6E74  # "plnt": advisory locks of metadata publishes, one per tenant


@dataclasses.dataclass(frozen=True)
class Put:
    """Create or replace a document."""

    kind: str
    document: dict[str, Any]
    pack: str | None = None

    @property
    def name(self) -> Any:
        return self.document.get("name") if isinstance(self.document, dict) else None


@dataclasses.dataclass(frozen=True)
class Remove:
    """Delete a document."""

    kind: str
    name: str


@dataclasses.dataclass
class PublishResult:
    revision_id: int | None
    changes: list[dict[str, str]]
    schema: list[dict[str, Any]]
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# Metadata documents by kind and name.
Documents = dict[str, dict[str, dict[str, Any]]]


class _DryRun(Exception):
    def __init__(self, result: PublishResult):
        self.result = result


class Publisher:
    """Publishes changes to a tenant's metadata."""

    def __init__(self, tenant: TenantContext):
        self.tenant = tenant

    def publish(
        self,
        operations: Iterable[Put | Remove],
        actor: Actor = SYSTEM,
        message: str = "",
        pack: str | None = None,
        confirm_destructive: bool = False,
        dry_run: bool = False,
        before_commit: Callable[[Connection, int | None], None] | None = None,
    ) -> PublishResult:
        """Validate and apply; raises MetadataInvalid, DestructiveChange or Conflict.

        With ``dry_run`` nothing is written: the result shows what would change.
        ``before_commit`` runs inside the transaction (used by pack installs).
        """
        operations = list(operations)
        try:
            with self.tenant.database.ddl_transaction() as conn:
                self._lock(conn)
                result = self._publish(
                    conn, operations, actor, message, pack, confirm_destructive, dry_run
                )
                if dry_run:
                    raise _DryRun(result)
                if before_commit is not None:
                    before_commit(conn, result.revision_id)
        except _DryRun as done:
            return done.result
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise Conflict(
                    "the tables this change touches are busy (a long request or job holds "
                    "them); nothing was changed, try again in a moment"
                ) from None
            raise
        self.tenant.metadata.invalidate()
        return result

    def _lock(self, conn: Connection) -> None:
        """Serialize publishes of this tenant (SQLite: its write transaction already does)."""
        if conn.dialect.name == "postgresql":
            tenant_key = zlib.crc32((self.tenant.database.schema or "").encode())
            conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:space, :key)"),
                {"space": _LOCK_SPACE, "key": tenant_key - 2**31},
            )

    def _publish(
        self,
        conn: Connection,
        operations: list[Put | Remove],
        actor: Actor,
        message: str,
        pack: str | None,
        confirm: bool,
        dry_run: bool,
    ) -> PublishResult:
        stored = load_documents(conn)
        current = {k: {n: d.document for n, d in v.items()} for k, v in stored.items()}
        owners = {(k, n): d.pack for k, v in stored.items() for n, d in v.items()}
        proposed = copy.deepcopy(current)
        problems: list[Problem] = []
        changes: list[Change] = []
        for operation in operations:
            problems.extend(self._apply(operation, proposed, current, owners, pack, changes))
        single = _single_target(operations)
        raise_if_any(problems, single)
        changes = [c for c in changes if c.before != c.after]
        if not changes:
            return PublishResult(None, [], [], dry_run)
        raise_if_any(cross_check(proposed), single)
        plan, old_models, new_models, target = self._plan(conn, current, proposed, changes)
        self._refuse_blocked(plan, proposed, single)
        if plan.destructive_steps and not confirm:
            losses = plan.losses()
            raise DestructiveChange(
                "this change would lose data: "
                + "; ".join(s.description for s in plan.destructive_steps)
                + ". Confirm it explicitly to archive that data and go ahead.",
                losses,
            )
        summary = [{"kind": c.kind, "name": c.name, "action": c.action} for c in changes]
        if dry_run:
            return PublishResult(None, summary, [s.as_dict() for s in plan.steps], True)
        revision_id = write_revision(conn, changes, actor.id, actor.label, message, pack)
        SchemaApplier(conn, old_models, new_models, target, revision_id).apply(plan)
        audit(conn, actor, "metadata.publish", f"revision {revision_id}", {"changes": summary})
        log.info("published revision %s (%s changes)", revision_id, len(changes))
        return PublishResult(revision_id, summary, [s.as_dict() for s in plan.steps])

    @staticmethod
    def _apply(
        operation: Put | Remove,
        proposed: Documents,
        current: Documents,
        owners: Mapping[tuple[str, str], str | None],
        pack: str | None,
        changes: list[Change],
    ) -> list[Problem]:
        kind = operation.kind
        if kind not in KINDS:
            return [
                Problem(kind, str(getattr(operation, "name", "?")), "", f"unknown kind {kind!r}")
            ]
        if isinstance(operation, Remove):
            before = current.get(kind, {}).get(operation.name)
            if before is None:
                return [Problem(kind, operation.name, "", f"no {kind} named {operation.name!r}")]
            proposed[kind].pop(operation.name, None)
            changes.append(
                Change(kind, operation.name, before, None, owners.get((kind, operation.name)))
            )
            return []
        problems = schema_problems(kind, operation.document)
        if problems:
            return problems
        name = operation.document["name"]
        owner = owners.get((kind, name))
        doc_pack = operation.pack if operation.pack is not None else (pack or owner)
        if owner and pack and owner != pack:
            return [Problem(kind, name, "", f"belongs to pack {owner!r}, not {pack!r}")]
        before = current.get(kind, {}).get(name)
        proposed.setdefault(kind, {})[name] = operation.document
        changes.append(Change(kind, name, before, copy.deepcopy(operation.document), doc_pack))
        return []

    @staticmethod
    def _plan(
        conn: Connection, current: Documents, proposed: Documents, changes: list[Change]
    ) -> tuple[SchemaPlan, dict[str, ObjectModel], dict[str, ObjectModel], sa.MetaData]:
        old_models, _ = compile_objects(current.get("objects", {}), workflow_state_fields(current))
        new_models, target = compile_objects(
            proposed.get("objects", {}), workflow_state_fields(proposed)
        )
        touched = {c.name for c in changes if c.kind == "objects"}
        for change in changes:
            if change.kind == "workflows":
                touched.update(d["object"] for d in (change.before, change.after) if d)
        tables = {naming.table_name(name) for name in touched}
        return (
            plan_schema(conn, old_models, new_models, target, tables),
            old_models,
            new_models,
            target,
        )

    @staticmethod
    def _refuse_blocked(
        plan: SchemaPlan, proposed: Documents, single: tuple[str, str] | None
    ) -> None:
        problems = []
        for step in plan.blocking_steps:
            doc = proposed.get("objects", {}).get(step.object or "", {})
            reason = cast(str, step.blocking)  # a blocking step says why
            problems.append(Problem("objects", step.object or step.table, "", reason))
            for index, field in enumerate(doc.get("fields", ())):
                if field.get("name") in (step.blocking or "") and field.get("unique"):
                    obj = cast(str, step.object)  # the fields are of an object's document
                    problems[-1] = Problem("objects", obj, f"/fields/{index}/unique", reason)
        raise_if_any(problems, single)


def _single_target(operations: Sequence[Put | Remove]) -> tuple[str, str] | None:
    if len(operations) != 1 or not isinstance(operations[0], Put):
        return None
    name = operations[0].name
    return (operations[0].kind, name) if isinstance(name, str) else None
