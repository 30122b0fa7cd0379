"""Metadata documents shared by the tests."""

from __future__ import annotations

import copy

SITE = {
    "name": "site",
    "label": {"en": "Site", "zh-CN": "站点"},
    "title_field": "name",
    "search_fields": ["name", "city"],
    "fields": [
        {"name": "name", "type": "text", "required": True, "max_length": 100},
        {"name": "city", "type": "text", "max_length": 60},
        {"name": "location", "type": "geo"},
    ],
}

ASSET = {
    "name": "asset",
    "label": {"en": "Asset", "zh-CN": "设备"},
    "title_field": "serial",
    "track_history": True,
    "fields": [
        {"name": "serial", "type": "text", "required": True, "unique": True, "max_length": 40},
        {
            "name": "grade",
            "type": "select",
            "default": "a",
            "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
        },
        {"name": "site", "type": "lookup", "target": "site", "on_delete": "restrict"},
        {"name": "number", "type": "autonumber", "pattern": "AS-{seq:05}"},
        {"name": "qty", "type": "integer", "min": 0, "max": 1000},
    ],
}

OPTIONS = [{"value": "red"}, {"value": "green"}, {"value": "blue"}]

# One field of every type.
EVERYTHING = {
    "name": "everything",
    "title_field": "a_text",
    "search_fields": ["a_text", "a_textarea"],
    "fields": [
        {"name": "a_text", "type": "text", "max_length": 20, "pattern": "^[A-Za-z0-9 ]*$"},
        {"name": "a_textarea", "type": "textarea", "max_length": 1000},
        {"name": "an_integer", "type": "integer", "min": -5, "max": 500},
        {"name": "a_decimal", "type": "decimal", "precision": 10, "scale": 3},
        {"name": "a_currency", "type": "currency", "currency": "CNY"},
        {"name": "a_percent", "type": "percent"},
        {"name": "a_boolean", "type": "boolean"},
        {"name": "a_date", "type": "date"},
        {"name": "a_datetime", "type": "datetime"},
        {"name": "a_time", "type": "time"},
        {"name": "a_duration", "type": "duration", "max": 10000},
        {"name": "an_email", "type": "email"},
        {"name": "a_phone", "type": "phone"},
        {"name": "a_url", "type": "url"},
        {"name": "a_select", "type": "select", "options": OPTIONS},
        {"name": "a_multiselect", "type": "multiselect", "options": OPTIONS, "max_items": 2},
        {"name": "a_lookup", "type": "lookup", "target": "site", "on_delete": "set_null"},
        {"name": "a_user", "type": "user"},
        {"name": "a_geo", "type": "geo"},
        {"name": "a_signature", "type": "signature"},
        {"name": "an_attachment", "type": "attachment"},
        {"name": "some_attachments", "type": "attachment", "multiple": True},
        {"name": "a_json", "type": "json"},
        {"name": "an_autonumber", "type": "autonumber", "pattern": "EV-{YYYY}{MM}-{seq:04}"},
        {
            "name": "a_formula",
            "type": "formula",
            "formula": "an_integer * 2",
            "result_type": "integer",
            "stored": True,
        },
    ],
}

# A 1x1 transparent PNG.
PNG_DATA_URL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


def doc(document: dict) -> dict:
    """A deep copy, so tests can change documents freely."""
    return copy.deepcopy(document)


def field(document: dict, name: str) -> dict:
    return next(f for f in document["fields"] if f["name"] == name)
