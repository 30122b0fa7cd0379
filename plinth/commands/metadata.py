"""``plinth metadata validate``: check documents without changing anything."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
import sqlalchemy as sa

from plinth.errors import ValidationError
from plinth.metadata.checks import cross_check
from plinth.metadata.documents import SUFFIXES, read_document
from plinth.metadata.kinds import KINDS
from plinth.metadata.problems import Problem
from plinth.metadata.schema_validation import schema_problems
from plinth.metadata.store import load_documents
from plinth.packs.loader import MANIFEST_NAMES, load_pack

if TYPE_CHECKING:
    from plinth.commands.state import CliState


def register(cli: click.Group) -> None:
    cli.add_command(metadata)


@click.group()
def metadata() -> None:
    """Work with metadata documents."""


@metadata.command("validate")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--standalone", is_flag=True, help="Do not combine with the installed metadata.")
@click.pass_obj
def validate(state: CliState, path: Path, standalone: bool) -> None:
    """Validate a document, a folder of documents or a pack folder.

    Documents are checked against their kind's JSON Schema, then cross-checked together
    with the metadata installed in the database (when it is initialised).
    """
    documents = _collect(path)
    base: dict[str, Any] = {}
    if not standalone:
        try:
            with state.tenant.database.transaction() as conn:
                stored = load_documents(conn)
            base = {k: {n: d.document for n, d in v.items()} for k, v in stored.items()}
        except sa.exc.SQLAlchemyError:
            click.echo("(database not initialised: validating the documents on their own)")
    proposed = copy.deepcopy(base)
    problems: list[tuple[Path | str, Problem]] = []
    for kind, document, file in documents:
        found = schema_problems(kind, document)
        problems.extend((file, p) for p in found)
        if not found:
            valid = cast("dict[str, Any]", document)  # it passed its JSON Schema
            proposed.setdefault(kind, {})[valid["name"]] = valid
    if not problems:
        names = {(k, d.get("name")): f for k, d, f in documents if isinstance(d, dict)}
        problems.extend(
            (names.get((p.kind, p.name), "(installed)"), p) for p in cross_check(proposed)
        )
    for where, problem in problems:
        click.echo(
            f"{where}: {problem.kind}/{problem.name}{problem.pointer or '/'}: {problem.message}"
        )
    if problems:
        raise ValidationError(detail=f"{len(problems)} problem(s) in {path}")
    click.echo(f"OK: {len(documents)} document(s) valid.")


def _collect(path: Path) -> list[tuple[str, object, Path]]:
    if path.is_dir() and any((path / n).is_file() for n in MANIFEST_NAMES):
        pack = load_pack(path)
        return [(d.kind, d.document, d.path) for d in pack.documents]
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES)
    result = []
    for file in files:
        document = read_document(file)
        kind = document.pop("kind", None) if isinstance(document, dict) else None
        kind = kind or file.parent.name
        if kind not in KINDS:
            hint = f"put it in a folder named after its kind ({', '.join(KINDS)}) or add `kind:`"
            raise ValidationError.single(str(file), f"cannot tell its kind: {hint}")
        result.append((kind, document, file))
    return result
