"""Metadata revisions (what changed, undo through the review page) and pack export."""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from flask import flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from admin_ui.builder.review import review_page
from plinth.errors import NotFound
from plinth.metadata.documents import read_document
from plinth.metadata.kinds import KINDS
from plinth.metadata.publisher import Put, Remove
from plinth.metadata.store import StoredDocument, get_revision, load_documents, revisions_page
from plinth.packs.exporter import UNPACKAGED, export_pack
from plinth.packs.installer import installed_packs

PAGE_SIZE = 50
VERSION = re.compile(r"^[0-9A-Za-z.+-]{1,40}$")
PACK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@builder.get("/revisions")
def revision_list() -> str:
    before = request.args.get("before", type=int)
    with admin_session() as s:
        recent, older = revisions_page(s.conn, PAGE_SIZE, before)
    return render_template("admin/revisions.html", recent=recent, before=before, older=older)


# ---- one revision ---------------------------------------------------------------------------
def _as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str)


def _where(path: str, document: dict[str, Any] | None) -> str:
    """A pointer with list indices named after their item (``fields › serial › max``)."""
    parts: list[str] = []
    node: Any = document
    for raw in path.split("/")[1:]:
        step = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(str(name) if isinstance(name, str) else step)
        else:
            node = node.get(step) if isinstance(node, dict) else None
            parts.append(step)
    return " › ".join(parts) or "/"


def _readable(change: dict[str, Any]) -> list[dict[str, Any]]:
    """A change's diff as rows: operation, where, old and new value as JSON text."""
    rows = []
    for op in change["diff"]:
        source = change["before"] if op["op"] == "remove" else change["after"]
        new = op.get("order", op.get("value")) if op["op"] != "remove" else None
        rows.append(
            {
                "op": op["op"],
                "path": op["path"],
                "where": _where(op["path"], source),
                "old": _as_json(op["old"]) if "old" in op else None,
                "new": _as_json(new) if op["op"] != "remove" else None,
            }
        )
    return rows


def _revision_page(
    revision: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    refusal: str | None = None,
) -> str:
    changes = [{**change, "rows": _readable(change)} for change in revision["changes"]]
    return render_template(
        "admin/revision.html",
        revision=revision,
        changes=changes,
        errors=errors or {},
        refusal=refusal,
    )


@builder.get("/revisions/<int:revision_id>")
def revision_view(revision_id: int) -> str:
    with admin_session() as s:
        revision = get_revision(s.conn, revision_id)
    return _revision_page(revision)


def undo_operations(
    changes: list[dict[str, Any]], stored: dict[str, dict[str, StoredDocument]]
) -> list[Put | Remove]:
    """What restores each change's ``before`` (skipping what already is as it was then):
    removes in reverse dependency order, then puts in dependency order."""
    order = {kind: index for index, kind in enumerate(KINDS)}
    removes: list[Remove] = []
    puts: list[Put] = []
    for change in changes:
        kind, name, before = change["kind"], change["name"], change["before"]
        now = stored.get(kind, {}).get(name)
        if before is None:
            if now is not None:
                removes.append(Remove(kind, name))
        elif now is None or now.document != before:
            puts.append(Put(kind, before, pack=change["pack"]))
    removes.sort(key=lambda op: order.get(op.kind, len(KINDS)), reverse=True)
    puts.sort(key=lambda op: order.get(op.kind, len(KINDS)))
    return [*removes, *puts]


@builder.post("/revisions/<int:revision_id>/revert")
def revision_revert(revision_id: int) -> ResponseReturnValue:
    with admin_session(write=False) as s:
        revision = get_revision(s.conn, revision_id)
        operations = undo_operations(revision["changes"], load_documents(s.conn))
        actor = s.actor
    if not operations:
        flash(_("Nothing to undo: the documents are already as they were before this revision."))
        return redirect(url_for("builder.revision_view", revision_id=revision_id))
    back = url_for("builder.revision_list")
    title = _("Undo revision %(id)s", id=revision_id)
    outcome, page = review_page(actor, operations, back=back, title=title)
    if page is not None:
        return page
    status = 409 if outcome.refusal else 422
    return _revision_page(revision, outcome.errors, outcome.refusal), status


# ---- pack export ----------------------------------------------------------------------------
def _export_form(
    packs: dict[str, dict[str, Any]],
    values: dict[str, str],
    errors: dict[str, list[str]],
    status: int = 200,
) -> tuple[str, int]:
    page = render_template(
        "admin/pack_export.html", packs=packs, values=values, errors=errors, custom=UNPACKAGED
    )
    return page, status


@builder.get("/packs/export")
def pack_export_page() -> tuple[str, int]:
    with admin_session() as s:
        packs = installed_packs(s.conn)
    return _export_form(packs, {"pack": UNPACKAGED}, {})


def _check(values: dict[str, str], packs: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if values["pack"] != UNPACKAGED and values["pack"] not in packs:
        errors["pack"] = [_("Choose an installed pack.")]
    if values["version"] and not VERSION.match(values["version"]):
        errors["version"] = [_("Use up to 40 letters, digits, dots, plus and minus signs.")]
    if values["new_name"] and not PACK_NAME.match(values["new_name"]):
        errors["new_name"] = [
            _("Use lower-case letters, digits and underscores, starting with a letter.")
        ]
    return errors


@builder.post("/packs/export")
def pack_export() -> ResponseReturnValue:
    form = request.form
    values = {key: (form.get(key) or "").strip() for key in ("pack", "version", "new_name")}
    with admin_session(write=False) as s:
        packs = installed_packs(s.conn)
        tenant = s.tenant
    errors = _check(values, packs)
    if errors:
        return _export_form(packs, values, errors, 422)
    name = values["new_name"] or values["pack"]
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / name
        try:
            export_pack(tenant, values["pack"], folder, values["version"] or None, name)
        except NotFound:
            errors = {"pack": [_("Choose an installed pack.")]}
            return _export_form(packs, values, errors, 422)
        version = str(read_document(folder / "pack.yaml").get("version", ""))
        data = _zip(folder)
    return send_file(
        data,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{name}-{version}.zip",
    )


def _zip(folder: Path) -> io.BytesIO:
    """The folder as a zip, its files under a folder of the same name."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, (Path(folder.name) / path.relative_to(folder)).as_posix())
    data.seek(0)
    return data
