"""Cross-checks of object definitions and their fields."""

from __future__ import annotations

import graphlib
import keyword
from collections.abc import Mapping
from typing import Any

from plinth.metadata.checks.context import CheckContext, Pointer
from plinth.rules.index import formula_order
from plinth.runtime.field_types import REGISTRY
from plinth.runtime.field_types.base import CoercionContext, FieldError, FieldType
from plinth.runtime.model import SYSTEM_COLUMNS, Field

# Names the rule sandbox gives meaning to: a field by such a name could not be used there.
SANDBOX_NAMES = frozenset({"record", "old", "user", "now", "today"})
RESERVED_FIELD_NAMES = frozenset(SYSTEM_COLUMNS) | SANDBOX_NAMES | frozenset(keyword.kwlist)
TITLE_TYPES = frozenset(
    {"text", "email", "phone", "url", "autonumber", "select", "integer", "date"}
)
NUMBER_TYPES = frozenset({"integer", "decimal"})
SEARCH_TYPES = frozenset({"text", "textarea", "email", "phone", "url", "autonumber"})
K = "objects"


def check_objects(ctx: CheckContext) -> None:
    for name, obj in ctx.each(K):
        fields = [f for f in obj.get("fields", ()) if isinstance(f, dict)]
        by_name = _check_field_names(ctx, name, fields)
        for index, field in enumerate(fields):
            _check_field(ctx, name, index, field)
        _check_columns(ctx, name, fields)
        _check_accuracy_fields(ctx, name, fields, by_name)
        _check_object_options(ctx, name, obj, by_name)
        _check_formula_cycles(ctx, name, fields)


def _check_formula_cycles(ctx: CheckContext, obj_name: str, fields: list[dict[str, Any]]) -> None:
    if any(
        p.kind == K and p.name == obj_name and p.pointer.endswith("/formula") for p in ctx.problems
    ):
        return  # a formula that does not compile was reported already
    try:
        formula_order({f["name"]: f for f in fields if "name" in f})
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1]) if len(exc.args) > 1 else ""
        ctx.add(K, obj_name, ("fields",), f"formulas use each other in a cycle: {cycle}")


def _check_field_names(
    ctx: CheckContext, obj_name: str, fields: list[dict[str, Any]]
) -> dict[Any, dict[str, Any]]:
    by_name: dict[Any, dict[str, Any]] = {}
    for index, field in enumerate(fields):
        fname = field.get("name")
        if fname in by_name:
            ctx.add(K, obj_name, ("fields", index, "name"), f"duplicate field name {fname!r}")
        elif fname in RESERVED_FIELD_NAMES:
            ctx.add(K, obj_name, ("fields", index, "name"), f"{fname!r} is a reserved name")
        by_name.setdefault(fname, field)
    return by_name


def _check_field(ctx: CheckContext, obj_name: str, index: int, spec: dict[str, Any]) -> None:
    path: Pointer = ("fields", index)
    ftype = REGISTRY.get(spec.get("type"))  # type: ignore[arg-type]  # None: no type
    if ftype is None:
        return  # the JSON Schema already reported it
    for suffix, message in ftype.check_definition(spec):
        ctx.add(K, obj_name, (*path, *suffix.split("/")), message)
    if spec.get("unique") and not ftype.supports_unique:
        ctx.add(K, obj_name, (*path, "unique"), f"a {ftype.name} field cannot be unique")
    stored_formula = spec.get("type") != "formula" or spec.get("stored")
    if (spec.get("unique") or spec.get("indexed")) and not (ftype.sortable and stored_formula):
        key = "unique" if spec.get("unique") else "indexed"
        ctx.add(K, obj_name, (*path, key), f"a {ftype.name} field cannot be indexed")
    if spec.get("type") == "lookup":
        target = spec.get("target")
        if ctx.object(target) is None:
            ctx.add(K, obj_name, (*path, "target"), f"unknown object {target!r}")
        if spec.get("on_delete") == "set_null" and spec.get("required"):
            ctx.add(K, obj_name, (*path, "on_delete"), "set_null contradicts required")
    if spec.get("type") == "formula":
        ctx.require_expression(
            K, obj_name, (*path, "formula"), spec.get("formula"), "eval", obj_name
        )
    if spec.get("default_expression") is not None:
        if "default" in spec:
            ctx.add(
                K,
                obj_name,
                (*path, "default_expression"),
                "give default or default_expression, not both",
            )
        elif not ftype.supports_default:
            ctx.add(
                K, obj_name, (*path, "default_expression"), f"a {ftype.name} field takes no default"
            )
        ctx.require_expression(
            K, obj_name, (*path, "default_expression"), spec["default_expression"], "eval", obj_name
        )
    if "default" in spec:
        _check_default(ctx, obj_name, path, spec, ftype)


