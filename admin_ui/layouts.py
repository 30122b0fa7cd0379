"""Which layout a user sees for an object, limited to the fields they may read.

A layout (metadata kind ``layouts``) is picked by type (form or list): one naming one of the
user's roles first, then one for every role; an object with none gets a derived layout (the
title and the first simple fields as columns, every field in one section, the objects that
look it up as related lists).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from plinth.runtime.model import Field, ObjectModel
from plinth.runtime.session import Session

COLUMN_TYPES = frozenset(
    {"text", "email", "phone", "select", "date", "datetime", "lookup", "user", "integer",
     "decimal", "currency", "percent", "boolean", "autonumber", "formula"}
)  # fmt: skip
FILTER_TYPES = frozenset({"select", "multiselect", "boolean", "date", "datetime", "lookup", "user"})
DERIVED_COLUMNS = 6
DERIVED_FILTERS = 6
DERIVED_RELATED = 5
DEFAULT_PAGE_SIZE = 50


@dataclasses.dataclass
class Section:
    label: object
    columns: int
    fields: list[Field]


@dataclasses.dataclass
class Related:
    model: ObjectModel
    via: str
    columns: list[Field]
    label: object
    limit: int


@dataclasses.dataclass
class FormLayout:
    name: str | None
    sections: list[Section]
    related: list[Related]


@dataclasses.dataclass
class ListLayout:
    name: str | None
    columns: list[Field]
    default_sort: str
    filters: list[Field]
    page_size: int


def _pick(session: Session, model: ObjectModel, kind: str) -> Mapping[str, Any] | None:
    candidates = sorted(
        (
            doc
            for doc in session.compiled.docs("layouts").values()
            if doc.get("object") == model.name and doc.get("type") == kind
        ),
        key=lambda doc: doc["name"],
    )
    roles = session.actor.roles
    mine = [doc for doc in candidates if roles & set(doc.get("roles") or ())]
    everyone = [doc for doc in candidates if not doc.get("roles")]
    admins = candidates if session.actor.is_admin else []
    return next(iter(mine + everyone + admins), None)


def readable_fields(session: Session, model: ObjectModel) -> list[Field]:
    """The object's own fields the actor may read, in definition order."""
    readable = session.guard.readable(model)
    return [f for f in model.user_fields if readable is None or f.name in readable]


def _known(session: Session, model: ObjectModel, names: Iterable[str] | None) -> list[Field]:
    readable = session.guard.readable(model)
    out = []
    for name in names or ():
        field = model.fields.get(name)
        if field is not None and (readable is None or name in readable):
            out.append(field)
    return out


def list_layout(session: Session, model: ObjectModel) -> ListLayout:
    doc = _pick(session, model, "list")
    if doc is not None and doc.get("columns"):
        return ListLayout(
            doc["name"],
            _known(session, model, doc["columns"]),
            doc.get("default_sort") or "-id",
            _known(session, model, doc.get("filters")),
            doc.get("page_size") or DEFAULT_PAGE_SIZE,
        )
    fields = readable_fields(session, model)
    first = [f for f in fields if f.name == model.title_field]
    rest = [f for f in fields if f.type.name in COLUMN_TYPES and f.name != model.title_field]
    filters = [f for f in fields if f.type.name in FILTER_TYPES][:DERIVED_FILTERS]
    return ListLayout(None, (first + rest)[:DERIVED_COLUMNS], "-id", filters, DEFAULT_PAGE_SIZE)


def form_layout(session: Session, model: ObjectModel) -> FormLayout:
    doc = _pick(session, model, "form")
    if doc is not None and doc.get("sections"):
        sections = [
            Section(s.get("label"), s.get("columns", 2), _known(session, model, s["fields"]))
            for s in doc["sections"]
        ]
        related = [_related(session, r) for r in doc.get("related", ())]
        return FormLayout(doc["name"], [s for s in sections if s.fields], [r for r in related if r])
    fields = readable_fields(session, model)
    return FormLayout(None, [Section(None, 2, fields)], _derived_related(session, model))


def _related(session: Session, spec: Mapping[str, Any]) -> Related | None:
    target = session.compiled.objects.get(spec["object"])
    if target is None or not session.guard.allows(target, "read"):
        return None  # an unreadable related object is left out
    columns = _known(session, target, spec.get("columns")) or list_layout(session, target).columns
    label = spec.get("label") or target.spec.get("label_plural") or target.spec.get("label")
    return Related(target, spec["via"], columns, label, spec.get("limit", 10))


def _derived_related(session: Session, model: ObjectModel) -> list[Related]:
    found = []
    for other in sorted(session.compiled.objects.values(), key=lambda m: m.name):
        for field in other.user_fields:
            if field.type.name == "lookup" and field.spec.get("target") == model.name:
                related = _related(session, {"object": other.name, "via": field.name})
                if related is not None:
                    found.append(related)
    return found[:DERIVED_RELATED]
