"""The access guard interface the record service consults on every call."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from plinth.errors import PermissionDenied
from plinth.i18n import Message, Named

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel

ACTIONS = ("read", "create", "update", "delete")


class AccessGuard:
    """Full access (the system actor and admins); role-based guards override the methods."""

    def check(self, model: ObjectModel, action: str) -> None:
        """Raise PermissionDenied when the actor may not do ``action`` on any row."""

    def allows(self, model: ObjectModel, action: str) -> bool:
        """Whether ``check`` would let the actor ``action`` some rows (for offering it)."""
        try:
            self.check(model, action)
        except PermissionDenied:
            return False
        return True

    def row_filter(self, model: ObjectModel, action: str) -> sa.ColumnElement[bool] | None:
        """SQL limiting rows to those the actor may ``action``; None means all rows."""
        return None

    def readable(self, model: ObjectModel) -> frozenset[str] | None:
        """Names of fields the actor may read; None means all."""
        return None

    def editable(self, model: ObjectModel) -> frozenset[str] | None:
        """Names of fields the actor may write; None means all."""
        return None

    def allows_owner(self, model: ObjectModel, action: str, owner_id: int | None) -> bool:
        """Whether the actor may create (or move) a record owned by ``owner_id``."""
        return True


FULL_ACCESS = AccessGuard()


# How a refusal names each action where a page says it in the user's language.
ACTION_WORDS = {
    "read": {"en": "read", "zh-CN": "查看"},
    "create": {"en": "create", "zh-CN": "新建"},
    "update": {"en": "update", "zh-CN": "修改"},
    "delete": {"en": "delete", "zh-CN": "删除"},
}


def deny(model: ObjectModel, action: str) -> PermissionDenied:
    return PermissionDenied(
        Message(
            "you may not {action} {object} records",
            action=Named(action, ACTION_WORDS.get(action)),
            object=Named(model.name, model.spec.get("label")),
        )
    )
