"""Cross-checks of roles and calendars."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from plinth.metadata.checks.context import CheckContext
from plinth.metadata.kinds import BUILTIN_ROLES


def check_roles(ctx: CheckContext) -> None:
    kind = "roles"
    for name, role in ctx.each(kind):
        if name in BUILTIN_ROLES:
            ctx.add(kind, name, ("name",), f"{name!r} is a built-in role and cannot be redefined")
        for obj, grant in (role.get("objects") or {}).items():
            if not ctx.require_object(kind, name, ("objects", obj), obj):
                continue
            known = ctx.field_names(obj)
            for field_name in grant.get("fields", {}):
                if field_name not in known:
                    ctx.add(kind, name, ("objects", obj, "fields", field_name), "unknown field")
            for index, path in enumerate(grant.get("user_fields", ())):
                problem = _user_field_problem(ctx, obj, path)
                if problem:
                    ctx.add(kind, name, ("objects", obj, "user_fields", index), problem)


def _user_field_problem(ctx: CheckContext, obj: str, path: str) -> str | None:
    """Why ``path`` (``field`` or ``lookup.field``) is not a user field of ``obj``."""
    first, _, through = path.partition(".")
    field = ctx.fields(obj).get(first)
    if not through:
        if field is None or field.get("type") != "user":
            return f"{first!r} is not a user field of {obj}"
        return None
    if field is None or field.get("type") != "lookup":
        return f"{first!r} is not a lookup field of {obj}"
    target = field.get("target")
    if ctx.fields(target).get(through, {}).get("type") != "user":
        return f"{through!r} is not a user field of {target}"
    return None


def check_calendars(ctx: CheckContext) -> None:
    kind = "calendars"
    for name, cal in ctx.each(kind):
        try:
            zoneinfo.ZoneInfo(cal.get("time_zone", ""))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            ctx.add(kind, name, ("time_zone",), f"unknown time zone {cal.get('time_zone')!r}")
        for day, intervals in (cal.get("hours") or {}).items():
            previous_end = "00:00"
            for index, (start, end) in enumerate(intervals):
                if start >= end:
                    ctx.add(kind, name, ("hours", day, index), "start must be before end")
                elif start < previous_end:
                    ctx.add(
                        kind,
                        name,
                        ("hours", day, index),
                        "overlaps or precedes the previous interval",
                    )
                previous_end = max(previous_end, end)
        for index, holiday in enumerate(cal.get("holidays", ())):
            dates = (
                [holiday] if isinstance(holiday, str) else [holiday.get("from"), holiday.get("to")]
            )
            parsed = []
            for value in dates:
                try:
                    parsed.append(dt.date.fromisoformat(value))
                except (TypeError, ValueError):
                    ctx.add(kind, name, ("holidays", index), f"invalid date {value!r}")
            if len(parsed) == 2 and parsed[0] > parsed[1]:
                ctx.add(kind, name, ("holidays", index), "from must not be after to")
        for index, value in enumerate(cal.get("extra_working_days", ())):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                ctx.add(kind, name, ("extra_working_days", index), f"invalid date {value!r}")
