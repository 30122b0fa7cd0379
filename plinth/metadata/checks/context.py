"""What cross-checks look at: the whole proposed metadata set, with helpers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from plinth.metadata.kinds import BUILTIN_ROLES
from plinth.metadata.problems import Problem, pointer
from plinth.rules.sandbox import rule_problem, trial_problem
from plinth.rules.templates import template_problem

MetadataSet = Mapping[str, Mapping[str, Mapping[str, Any]]]
# Where a problem is inside its document: the parts of a JSON pointer.
Pointer = tuple[str | int, ...]


class CheckContext:
    """The proposed metadata (kind -> name -> document) and the problems found so far."""

    def __init__(self, documents: MetadataSet):
        self.documents = documents
        self.problems: list[Problem] = []

    def docs(self, kind: str) -> Mapping[str, Mapping[str, Any]]:
        return self.documents.get(kind, {})

    def each(self, kind: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        yield from sorted(self.docs(kind).items())

    def add(self, kind: str, name: str, path: Pointer, message: str) -> None:
        self.problems.append(Problem(kind, name, pointer(*path), message))

    # ---- lookups --------------------------------------------------------------------
    def object(self, name: str | None) -> Mapping[str, Any] | None:
        return self.docs("objects").get(name) if name else None

    # Lookups take what a document names, None included: the checks go on past a problem.
    def fields(self, object_name: str | None) -> dict[Any, Mapping[str, Any]]:
        obj = self.object(object_name) or {}
        return {f.get("name"): f for f in obj.get("fields", ()) if isinstance(f, Mapping)}

    def field_names(self, object_name: str | None) -> set[str]:
        from plinth.runtime.model import SYSTEM_COLUMNS

        return set(self.fields(object_name)) | set(SYSTEM_COLUMNS)

    def role_names(self) -> set[str]:
        return set(self.docs("roles")) | set(BUILTIN_ROLES)

    def workflow_states(self, object_name: str | None) -> set[str] | None:
        """All state names of the workflows bound to an object, or None when it has none."""
        states: set[str] | None = None
        for _, workflow in self.each("workflows"):
            if workflow.get("object") == object_name:
                states = (states or set()) | {s.get("name") for s in workflow.get("states", ())}
        return states

    # ---- shared checks --------------------------------------------------------------
    def require_object(self, kind: str, name: str, path: Pointer, object_name: str | None) -> bool:
        if self.object(object_name) is None:
            self.add(kind, name, path, f"unknown object {object_name!r}")
            return False
        return True

    def require_fields(
        self,
        kind: str,
        name: str,
        path: Pointer,
        object_name: str | None,
        field_names: Iterable[str] | None,
    ) -> None:
        known = self.field_names(object_name)
        for index, field_name in enumerate(field_names or ()):
            if field_name not in known:
                self.add(
                    kind, name, (*path, index), f"unknown field {field_name!r} of {object_name}"
                )

    def require_expression(
        self,
        kind: str,
        name: str,
        path: Pointer,
        source: str | None,
        mode: str = "eval",
        object_name: str | None = None,
        extra: Iterable[str] = (),
    ) -> None:
        """The rule must compile in the sandbox and only use names its context provides:
        the fields of ``object_name`` (plus ``extra``), built-ins and helpers; and a trial
        run with those names blank must not stop at a limit (steps, time, sizes)."""
        if source is None:
            return
        names = set(extra)
        if object_name:
            names |= self.field_names(object_name)
        what = "script" if mode == "exec" else "expression"
        error = rule_problem(source, mode, names)
        if error:
            self.add(kind, name, path, f"invalid {what}, {error}")
            return
        stopped = trial_problem(source, mode, names)
        if stopped:
            self.add(kind, name, path, f"the {what} cannot finish with blank fields: {stopped}")

    def require_template(
        self, kind: str, name: str, path: Pointer, template: str | Mapping[str, str] | None
    ) -> None:
        texts = [template] if isinstance(template, str) else list((template or {}).values())
        for text in texts:
            error = template_problem(text)
            if error:
                self.add(kind, name, path, error)
                return
