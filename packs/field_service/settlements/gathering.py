"""Settlements gather expense lines: a resource's (or a provider's) over a period.

Creating a settlement attaches every unsettled expense of its party spent within its
period; changing a draft's party or period gathers again (lines that no longer fit are
let go), as does ``POST /api/v1/fs/settlements/{id}/refresh``. ``line_count`` and ``total``
follow the lines, and are counted again when the settlement is confirmed. The lines of a
confirmed or settled settlement are frozen: they cannot change, go, or be added to.
"""

from __future__ import annotations

import decimal

from flask import jsonify

from packs.field_service.records import all_records
from plinth.toolkit import Conflict, Filter, PermissionDenied, ValidationError, api_session

DRAFT = "draft"
FROZEN = ("confirmed", "settled")
LINE_FIELDS = ["id", "settlement", "amount"]
GATHER_FIELDS = frozenset({"resource", "provider", "period_start", "period_end"})
REFRESH_OPENAPI = {
    "post": {
        "summary": "Gather the expense lines of a draft settlement again",
        "tags": ["field service"],
        "parameters": [
            {
                "name": "settlement_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer"},
            }
        ],
        "responses": {
            "200": {"description": "The settlement with its new line count and total"},
            "409": {"description": "The settlement is not a draft"},
        },
    }
}


def register(context) -> None:
    context.hooks.register("before_save", count_lines, objects=["settlement"])
    context.hooks.register("after_save", gather_lines, objects=["settlement"])
    context.hooks.register("before_save", keep_settled_lines, objects=["expense"])
    context.hooks.register("before_delete", keep_settled_lines, objects=["expense"])
    context.api_route("/fs/settlements/<id:settlement_id>/refresh", ("POST",), REFRESH_OPENAPI)(
        refresh_settlement
    )


def _regathers(event) -> bool:
    """On create, and when a draft's party or period changes."""
    if event.old is None:
        return True
    return event.values.get("status") == DRAFT and bool(GATHER_FIELDS & event.changed)


def count_lines(event) -> None:
    """Set ``line_count`` and ``total`` from the lines the save will leave attached."""
    values, old = event.values, event.old
    if old is not None and old.get("status") in FROZEN and GATHER_FIELDS & event.changed:
        field = sorted(GATHER_FIELDS & event.changed)[0]
        raise ValidationError.single(
            field, "a confirmed or settled settlement's party and period cannot change"
        )
    system = event.session.as_system()
    if _regathers(event):
        values.update(_totals(fitting_lines(system, values)))
    elif values.get("status") == "confirmed" and old.get("status") != "confirmed":
        totals = _totals(_attached(system, values["id"]))
        if not totals["line_count"]:
            raise ValidationError.single("line_count", "the settlement has no expense lines")
        values.update(totals)


def gather_lines(event) -> None:
    """Attach the fitting lines; if a concurrent settlement took one meanwhile, count the
    lines actually attached."""
    if not _regathers(event):
        return
    system, values = event.session.as_system(), event.values
    attached = attach(system, values["id"], fitting_lines(system, values))
    totals = _totals(attached)
    if totals["line_count"] != values.get("line_count"):
        system.records.update("settlement", values["id"], totals)


def fitting_lines(system, settlement: dict) -> list[dict]:
    """Expenses of the settlement's party spent within its period that are not on another
    settlement."""
    party = "resource" if settlement.get("resource") else "provider"
    start, end = settlement.get("period_start"), settlement.get("period_end")
    if not settlement.get(party) or not start or not end or start > end:
        return []
    filters = [
        Filter(party, "eq", settlement[party]),
        Filter("spent_on", "gte", start),
        Filter("spent_on", "lte", end),
    ]
    own = settlement.get("id")
    return [
        e
        for e in all_records(system, "expense", filters, fields=["id", "settlement", "amount"])
        if e.get("settlement") in (None, own)
    ]


def _attached(system, settlement_id: int) -> list[dict]:
    return list(
        all_records(
            system,
            "expense",
            [Filter("settlement", "eq", settlement_id)],
            fields=["id", "settlement", "amount"],
        )
    )


def attach(system, settlement_id: int, lines: list[dict]) -> list[dict]:
    """Make ``lines`` the settlement's lines (as the system: the field is read-only), but
    for lines another settlement took meanwhile; returns the lines attached."""
    keep = {line["id"] for line in lines}
    for line in _attached(system, settlement_id):
        if line["id"] not in keep:
            system.records.update("expense", line["id"], {"settlement": None})
    attached = []
    for line in lines:
        if line.get("settlement") != settlement_id:
            taken = system.records.lock("expense", line["id"]).get("settlement")
            if taken not in (None, settlement_id):
                continue
            system.records.update("expense", line["id"], {"settlement": settlement_id})
        attached.append(line)
    return attached


def _totals(lines: list[dict]) -> dict:
    total = sum(
        (decimal.Decimal(str(line.get("amount") or 0)) for line in lines), decimal.Decimal(0)
    )
    return {"line_count": len(lines), "total": total}


def _status_of(session, settlement_id) -> str | None:
    if not settlement_id:
        return None
    return session.as_system().records.get("settlement", settlement_id, ["status"])["status"]


def keep_settled_lines(event) -> None:
    """Lines of a confirmed or settled settlement cannot change or go, nor can lines be
    added to one."""
    old, values = event.old, event.values
    status = _status_of(event.session, old and old.get("settlement"))
    if status in FROZEN:
        action = "deleted" if event.event == "before_delete" else "changed"
        raise ValidationError.single(
            "settlement", f"the line is on a {status} settlement and cannot be {action}"
        )
    if event.event == "before_save" and (old is None or "settlement" in event.changed):
        if _status_of(event.session, values.get("settlement")) in FROZEN:
            raise ValidationError.single(
                "settlement", "lines cannot be added to a confirmed or settled settlement"
            )


def refresh_settlement(settlement_id: int):
    """Gather a draft settlement's lines again (service managers and administrators)."""
    with api_session() as s:
        if not (s.actor.is_admin or "service_manager" in s.actor.roles):
            raise PermissionDenied("only service managers may refresh a settlement")
        settlement = s.records.lock("settlement", settlement_id)
        if settlement.get("status") != DRAFT:
            raise Conflict(
                f"settlement {settlement['number']} is {settlement['status']}; reopen it first",
                state=settlement.get("status"),
            )
        system = s.as_system()
        lines = attach(system, settlement["id"], fitting_lines(system, settlement))
        system.records.update("settlement", settlement["id"], _totals(lines))
        return jsonify(s.records.get("settlement", settlement["id"]))
