"""What CLI commands share: the configuration and the tenant, created on first use."""

from __future__ import annotations

import functools

from plinth.bootstrap import build_tenant
from plinth.config import Config, load_config
from plinth.tenant import Tenant


class CliState:
    @functools.cached_property
    def config(self) -> Config:
        return load_config()

    @functools.cached_property
    def tenant(self) -> Tenant:
        return build_tenant(self.config)
