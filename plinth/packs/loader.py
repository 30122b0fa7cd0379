"""Finding and reading packs: a folder with pack.yaml/pack.json and metadata documents."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import logging
from collections.abc import Iterable, Mapping
from importlib import metadata as importlib_metadata
from importlib import resources
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from packaging.specifiers import InvalidSpecifier, SpecifierSet

import plinth
from plinth.errors import NotFound, ValidationError
from plinth.metadata.documents import SUFFIXES, read_document
from plinth.metadata.kinds import KINDS

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "plinth.packs"
MANIFEST_NAMES = ("pack.yaml", "pack.yml", "pack.json")


@dataclasses.dataclass(frozen=True)
class PackDocument:
    kind: str
    document: Any
    path: Path


@dataclasses.dataclass(frozen=True)
class Pack:
    name: str
    version: str
    root: Path
    manifest: dict[str, Any]
    documents: tuple[PackDocument, ...]

    @property
    def depends_on(self) -> list[tuple[str, SpecifierSet]]:
        result = []
        for item in self.manifest.get("depends_on", ()):
            if isinstance(item, str):
                result.append((item, SpecifierSet()))
            else:
                result.append((item["name"], SpecifierSet(item.get("version", ""))))
        return result

    def demo_files(self) -> list[Path]:
        return _expand(self.root, self.manifest.get("demo_data", ()))


@functools.cache
def _manifest_validator() -> Draft202012Validator:
    text = resources.files("plinth.packs").joinpath("manifest.schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def engine_problem(manifest: Mapping[str, Any]) -> str | None:
    """Why this engine cannot run a pack, by its manifest's ``engine`` range (None: it can)."""
    wanted = manifest.get("engine")
    if not isinstance(wanted, str):
        return None
    try:
        supported = SpecifierSet(wanted)
    except InvalidSpecifier:
        return f"invalid version specifier {wanted!r}"
    if not supported.contains(plinth.__version__, prereleases=True):
        return f"the pack needs engine {wanted}; this engine is {plinth.__version__}"
    return None


def load_pack(root: Path) -> Pack:
    """Read and check a pack folder: its manifest and every metadata file it lists."""
    root = Path(root)
    manifest_path = next((root / n for n in MANIFEST_NAMES if (root / n).is_file()), None)
    if manifest_path is None:
        raise ValidationError.single(str(root), "is not a pack: no pack.yaml or pack.json")
    manifest = read_document(manifest_path)
    errors: dict[str, list[str]] = {}
    if not isinstance(manifest, dict):
        raise ValidationError.single(str(manifest_path), "must be a mapping")
    for error in _manifest_validator().iter_errors(manifest):
        where = "/".join(str(p) for p in error.absolute_path)
        errors.setdefault(f"{manifest_path}#/{where}", []).append(error.message)
    for item in manifest.get("depends_on", ()):
        if isinstance(item, dict) and "version" in item:
            try:
                SpecifierSet(item["version"])
            except InvalidSpecifier:
                errors.setdefault(f"{manifest_path}#/depends_on", []).append(
                    f"invalid version specifier {item['version']!r}"
                )
    problem = engine_problem(manifest)
    if problem:
        errors.setdefault(f"{manifest_path}#/engine", []).append(problem)
    if errors:
        raise ValidationError(errors)
    documents = []
    for path in _expand(root, manifest["metadata"]):
        kind = path.parent.name
        if kind not in KINDS:
            errors.setdefault(str(path), []).append(
                f"must be in a folder named after its kind ({', '.join(KINDS)})"
            )
            continue
        try:
            documents.append(PackDocument(kind, read_document(path), path))
        except ValidationError as exc:
            for key, messages in exc.errors.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return Pack(manifest["name"], manifest["version"], root, manifest, tuple(documents))


def _expand(root: Path, patterns: Iterable[str]) -> list[Path]:
    found: dict[Path, None] = {}
    for pattern in patterns:
        matches = sorted(p for p in root.glob(pattern) if p.is_file() and p.suffix in SUFFIXES)
        for path in matches:
            found[path] = None
    return list(found)


def discovered_packs() -> dict[str, Path]:
    """Packs registered by installed distributions under the ``plinth.packs`` entry points."""
    result = {}
    for entry in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            module = importlib.import_module(entry.value.split(":")[0])
        except ImportError as exc:
            log.warning(
                "pack entry point %s (%s) cannot be imported: %s", entry.name, entry.value, exc
            )
            continue
        # A pack is a regular package: its module has a file (a namespace package has none).
        result[entry.name] = Path(cast(str, module.__file__)).parent
    return result


def find_pack(name_or_path: str) -> Pack:
    """A pack by folder path, or by the name an installed distribution registered."""
    path = Path(name_or_path)
    if path.is_dir():
        return load_pack(path)
    packs = discovered_packs()
    if name_or_path in packs:
        return load_pack(packs[name_or_path])
    known = ", ".join(sorted(packs)) or "none"
    raise NotFound(
        f"no pack folder or registered pack named {name_or_path!r} (registered: {known})"
    )
