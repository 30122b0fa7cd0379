"""Building throw-away pack folders for tests."""

from __future__ import annotations

from pathlib import Path

from plinth.metadata.documents import write_document


def make_pack(
    root: Path,
    name: str,
    version: str,
    documents: dict[str, list[dict]],
    depends_on=(),
    demo: dict[str, list[dict]] | None = None,
) -> Path:
    folder = root / f"{name}-{version}"
    manifest = {
        "name": name,
        "version": version,
        "label": {"en": name.title()},
        "metadata": ["metadata/*/*.yaml"],
    }
    if depends_on:
        manifest["depends_on"] = list(depends_on)
    for kind, docs in documents.items():
        for document in docs:
            write_document(folder / "metadata" / kind / f"{document['name']}.yaml", document)
    if demo:
        manifest["demo_data"] = ["demo/*.yaml"]
        for index, (obj, rows) in enumerate(demo.items()):
            write_document(
                folder / "demo" / f"{index:02d}_{obj}.yaml", {"object": obj, "records": rows}
            )
    write_document(folder / "pack.yaml", manifest)
    return folder
