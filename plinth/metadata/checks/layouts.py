"""Cross-checks of layouts: every field, related list and sort key must exist."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plinth.metadata.checks.context import CheckContext, Pointer
from plinth.runtime.field_types import REGISTRY

K = "layouts"


def check_layouts(ctx: CheckContext) -> None:
    for name, layout in ctx.each(K):
        obj = layout.get("object")
        if not ctx.require_object(K, name, ("object",), obj):
            continue
        for position, role in enumerate(layout.get("roles", ())):
            if role not in ctx.role_names():
                ctx.add(K, name, ("roles", position), f"unknown role {role!r}")
        placed: set[str] = set()
        for index, section in enumerate(layout.get("sections", ())):
            ctx.require_fields(K, name, ("sections", index, "fields"), obj, section.get("fields"))
            for position, field_name in enumerate(section.get("fields", ())):
                if field_name in placed:
                    ctx.add(
                        K,
                        name,
                        ("sections", index, "fields", position),
                        f"field {field_name!r} is placed twice",
                    )
                placed.add(field_name)
        for index, related in enumerate(layout.get("related", ())):
            _check_related(ctx, name, index, obj, related)
        ctx.require_fields(K, name, ("columns",), obj, layout.get("columns"))
        ctx.require_fields(K, name, ("filters",), obj, layout.get("filters"))
        _check_sort(ctx, name, obj, layout.get("default_sort"))


def _check_related(
    ctx: CheckContext, name: str, index: int, obj: str | None, related: Mapping[str, Any]
) -> None:
    path: Pointer = ("related", index)
    target = related.get("object")
    if not ctx.require_object(K, name, (*path, "object"), target):
        return
    via = ctx.fields(target).get(related.get("via"))
    if via is None or via.get("type") != "lookup" or via.get("target") != obj:
        ctx.add(K, name, (*path, "via"), f"must be a lookup field of {target} pointing to {obj}")
    ctx.require_fields(K, name, (*path, "columns"), target, related.get("columns"))


def _check_sort(ctx: CheckContext, name: str, obj: str | None, sort: str | None) -> None:
    if not sort:
        return
    fields = ctx.fields(obj)
    known = ctx.field_names(obj)
    for key in sort.split(","):
        field_name = key.lstrip("-")
        if field_name not in known:
            ctx.add(K, name, ("default_sort",), f"unknown field {field_name!r}")
            continue
        spec = fields.get(field_name)
        ftype = REGISTRY.get(spec.get("type")) if spec else None  # type: ignore[arg-type]
        if spec and (ftype is None or not ftype.sortable):
            ctx.add(K, name, ("default_sort",), f"cannot sort on a {spec.get('type')} field")
