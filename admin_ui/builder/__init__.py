"""The admin builder under ``/admin/``: objects and fields, layouts, workflows, rules,
people, revisions and pack export, for the admin role only.

Every change goes through the same publisher as the metadata API (validation, schema
plan, revision); users and teams through the same services as the users API.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from admin_ui.builder.kinds import DOCUMENT_KINDS, KIND_LABELS
from admin_ui.builder.labels import field_type_label, property_label
from admin_ui.builder.publishing import base_revision
from admin_ui.pages import error_pages, page_helpers

builder = Blueprint("builder", __name__, url_prefix="/admin", template_folder="../templates")
builder.context_processor(page_helpers)
error_pages(builder)

ACTIONS = {"create": _l("created"), "update": _l("changed"), "delete": _l("deleted")}


@builder.context_processor
def _builder_helpers() -> dict[str, Any]:
    return {
        "property_label": property_label,
        "field_type_label": field_type_label,
        "action_label": lambda action: str(ACTIONS.get(action, action)),
        "DOCUMENT_KINDS": DOCUMENT_KINDS,
        "KIND_LABELS": KIND_LABELS,
        "base_revision": base_revision,
    }


@builder.app_template_filter("css_id")
def css_id(name: str) -> str:
    """An input name (``/targets/0/name``) as an element id."""
    return "f" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


from admin_ui.builder import (  # noqa: E402,F401  (routes)
    documents,
    emails,
    home,
    layout_editor,
    objects,
    people,
    review,
    revisions,
    workflows,
)
