"""Bulk create or upsert (by an external-id field) of up to 1000 records in one transaction."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from plinth.errors import NotFound, PermissionDenied, PlinthError, ValidationError
from plinth.runtime.query import Filter, ListQuery

if TYPE_CHECKING:
    from plinth.runtime.session import Session

MAX_RECORDS = 1000
MODES = ("create", "upsert")


@dataclasses.dataclass
class BulkOutcome:
    index: int
    status: str  # created, updated, unchanged, error, skipped
    id: int | None = None
    errors: dict[str, list[str]] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


def bulk_write(session: Session, object_name: str, body: Any) -> tuple[list[BulkOutcome], bool]:
    """Apply a bulk request; returns (outcomes, whether the batch may be committed).

    ``{"mode": "create"|"upsert", "external_id": field, "records": [...], "atomic": true}``.
    Atomic (the default): one failure fails them all, nothing is written, and every record's
    outcome says why. Non-atomic: each record in its own savepoint, failures skipped.
    """
    records, mode, key, atomic = _parse(session, object_name, body)
    existing = (
        _existing_ids(session, object_name, key, records)
        if mode == "upsert" and key is not None  # (_parse: upsert always names a key)
        else {}
    )
    outcomes: list[BulkOutcome] = []
    for index, values in enumerate(records):
        try:
            if atomic:
                outcomes.append(_write_one(session, object_name, index, values, key, existing))
            else:
                with session.savepoint():
                    outcomes.append(_write_one(session, object_name, index, values, key, existing))
        except ValidationError as exc:
            outcomes.append(BulkOutcome(index, "error", errors=exc.errors))
        except (NotFound, PermissionDenied, PlinthError) as exc:
            outcomes.append(BulkOutcome(index, "error", errors={"_record": [exc.detail]}))
        if atomic and outcomes[-1].status == "error":
            # Later records are not tried: the transaction is rolled back anyway.
            outcomes.extend(BulkOutcome(i, "skipped") for i in range(index + 1, len(records)))
            break
    failed = atomic and any(o.status == "error" for o in outcomes)
    return outcomes, not failed


def _parse(
    session: Session, object_name: str, body: Any
) -> tuple[list[Any], str, str | None, bool]:
    """(records, mode, external id field, atomic); records are checked one by one later."""
    if not isinstance(body, dict):
        raise ValidationError.single("_body", "must be a JSON object")
    unknown = sorted(set(body) - {"mode", "external_id", "records", "atomic"})
    if unknown:
        raise ValidationError({k: ["unknown field"] for k in unknown})
    mode = body.get("mode", "create")
    if mode not in MODES:
        raise ValidationError.single("mode", "must be create or upsert")
    records = body.get("records")
    if not isinstance(records, list) or not records:
        raise ValidationError.single("records", "must be a non-empty list")
    if len(records) > MAX_RECORDS:
        raise ValidationError.single("records", f"holds at most {MAX_RECORDS} records")
    atomic = body.get("atomic", True)
    if not isinstance(atomic, bool):
        raise ValidationError.single("atomic", "must be true or false")
    model = session.compiled.object(object_name)
    key = body.get("external_id")
    if mode == "upsert":
        field = model.fields.get(key) if isinstance(key, str) else None
        if field is None or not (field.unique or field.type.name == "autonumber") or field.system:
            raise ValidationError.single("external_id", "must name a unique field of the object")
        for index, values in enumerate(records):
            if not isinstance(values, dict) or values.get(key) in (None, ""):
                raise ValidationError.single(f"records/{index}/{key}", "is required for upsert")
    elif key is not None:
        raise ValidationError.single("external_id", "is only used with mode upsert")
    return records, mode, key, atomic


def _existing_ids(
    session: Session, object_name: str, key: str, records: list[dict[str, Any]]
) -> dict[Any, int]:
    """Existing records by external id (those the actor may see), in few queries."""
    found: dict[Any, int] = {}
    values = list({str(r[key]) for r in records})
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        query = ListQuery(filters=[Filter(key, "in", chunk)], fields=[key], limit=1000)
        for row in session.records.list(object_name, query).data:
            found[str(row[key])] = row["id"]
    return found


def _write_one(
    session: Session,
    object_name: str,
    index: int,
    values: Any,
    key: str | None,
    existing: dict[Any, int],
) -> BulkOutcome:
    if not isinstance(values, dict):
        raise ValidationError.single("_record", "must be a JSON object")
    record_id = existing.get(str(values[key])) if key else None
    if record_id is None:
        created = session.records.create(object_name, values)
        if key:
            existing[str(values[key])] = created["id"]
        return BulkOutcome(index, "created", created["id"])
    before = session.records.get(object_name, record_id, fields=["version"])["version"]
    updated = session.records.update(object_name, record_id, values)
    status = "unchanged" if updated["version"] == before else "updated"
    return BulkOutcome(index, status, record_id)
