"""A resource skill carries its skill's code, which assignment rules match against a
task's ``required_skills`` (``[{"skill": "hvac", "level": 3}]``)."""

from __future__ import annotations


def register(context) -> None:
    context.hooks.register("before_save", copy_skill_code, objects=["resource_skill"])


def copy_skill_code(event) -> None:
    if event.old is None or "skill" in event.changed:
        skill = event.session.as_system().records.get("skill", event.values["skill"], ["code"])
        event.values["skill_code"] = skill["code"]
