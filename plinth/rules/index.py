"""The rules of each object, compiled once per metadata revision."""

from __future__ import annotations

import dataclasses
import graphlib
from collections.abc import Mapping
from typing import Any

from plinth.rules.sandbox import CompiledRule, compile_rule
from plinth.runtime.compiler import CompiledMetadata
from plinth.runtime.model import Field


@dataclasses.dataclass
class ObjectRules:
    formulas: list[tuple[Field, CompiledRule]]  # in dependency order
    defaults: list[tuple[Field, CompiledRule]]
    validations: list[tuple[Mapping[str, Any], CompiledRule]]
    automations: dict[str, list[tuple[Mapping[str, Any], CompiledRule | None]]]
    fields: tuple[str, ...] = ()  # every field name: rules see empty fields as None


def formula_order(fields: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Formula field names so that each comes after the formulas it uses; raises
    graphlib.CycleError on a cycle."""
    formulas = {n: f for n, f in fields.items() if f.get("type") == "formula"}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name, spec in formulas.items():
        used = compile_rule(spec["formula"]).free_names
        sorter.add(name, *(u for u in used if u in formulas and u != name))
        if name in used:
            raise graphlib.CycleError("a formula uses itself", [name, name])
    return list(sorter.static_order())


def rules_for(compiled: CompiledMetadata, object_name: str) -> ObjectRules:
    cache = compiled.__dict__.setdefault("_object_rules", {})
    rules = cache.get(object_name)
    if rules is None:
        rules = cache[object_name] = _build(compiled, object_name)
    return rules


def _build(compiled: CompiledMetadata, object_name: str) -> ObjectRules:
    model = compiled.object(object_name)
    specs = {f.name: f.spec for f in model.user_fields}
    formulas = [
        (model.fields[name], compile_rule(specs[name]["formula"])) for name in formula_order(specs)
    ]
    defaults = [
        (f, compile_rule(f.spec["default_expression"]))
        for f in model.user_fields
        if f.spec.get("default_expression")
    ]
    validations = [
        (doc, compile_rule(doc["condition"]))
        for _, doc in sorted(compiled.docs("validation_rules").items())
        if doc["object"] == object_name and doc.get("active", True)
    ]
    automations: dict[str, list[tuple[Mapping[str, Any], CompiledRule | None]]] = {}
    for _, doc in sorted(compiled.docs("automations").items()):
        if doc.get("object") != object_name or not doc.get("active", True):
            continue
        condition = compile_rule(doc["condition"]) if doc.get("condition") else None
        automations.setdefault(doc["trigger"]["type"], []).append((doc, condition))
    return ObjectRules(formulas, defaults, validations, automations, tuple(model.fields))
