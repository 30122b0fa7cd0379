"""Installing and upgrading packs: everything is validated before anything changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version
from sqlalchemy.engine import Connection

from plinth.auth.actor import SYSTEM, Actor
from plinth.errors import Conflict, NotFound, ValidationError
from plinth.metadata.publisher import Publisher, Put, Remove
from plinth.metadata.store import StoredDocument, load_documents
from plinth.packs.loader import Pack
from plinth.packs.plugins import load_plugins
from plinth.runtime import system_tables as st
from plinth.tenant import as_context

if TYPE_CHECKING:
    from plinth.tenant import Tenant

Progress = Callable[[str], None]


@dataclasses.dataclass
class InstallOutcome:
    pack: str
    version: str
    action: str  # installed, upgraded, unchanged
    previous: str | None
    revision_id: int | None
    changes: int


def installed_packs(conn: Connection) -> dict[str, dict[str, Any]]:
    rows = conn.execute(sa.select(st.pack).order_by(st.pack.c.name)).mappings()
    return {row["name"]: dict(row) for row in rows}


def install_order(packs: list[Pack], installed: dict[str, dict[str, Any]]) -> list[Pack]:
    """Packs sorted so each comes after its dependencies; missing or cyclic ones fail."""
    by_name = {p.name: p for p in packs}
    if len(by_name) != len(packs):
        raise ValidationError.single("packs", "the same pack is given twice")
    ordered: list[Pack] = []
    state: dict[str, str] = {}

    def visit(pack: Pack, trail: tuple[str, ...]) -> None:
        if state.get(pack.name) == "done":
            return
        if state.get(pack.name) == "visiting":
            raise ValidationError.single(
                "depends_on", "dependency cycle: " + " -> ".join((*trail, pack.name))
            )
        state[pack.name] = "visiting"
        for dep, spec in pack.depends_on:
            if dep in by_name:
                _check_version(pack, dep, spec, by_name[dep].version)
                visit(by_name[dep], (*trail, pack.name))
            elif dep in installed:
                _check_version(pack, dep, spec, installed[dep]["version"])
            else:
                raise ValidationError.single(
                    "depends_on", f"pack {pack.name} needs pack {dep}, which is not installed"
                )
        state[pack.name] = "done"
        ordered.append(pack)

    for pack in packs:
        visit(pack, ())
    return ordered


def _check_version(pack: Pack, dep: str, spec: SpecifierSet, version: str) -> None:
    if spec and Version(version) not in spec:
        raise ValidationError.single(
            "depends_on", f"pack {pack.name} needs {dep} {spec}, but {dep} is {version}"
        )


class PackInstaller:
    def __init__(
        self, tenant: Tenant, actor: Actor = SYSTEM, progress: Progress | None = None
    ) -> None:
        self.tenant = tenant
        self.actor = actor
        self.progress = progress or (lambda _message: None)
        self.publisher = Publisher(as_context(tenant))

    def install(
        self, packs: list[Pack], confirm_destructive: bool = False, force: bool = False
    ) -> list[InstallOutcome]:
        """Install or upgrade packs in dependency order, each in its own revision."""
        with self.tenant.database.transaction() as conn:
            installed = installed_packs(conn)
            stored = load_documents(conn)
        ordered = install_order(packs, installed)
        plans = [(pack, self._operations(pack, installed, stored, force)) for pack in ordered]
        to_apply = [(pack, ops) for pack, ops in plans if ops is not None]
        if to_apply:
            self.progress("validating " + ", ".join(p.name for p, _ in to_apply))
            # One dry run over every pack at once: nothing is changed unless all of it is valid.
            self.publisher.publish(
                [op for _, ops in to_apply for op in ops],
                self.actor,
                confirm_destructive=confirm_destructive,
                dry_run=True,
            )
        outcomes = []
        for pack, ops in plans:
            previous = installed.get(pack.name, {}).get("version")
            if ops is None:
                outcomes.append(
                    InstallOutcome(pack.name, pack.version, "unchanged", previous, None, 0)
                )
                continue
            self.progress(
                f"installing {pack.name} {pack.version} ({len(pack.documents)} documents)"
            )

            def record(conn: Connection, _revision: int | None, pack: Pack = pack) -> None:
                _record_pack(conn, pack)

            result = self.publisher.publish(
                ops,
                self.actor,
                message=f"pack {pack.name} {pack.version}",
                pack=pack.name,
                confirm_destructive=confirm_destructive,
                before_commit=record,
            )
            action = "upgraded" if previous else "installed"
            load_plugins(self.tenant)  # the pack's hooks apply from now on in this process
            outcomes.append(
                InstallOutcome(
                    pack.name,
                    pack.version,
                    action,
                    previous,
                    result.revision_id,
                    len(result.changes),
                )
            )
        return outcomes

    def _operations(
        self,
        pack: Pack,
        installed: dict[str, dict[str, Any]],
        stored: dict[str, dict[str, StoredDocument]],
        force: bool,
    ) -> list[Put | Remove] | None:
        """Puts and Removes that make the tenant hold exactly this pack's documents."""
        current = installed.get(pack.name)
        if current is not None and not force:
            old, new = _version(current["version"]), _version(pack.version)
            if new == old:
                return None
            if new < old:
                raise Conflict(
                    f"pack {pack.name} {current['version']} is installed; refusing to downgrade "
                    f"to {pack.version} (use force)"
                )
        ops: list[Put | Remove] = []
        shipped = set()
        for doc in pack.documents:
            name = doc.document.get("name") if isinstance(doc.document, dict) else None
            owner = stored.get(doc.kind, {}).get(name) if name is not None else None
            if owner is not None and owner.pack not in (None, pack.name):
                raise Conflict(f"{doc.kind}/{name} from {doc.path} belongs to pack {owner.pack!r}")
            shipped.add((doc.kind, name))
            ops.append(Put(doc.kind, doc.document, pack.name))
        for kind, by_name in stored.items():
            for name, stored_doc in by_name.items():
                if stored_doc.pack == pack.name and (kind, name) not in shipped:
                    ops.append(Remove(kind, name))
        return ops


def _version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise ValidationError.single("version", f"invalid version {text!r}") from None


def _record_pack(conn: Connection, pack: Pack) -> None:
    now = dt.datetime.now(dt.UTC)
    values = {
        "version": pack.version,
        "source": str(pack.root),
        "manifest": pack.manifest,
        "updated_at": now,
    }
    updated = conn.execute(st.pack.update().where(st.pack.c.name == pack.name).values(values))
    if updated.rowcount == 0:
        conn.execute(st.pack.insert(), {"name": pack.name, "installed_at": now, **values})


def get_installed(conn: Connection, name: str) -> dict[str, Any]:
    row = installed_packs(conn).get(name)
    if row is None:
        raise NotFound(f"pack {name!r} is not installed")
    return row
