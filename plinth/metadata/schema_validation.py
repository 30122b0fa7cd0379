"""Validate one document against its kind's JSON Schema, reporting JSON pointers."""

from __future__ import annotations

import re

from jsonschema.exceptions import ValidationError as SchemaError

from plinth.metadata.kinds import SINGULAR, is_kind, validator
from plinth.metadata.problems import Problem, pointer

_UNEXPECTED = re.compile(r"\('([^']+)' (?:was|were) unexpected\)|'([^']+)'")


def schema_problems(kind: str, document: object) -> list[Problem]:
    """Everything wrong with ``document`` by the JSON Schema of ``kind``."""
    name = document.get("name", "?") if isinstance(document, dict) else "?"
    name = name if isinstance(name, str) else "?"
    if not is_kind(kind):
        return [Problem(kind, name, "", f"unknown metadata kind {kind!r}")]
    if not isinstance(document, dict):
        return [Problem(kind, name, "", f"a {SINGULAR[kind]} must be a JSON object")]
    problems = []
    for error in validator(kind).iter_errors(document):
        problems.extend(_explain(kind, name, error))
    problems.sort(key=lambda p: p.pointer)
    return _dedupe(problems)


def _explain(kind: str, name: str, error: SchemaError) -> list[Problem]:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return [Problem(kind, name, pointer(*path, missing), "is required")]
    if error.validator in ("unevaluatedProperties", "additionalProperties"):
        keys = _unexpected_keys(error)
        what = _owner_description(error.instance)
        return [Problem(kind, name, pointer(*path, key), f"is not allowed {what}") for key in keys]
    if error.validator == "oneOf" and error.context:
        # Report the branch that got furthest rather than "not valid under any schema".
        best = max(error.context, key=lambda e: len(list(e.absolute_path)))
        if list(best.absolute_path) != path or best.validator != "type":
            return _explain(kind, name, best)
    if error.validator == "not" and error.validator_value == {}:
        return [Problem(kind, name, pointer(*path), "is not allowed here")]
    return [Problem(kind, name, pointer(*path), _short_message(error))]


def _unexpected_keys(error: SchemaError) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    found = [k for k in instance if f"'{k}'" in error.message]
    return found or ["?"]


def _owner_description(instance: object) -> str:
    if isinstance(instance, dict) and isinstance(instance.get("type"), str):
        return f"for a {instance['type']} field" if "name" in instance else "here"
    return "here"


def _short_message(error: SchemaError) -> str:
    message = error.message
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"must be one of: {allowed}"
    if error.validator == "pattern":
        return f"does not match the required pattern {error.validator_value}"
    if error.validator == "type":
        return f"must be of type {error.validator_value}"
    if len(message) > 300:
        message = message[:300] + "…"
    return message


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen = set()
    result = []
    for problem in problems:
        key = (problem.pointer, problem.message)
        if key not in seen:
            seen.add(key)
            result.append(problem)
    return result
