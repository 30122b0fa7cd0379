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
    if task.pinned_to is not None and not any(e.id == task.pinned_to for e in engineers):
        who = "who claimed it" if task.claimed else "it is kept on"
        return f"the engineer {who} is not working that day"
    reason, _count = counts.most_common(1)[0]
    return f"no qualified engineer: {reason}" + (
        f" (and {len(counts) - 1} other reasons)" if len(counts) > 1 else ""
    )


def fair_shares(available: list[float], work: Iterable[tuple[float, Iterable[int]]]) -> list[float]:
    """Each engineer's fair share of the day's work: every piece of ``work`` (seconds, the
    indices of the engineers who may do it) spread over those engineers in proportion to
    their ``available`` seconds. Engineers of a busy group or a rare skill get more."""
    shares = [0.0] * len(available)
    for seconds, who in work:
        able = [k for k in who if available[k] > 0]
        total = sum(available[k] for k in able)
        for k in able:
            shares[k] += seconds * available[k] / total
    return shares


def no_room(blocked: collections.Counter) -> str:
    """Why the qualified engineers who could do a task have no room for it, from how many
    are blocked by their daily task limit (``"tasks"``), their hours limit (``"hours"``) or
    by their day being full (``"room"``)."""
    total = sum(blocked.values())
    if blocked["tasks"] == total:
        return f"{_who(total)} reached their daily task limit"
    if blocked["hours"] == total:
        return f"{_who(total)} reached their daily hours limit"
    if blocked["tasks"] + blocked["hours"] == 0:
        return f"{_who(total)} {'has' if total == 1 else 'have'} no room left that day"
    parts = []
    if blocked["tasks"]:
        parts.append(f"{blocked['tasks']} reached the daily task limit")
    if blocked["hours"]:
        parts.append(f"{blocked['hours']} the daily hours limit")
    if blocked["room"]:
        parts.append(f"{blocked['room']} {'has' if blocked['room'] == 1 else 'have'} no room left")
    return f"of the {total} qualified engineers who could do it, " + ", ".join(parts)


def _who(count: int) -> str:
    if count == 1:
        return "the one qualified engineer who could do it"
    return f"the {count} qualified engineers who could do it"
