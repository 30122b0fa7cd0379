"""What non-administrators may see of metadata: the objects and fields they can read."""

from __future__ import annotations

import copy
from typing import Any, cast

from plinth.errors import PermissionDenied
from plinth.runtime.session import Session


def visible_documents(session: Session, kind: str) -> dict[str, Any]:
    """Object definitions (and layouts) limited to the session actor's readable fields."""
    guard = session.guard
    result: dict[str, Any] = {}
    for name, document in session.compiled.docs(kind).items():
        object_name = name if kind == "objects" else document.get("object")
        model = session.compiled.objects.get(object_name)  # type: ignore[arg-type]  # None: none
        if model is None:
            continue
        try:
            guard.check(model, "read")
        except PermissionDenied:
            continue
        readable = guard.readable(model)
        if readable is None:
            result[name] = document
            continue
        visible = cast("dict[str, Any]", copy.deepcopy(document))  # documents are dicts
        if kind == "objects":
            visible["fields"] = [f for f in document.get("fields", ()) if f["name"] in readable]
        else:
            for section in visible.get("sections", ()):
                section["fields"] = [f for f in section["fields"] if f in readable]
            if "columns" in visible:
                visible["columns"] = [c for c in visible["columns"] if c in readable]
        result[name] = visible
    return result
