"""HTTP endpoints that packs add: API routes under ``/api/v1`` and blueprints of pages.

Packs register them in ``register(context)`` (``context.api_route``, ``context.blueprint``);
the application registers them when it starts, and the OpenAPI document lists the API
routes with the operations the pack describes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint

PROBLEM = {"$ref": "#/components/responses/Problem"}
_CONVERTER = re.compile(r"<(?:[a-z_]+:)?([a-z_][a-z0-9_]*)>")


@dataclasses.dataclass(frozen=True)
class ApiRoute:
    pack: str
    rule: str
    view: Callable[..., Any]
    methods: tuple[str, ...]
    openapi: dict[str, Any] | None

    @property
    def endpoint(self) -> str:
        return f"{self.pack}__{self.view.__name__}"

    @property
    def openapi_path(self) -> str:
        return "/api/v1" + _CONVERTER.sub(r"{\1}", self.rule)


class PackRoutes:
    """What the tenant's packs serve over HTTP."""

    def __init__(self) -> None:
        self.api: list[ApiRoute] = []
        self.blueprints: list[Blueprint] = []

    def add_api(
        self,
        pack: str,
        prefix: str,
        rule: str,
        view: Callable[..., Any],
        methods: Iterable[str],
        openapi: dict[str, Any] | None,
    ) -> None:
        if not rule.startswith(f"/{prefix}/"):
            raise ValueError(f"pack {pack} API routes must start with /{prefix}/ (got {rule!r})")
        methods = tuple(m.upper() for m in methods)
        if openapi is not None and set(openapi) - {m.lower() for m in methods}:
            raise ValueError(f"{rule}: OpenAPI operations must name methods of the route")
        self.api.append(ApiRoute(pack, rule, view, methods, openapi))

    def register_api(self, api: Blueprint) -> None:
        for route in self.api:
            api.add_url_rule(
                route.rule, endpoint=route.endpoint, view_func=route.view, methods=route.methods
            )

    def openapi_paths(self) -> dict[str, Any]:
        """The packs' operations; each may answer a problem (400, 401, 404, ...) as every
        API operation may, whether or not the pack listed that response."""
        paths: dict[str, Any] = {}
        for route in self.api:
            for method, operation in (route.openapi or {}).items():
                responses = {"default": PROBLEM, **operation.get("responses", {})}
                paths.setdefault(route.openapi_path, {})[method] = {
                    **operation,
                    "responses": responses,
                }
        return paths
