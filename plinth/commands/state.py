"""What CLI commands share: the configuration and the tenant, created on first use."""

from __future__ import annotations

import functools

from plinth.config import Config, load_config
from plinth.packs.plugins import load_plugins
from plinth.tenant import Tenant


class CliState:
    @functools.cached_property
    def config(self) -> Config:
        return load_config()

    @functools.cached_property
    def tenant(self) -> Tenant:
        tenant = Tenant(self.config)
        load_plugins(tenant)
        return tenant
