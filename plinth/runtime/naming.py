"""Database identifiers derived from metadata names, kept within PostgreSQL's 63-byte limit."""

from __future__ import annotations

import hashlib

MAX_IDENTIFIER = 63
OBJECT_TABLE_PREFIX = "obj_"


def _fit(name: str) -> str:
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9]}_{digest}"


def table_name(object_name: str) -> str:
    """Table holding an object's records: ``obj_<name>``."""
    return _fit(OBJECT_TABLE_PREFIX + object_name)


def column_name(field_name: str, suffix: str = "") -> str:
    """Column for a field, or for one part of a multi-column field (geo)."""
    return _fit(f"{field_name}_{suffix}" if suffix else field_name)


def index_name(table: str, columns: list[str], unique: bool = False) -> str:
    prefix = "uq" if unique else "ix"
    return _fit(f"{prefix}_{table}_{'_'.join(columns)}")


def foreign_key_name(table: str, column: str) -> str:
    return _fit(f"fk_{table}_{column}")


def archived_table_name(object_name: str, revision_id: int) -> str:
    return _fit(f"arc_{object_name}_r{revision_id}")
