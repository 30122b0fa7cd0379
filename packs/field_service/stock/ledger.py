"""The spare-parts ledger: posting a part movement moves stock between balances.

A ``stock_balance`` row per (part, location) holds the quantity. Posting a movement (its
workflow entering ``posted``) locks the balances it touches, in id order so that two
postings can never deadlock, refuses to take more than a location holds, and updates them
through the record service (history, the low-stock automation). Because the source balance
is locked before it is read, concurrent consumptions of the last units cannot both
succeed: balances never go negative. ``reconcile`` recomputes every balance from the
posted movements to prove the ledger and the balances agree.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from packs.field_service.records import all_records
from plinth.toolkit import Filter, ListQuery, ValidationError

POSTED = "posted"
FINAL = ("posted", "rejected", "cancelled")
ZERO = decimal.Decimal(0)


def register(context) -> None:
    context.hooks.register("before_save", post_when_posted, objects=["part_movement"])
    context.hooks.register("before_delete", keep_final_movements, objects=["part_movement"])
    context.hooks.register("before_save", balances_change_only_by_posting, ["stock_balance"])


def post_when_posted(event) -> None:
    """Apply the movement to the balances in the save that moves it to ``posted``."""
    values, old = event.values, event.old
    if values.get("status") != POSTED or (old is not None and old.get("status") == POSTED):
        return
    session = event.session.as_system()
    session.stock_posting = True
    try:
        post(session, values)
    finally:
        session.stock_posting = False
    values["posted_at"] = session.tenant.clock()


def keep_final_movements(event) -> None:
    if event.old and event.old.get("status") in FINAL and not event.session.actor.is_admin:
        raise ValidationError.single(
            "status", "a posted, rejected or cancelled movement cannot be deleted"
        )


def balances_change_only_by_posting(event) -> None:
    """Quantities change only by posting movements (a manual edit would break the ledger)."""
    if "qty" not in event.changed or getattr(event.session, "stock_posting", False):
        return
    if event.old is not None or (event.values.get("qty") or 0) != 0:
        raise ValidationError.single("qty", "changes only by posting a part movement")


def post(session, movement: dict[str, Any]) -> None:
    """Move ``qty`` of the part out of ``from_location`` and into ``to_location``."""
    qty = decimal.Decimal(str(movement["qty"]))
    part = movement["part"]
    source, target = movement.get("from_location"), movement.get("to_location")
    if movement.get("kind") == "consumption":
        target = None
    balances: dict[int, dict] = {}
    if target is not None:
        balances[target] = _balance(session, part, target, create=True)
    if source is not None:
        found = _balance(session, part, source, create=False)
        if found is None:
            raise _short(session, part, source, qty, ZERO)
        balances[source] = found
    locked = {
        location: session.records.lock("stock_balance", balance["id"])
        for location, balance in sorted(balances.items(), key=lambda item: item[1]["id"])
    }
    now = session.tenant.clock()
    if source is not None:
        available = decimal.Decimal(str(locked[source]["qty"] or 0))
        if available < qty:
            raise _short(session, part, source, qty, available)
        _set_qty(session, locked[source], available - qty, now)
    if target is not None:
        held = decimal.Decimal(str(locked[target]["qty"] or 0))
        _set_qty(session, locked[target], held + qty, now)
    if source is None and target is None:
        raise ValidationError.single("from_location", "a movement needs a location")


def _set_qty(session, balance: dict, qty: decimal.Decimal, now) -> None:
    session.records.update(
        "stock_balance", balance["id"], {"qty": qty, "last_movement_at": now}, touch=True
    )


def _short(session, part, location, wanted, available) -> ValidationError:
    part_name = session.records.get("part", part, fields=["name"])["name"]
    where = session.records.get("stock_location", location, fields=["name"])["name"]
    return ValidationError.single(
        "qty", f"only {available.normalize():f} of {part_name} at {where}; {wanted:f} asked"
    )


def _balance(session, part: int, location: int, create: bool) -> dict | None:
    """The balance row of a part at a location, created empty when ``create`` (a concurrent
    creator may win the unique index: then theirs is used)."""
    query = ListQuery([Filter("part", "eq", part), Filter("location", "eq", location)], limit=1)
    rows = session.records.list("stock_balance", query).data
    if rows or not create:
        return rows[0] if rows else None
    try:
        with session.conn.begin_nested():
            return session.records.create(
                "stock_balance", {"part": part, "location": location, "qty": 0}
            )
    except sa.exc.IntegrityError:
        return session.records.list("stock_balance", query).data[0]


def reconcile(session) -> list[dict[str, Any]]:
    """Balances that differ from the sum of posted movements (empty when the ledger holds)."""
    expected: dict[tuple[int, int], decimal.Decimal] = defaultdict(lambda: ZERO)
    for movement in all_records(session, "part_movement", [Filter("status", "eq", POSTED)]):
        qty = decimal.Decimal(str(movement["qty"]))
        if movement.get("from_location"):
            expected[(movement["part"], movement["from_location"])] -= qty
        if movement.get("to_location") and movement.get("kind") != "consumption":
            expected[(movement["part"], movement["to_location"])] += qty
    actual = {
        (b["part"], b["location"]): decimal.Decimal(str(b["qty"] or 0))
        for b in all_records(session, "stock_balance", [])
    }
    differences = []
    for key in sorted(set(expected) | set(actual)):
        want, have = expected.get(key, ZERO), actual.get(key, ZERO)
        if want != have:
            differences.append(
                {"part": key[0], "location": key[1], "ledger": want, "balance": have}
            )
    return differences
