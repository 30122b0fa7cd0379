"""Who may do a task: skills and levels, service group, required / excluded engineers,
resource type and minimum efficiency. Each refusal comes with its reason."""

from __future__ import annotations

import collections
from collections.abc import Iterable

from packs.field_service.dispatch.model import Engineer, Task


def refusal(engineer: Engineer, task: Task) -> str | None:
    """Why ``engineer`` may not do ``task``; None when they may."""
    if task.pinned_to is not None:
        return None if task.pinned_to == engineer.id else "kept on another engineer"
    if task.required is not None and task.required != engineer.id:
        return "another engineer is required"
    if engineer.id in task.excluded:
        return "excluded"
    for need in task.required_skills:
        if engineer.skills.get(need.code, 0) < need.level:
            return f"needs skill {need.code} at level {need.level}"
    if task.service_group is not None and task.service_group not in engineer.groups:
        return "not in the task's service group"
    if task.resource_type and engineer.resource_type != task.resource_type:
        return f"needs a {task.resource_type}"
    if task.min_efficiency is not None and engineer.efficiency < task.min_efficiency:
        return f"needs efficiency {task.min_efficiency:g} or more"
    return None


def eligible_engineers(engineers: Iterable[Engineer], task: Task) -> list[Engineer]:
    return [engineer for engineer in engineers if refusal(engineer, task) is None]


def summarise_refusals(engineers: list[Engineer], task: Task) -> str:
    """One sentence on why nobody may do ``task`` (the most common refusal first)."""
    if not engineers:
        return "no engineer is working that day"
    counts = collections.Counter(refusal(engineer, task) for engineer in engineers)
    counts.pop(None, None)
    if task.required is not None and not any(e.id == task.required for e in engineers):
        return "the required engineer is not working that day"
    reason, _count = counts.most_common(1)[0]
    return f"no qualified engineer: {reason}" + (
        f" (and {len(counts) - 1} other reasons)" if len(counts) > 1 else ""
    )
