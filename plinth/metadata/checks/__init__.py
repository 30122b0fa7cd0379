"""Cross-checks: each document checked against the rest of the proposed metadata."""

from __future__ import annotations

from plinth.metadata.checks.access import check_calendars, check_roles
from plinth.metadata.checks.assignment import check_assignment_rules
from plinth.metadata.checks.context import CheckContext, MetadataSet
from plinth.metadata.checks.layouts import check_layouts
from plinth.metadata.checks.objects import check_objects
from plinth.metadata.checks.rules import (
    check_automations,
    check_sla_policies,
    check_validation_rules,
)
from plinth.metadata.checks.workflows import check_workflows
from plinth.metadata.problems import Problem

CHECKS = (
    check_objects,
    check_calendars,
    check_roles,
    check_layouts,
    check_workflows,
    check_sla_policies,
    check_assignment_rules,
    check_validation_rules,
    check_automations,
)


def cross_check(documents: MetadataSet) -> list[Problem]:
    """Every inconsistency in a whole metadata set (documents already pass their schemas)."""
    ctx = CheckContext(documents)
    for check in CHECKS:
        check(ctx)
    return ctx.problems