def _check_default(
    ctx: CheckContext, obj_name: str, path: Pointer, spec: dict[str, Any], ftype: FieldType
) -> None:
    if not ftype.supports_default:
        ctx.add(K, obj_name, (*path, "default"), f"a {ftype.name} field takes no default")
        return
    if spec["default"] is None:
        return
    try:
        ftype.coerce(Field(spec["name"], ftype, spec), spec["default"], CoercionContext())
    except FieldError as exc:
        ctx.add(K, obj_name, (*path, "default"), f"invalid default: {exc}")
    except (KeyError, TypeError, ValueError):
        ctx.add(K, obj_name, (*path, "default"), "invalid default")


def _check_columns(ctx: CheckContext, obj_name: str, fields: list[dict[str, Any]]) -> None:
    """Two fields must not map to the same column (e.g. geo 'site' and a field 'site_lat')."""
    owners: dict[str, str] = {}
    for index, spec in enumerate(fields):
        ftype = REGISTRY.get(spec.get("type"))  # type: ignore[arg-type]  # None: no type
        if ftype is None or not isinstance(spec.get("name"), str):
            continue
        try:
            columns = Field(spec["name"], ftype, spec).columns
        except KeyError:
            continue
        for column in columns:
            if column in owners and owners[column] != spec["name"]:
                ctx.add(
                    K,
                    obj_name,
                    ("fields", index, "name"),
                    f"column {column!r} is already used by field {owners[column]!r}",
                )
            owners.setdefault(column, spec["name"])


def _check_accuracy_fields(
    ctx: CheckContext, obj_name: str, fields: list[dict[str, Any]], by_name: dict[Any, Any]
) -> None:
    """A geo field's ``accuracy_field`` is a number field of the same object."""
    for index, spec in enumerate(fields):
        target = spec.get("accuracy_field") if spec.get("type") == "geo" else None
        if target is None:
            continue
        other = by_name.get(target)
        if other is None:
            ctx.add(K, obj_name, ("fields", index, "accuracy_field"), f"unknown field {target!r}")
        elif other.get("type") not in NUMBER_TYPES:
            ctx.add(
                K,
                obj_name,
                ("fields", index, "accuracy_field"),
                f"must be a number field (integer or decimal), not {other.get('type')}",
            )


def _check_object_options(
    ctx: CheckContext, name: str, obj: Mapping[str, Any], by_name: dict[Any, dict[str, Any]]
) -> None:
    title = obj.get("title_field")
    if title is not None:
        field = by_name.get(title)
        if field is None:
            ctx.add(K, name, ("title_field",), f"unknown field {title!r}")
        elif field.get("type") not in TITLE_TYPES:
            ctx.add(K, name, ("title_field",), f"a {field.get('type')} field cannot be the title")
    for index, fname in enumerate(obj.get("search_fields", ())):
        field = by_name.get(fname)
        if field is None:
            ctx.add(K, name, ("search_fields", index), f"unknown field {fname!r}")
        elif field.get("type") not in SEARCH_TYPES:
            ctx.add(
                K, name, ("search_fields", index), f"a {field.get('type')} field is not searchable"
            )
    index_names = set()
    for index, spec in enumerate(obj.get("indexes", ())):
        iname = spec.get("name") or "_".join(f.lstrip("-") for f in spec.get("fields", ()))
        if iname in index_names:
            ctx.add(K, name, ("indexes", index), f"duplicate index {iname!r}")
        index_names.add(iname)
        for position, column in enumerate(spec.get("fields", ())):
            fname = column.lstrip("-")
            field = by_name.get(fname)
            if fname in SYSTEM_COLUMNS:
                continue
            if field is None:
                ctx.add(K, name, ("indexes", index, "fields", position), f"unknown field {fname!r}")
                continue
            ftype = REGISTRY.get(field.get("type"))  # type: ignore[arg-type]  # None: no type
            formula_unstored = field.get("type") == "formula" and not field.get("stored")
            if (
                ftype is None
                or not ftype.sortable
                or formula_unstored
                or len(Field(fname, ftype, field).columns) != 1
            ):
                ctx.add(
                    K,
                    name,
                    ("indexes", index, "fields", position),
                    f"a {field.get('type')} field cannot be indexed",
                )
