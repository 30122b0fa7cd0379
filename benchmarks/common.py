"""What the benchmarks share: the measured object and the database they run against."""

from __future__ import annotations

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STATUSES = ["open", "assigned", "working", "done", "closed"]
# A typical business object: text, an indexed select, numbers, an instant.
ITEM = {
    "name": "bench_item",
    "fields": [
        {"name": "title", "type": "text", "max_length": 200, "required": True},
        {
            "name": "status",
            "type": "select",
            "indexed": True,
            "options": [{"value": s} for s in STATUSES],
        },
        {"name": "priority", "type": "integer", "min": 0, "max": 9},
        {"name": "amount", "type": "decimal", "precision": 12, "scale": 2},
        {"name": "due", "type": "datetime"},
    ],
    "indexes": [{"fields": ["status", "-created_at"]}],
}
