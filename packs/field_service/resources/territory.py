"""Which service group serves a site: by its district, else by the group's polygon."""

from __future__ import annotations

from packs.field_service.geo import inside_polygon
from plinth.toolkit import Filter, ListQuery


def register(context) -> None:
    context.hooks.register("before_save", place_site, objects=["site"])


def place_site(event) -> None:
    """Fill an empty service group when the site is saved with a district or location."""
    values = event.values
    if values.get("service_group") or not (values.get("district") or values.get("location")):
        return
    if event.old is not None and not {"district", "location"} & event.changed:
        return
    group = group_for(event.session, values.get("district"), values.get("location"))
    if group is not None:
        values["service_group"] = group


def group_for(session, district: str | None, location: dict | None) -> int | None:
    """The first active group (by id) listing the district, else whose polygon holds the
    location."""
    groups = (
        session.as_system()
        .records.list(
            "service_group",
            ListQuery(
                [Filter("active", "eq", True)], ["id"], 500, fields=["id", "districts", "polygon"]
            ),
        )
        .data
    )
    if district:
        wanted = district.strip().casefold()
        for group in groups:
            names = group.get("districts") or []
            if isinstance(names, list) and any(
                isinstance(n, str) and n.strip().casefold() == wanted for n in names
            ):
                return group["id"]
    if location:
        for group in groups:
            if isinstance(group.get("polygon"), list) and inside_polygon(
                location, group["polygon"]
            ):
                return group["id"]
    return None
