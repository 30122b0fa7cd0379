"""Pack Python: modules named by installed packs, registering behaviour explicitly."""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint

from plinth.errors import ConfigError
from plinth.packs.loader import engine_problem
from plinth.runtime import system_tables as st
from plinth.runtime.event_bus import EventBus

if TYPE_CHECKING:
    from plinth.jobs.service import JobService
    from plinth.tenant import Tenant

log = logging.getLogger(__name__)
View = TypeVar("View", bound=Callable[..., Any])


@dataclasses.dataclass
class PackContext:
    """What a pack's ``register(context)`` may use: documented extension points only."""

    tenant: Tenant
    pack: str
    manifest: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def hooks(self) -> EventBus:
        return self.tenant.events

    @property
    def jobs(self) -> JobService:
        """Register background jobs: ``context.jobs.register(name, handler)``."""
        return self.tenant.jobs

    def api_route(
        self,
        rule: str,
        methods: Iterable[str] = ("GET",),
        openapi: dict[str, Any] | None = None,
    ) -> Callable[[View], View]:
        """Decorator adding an API endpoint at ``/api/v1<rule>``; ``rule`` starts with
        ``/<api_prefix>/`` (the manifest's, one of them when it lists several, or the pack
        name); ``openapi`` maps methods to OpenAPI operations for the document."""

        def decorate(view: View) -> View:
            prefixes = self.manifest.get("api_prefix", self.pack)
            if isinstance(prefixes, str):
                prefixes = [prefixes]
            prefix = next((p for p in prefixes if rule.startswith(f"/{p}/")), prefixes[0])
            self.tenant.routes.add_api(self.pack, prefix, rule, view, methods, openapi)
            return view

        return decorate

    def blueprint(self, blueprint: Blueprint) -> Blueprint:
        """Serve a Flask blueprint of pages (e.g. a public form) next to the API."""
        self.tenant.routes.blueprints.append(blueprint)
        return blueprint


def load_plugins(tenant: Tenant) -> list[str]:
    """Import the ``python`` module of each installed pack and call its ``register`` (once
    per tenant: packs installed later are loaded by a later call).

    A missing module or a module without ``register`` fails start-up with a clear message.
    """
    try:
        with tenant.database.transaction() as conn:
            query = sa.select(st.pack.c.name, st.pack.c.manifest)
            rows: Sequence[tuple[str, dict[str, Any]]] = conn.execute(query).all()
    except sa.exc.SQLAlchemyError:
        return []  # not initialised yet: `plinth init` has not run
    loaded = []
    for name, manifest in rows:
        module_name = (manifest or {}).get("python")
        if not module_name or name in tenant.plugins:
            continue
        problem = engine_problem(manifest)
        if problem:
            raise ConfigError(f"pack {name}: {problem}")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"pack {name}: cannot import {module_name}: {exc}") from None
        register = getattr(module, "register", None)
        if not callable(register):
            raise ConfigError(f"pack {name}: {module_name} has no register(context) function")
        register(PackContext(tenant, name, manifest or {}))
        tenant.plugins.add(name)
        loaded.append(name)
    return loaded
