"""The composition root: one place builds a tenant with its engines for the web app, the rq
worker, the CLI and the tests.

The engines subscribe to the tenant's events here, in an order that matters: the workflow
sets and guards states before assignment decides (a state entry assigns), and both before
the rules validate. The workflow gives the rules engine its ``transition`` action, so the
rules never import the workflow. Then the installed packs' plug-ins register.
"""

from __future__ import annotations

from plinth.config import Config
from plinth.packs.plugins import load_plugins
from plinth.rules.assignment.engine import AssignmentEngine
from plinth.rules.engine import RulesEngine
from plinth.tenant import Tenant, as_context
from plinth.workflow.engine import WorkflowEngine


def build_tenant(config: Config, name: str = "default", plugins: bool = True) -> Tenant:
    """A tenant with its engines subscribed and (unless ``plugins`` is False) the installed
    packs' plug-ins registered."""
    tenant = Tenant(config, name)
    context = as_context(tenant)
    WorkflowEngine(context)
    AssignmentEngine(context)
    RulesEngine(context)
    if plugins:
        load_plugins(tenant)
    return tenant
