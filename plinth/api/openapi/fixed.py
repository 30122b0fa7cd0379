"""The fixed part of the OpenAPI document, built by apispec from the endpoints'
declarations (``plinth.api.endpoints``) and their marshmallow schemas, with the packs'
operations (whose schemas may be marshmallow schemas too).

What depends on metadata (each object's schemas and record, workflow and assignment paths)
is added by ``document.py``; those paths refer to the components named here.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

import plinth
from plinth.api.answers import FileInfo
from plinth.api.endpoints import Endpoint
from plinth.api.openapi.parts import PROBLEM
from plinth.auth.schemas import NewUser, Team, TeamInput, User, UserInput
from plinth.packs.routes import PackRoutes
from plinth.packs.settings import Setting
from plinth.rules.assignment.schemas import Assignment, AssignRequest, AssignResult
from plinth.workflow.schemas import (
    Approval,
    Decision,
    FireRequest,
    SlaBreach,
    SlaClock,
    TimelineEntry,
    TransitionOption,
)

#: Schemas shown once under components (and referred to by name); every other schema is
#: written out where it is used.
COMPONENTS = {
    "User": User,
    "NewUser": NewUser,
    "UserInput": UserInput,
    "Team": Team,
    "TeamInput": TeamInput,
    "FileInfo": FileInfo,
    "Setting": Setting,
    "TransitionOption": TransitionOption,
    "FireRequest": FireRequest,
    "TimelineEntry": TimelineEntry,
    "SlaClock": SlaClock,
    "SlaBreach": SlaBreach,
    "Approval": Approval,
    "Decision": Decision,
    "AssignRequest": AssignRequest,
    "AssignResult": AssignResult,
    "Assignment": Assignment,
}

_CACHE: dict[
    tuple[int, int],
    tuple[tuple[Endpoint, ...], PackRoutes, tuple[dict[str, Any], dict[str, Any]]],
] = {}
_LOCK = threading.Lock()


def fixed_parts(
    endpoints: tuple[Endpoint, ...], routes: PackRoutes
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(paths, component schemas) of the documented ``endpoints`` and the packs' routes;
    built once per set of endpoints and pack routes. Callers copy before changing them."""
    key = (id(endpoints), id(routes))
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None and cached[0] is endpoints and cached[1] is routes:
        return cached[2]
    parts = _build(endpoints, routes.openapi_paths().items())
    with _LOCK:
        _CACHE[key] = (endpoints, routes, parts)
    return parts


def _build(
    endpoints: Iterable[Endpoint], pack_paths: Iterable[tuple[str, dict[str, Any]]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = APISpec(
        title="Plinth API",
        version=plinth.__version__,
        openapi_version="3.0.3",
        # A schema not named in COMPONENTS is written out where it is used.
        plugins=[MarshmallowPlugin(schema_name_resolver=_written_out)],  # type: ignore[arg-type]
    )
    spec.components.schema("Problem", copy.deepcopy(PROBLEM))
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema=schema)
    grouped: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
    for endpoint in endpoints:
        if endpoint.documented:
            parameters, operations = grouped.setdefault(
                endpoint.path, (endpoint.path_parameters(), {})
            )
            operations[endpoint.method.lower()] = endpoint.operation()
    for path, (parameters, operations) in grouped.items():
        spec.path(path=path, operations=operations, parameters=parameters or None)
    for path, operations in pack_paths:
        # apispec resolves schemas in place: the pack's own dicts stay as they are
        spec.path(path=path, operations=copy.deepcopy(operations))
    document = spec.to_dict()
    return document["paths"], document["components"]["schemas"]


def _written_out(schema: type[Schema]) -> None:
    """No name for a schema apispec meets that is not one of COMPONENTS, so it is written
    out where it is used (apispec takes None here, though its annotation says str)."""
    return None
