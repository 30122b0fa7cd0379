"""Exporting a pack back to files, so what was built in the UI can go into version control."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from plinth.errors import Conflict, NotFound
from plinth.metadata.documents import write_document
from plinth.metadata.kinds import KINDS
from plinth.metadata.store import load_documents
from plinth.packs.installer import installed_packs
from plinth.runtime import system_tables as st
from plinth.runtime.database import Database

UNPACKAGED = "custom"


class Tenant(Protocol):
    """What an export needs of a tenant (``plinth.tenant.Tenant``, or a session's): its
    database."""

    @property
    def database(self) -> Database: ...


def export_pack(
    tenant: Tenant,
    name: str,
    to: Path,
    version: str | None = None,
    new_name: str | None = None,
    overwrite: bool = False,
) -> tuple[Path, int]:
    """Write ``pack.yaml`` and ``metadata/<kind>/<name>.yaml``; returns (folder, documents).

    ``custom`` exports the documents that belong to no pack (built in the UI or the API).
    """
    to = Path(to)
    if to.exists() and any(to.iterdir()) and not overwrite:
        raise Conflict(f"{to} is not empty (use overwrite to replace its metadata)")
    with tenant.database.transaction() as conn:
        stored = load_documents(conn)
        packs = installed_packs(conn)
        revision = conn.scalar(sa.select(sa.func.max(st.revision.c.id))) or 0
    if name != UNPACKAGED and name not in packs:
        raise NotFound(
            f"pack {name!r} is not installed (use {UNPACKAGED!r} for unpackaged metadata)"
        )
    owner = None if name == UNPACKAGED else name
    manifest = dict(packs[name]["manifest"]) if name in packs else {}
    manifest["name"] = new_name or name
    manifest["version"] = version or manifest.get("version") or f"0.0.{revision}"
    manifest["metadata"] = ["metadata/*/*.yaml"]
    manifest.pop("demo_data", None)  # demo files are not metadata and are not exported
    if to.exists() and overwrite:
        for old in (to / "metadata").glob("*/*.yaml"):
            old.unlink()
    count = 0
    for kind in KINDS:
        for doc_name, doc in sorted(stored.get(kind, {}).items()):
            if doc.pack == owner:
                write_document(to / "metadata" / kind / f"{doc_name}.yaml", doc.document)
                count += 1
    ordered = {k: manifest[k] for k in ("name", "version", "label", "description") if k in manifest}
    ordered.update({k: v for k, v in manifest.items() if k not in ordered})
    write_document(to / "pack.yaml", ordered)
    return to, count
