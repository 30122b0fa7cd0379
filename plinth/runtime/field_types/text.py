"""Text-like fields: text, textarea, email, phone, url."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from plinth.runtime.field_types.base import (
    COMPARISON_OPS,
    INCOMPATIBLE,
    NARROW,
    SAME,
    WIDEN,
    CoercionContext,
    Field,
    FieldError,
    FieldType,
    column_of,
    require_type,
)

DEFAULT_TEXT_LENGTH = 255


class TextType(FieldType):
    name = "text"
    filter_ops = COMPARISON_OPS | {"contains"}

    def max_length(self, field: Field) -> int | None:
        length: int | None = field.spec.get("max_length", DEFAULT_TEXT_LENGTH)
        return length

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.String(self.max_length(field))

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        require_type(value, str, "text")
        text: str = value
        if "\x00" in text:
            raise FieldError("must not contain NUL characters")
        limit = self.max_length(field)
        if limit is not None and len(text) > limit:
            raise FieldError("is longer than {limit} characters", limit=limit)
        pattern = field.spec.get("pattern")
        if pattern and text and not _compiled(pattern).fullmatch(text):
            raise FieldError("does not match the pattern {pattern}", pattern=pattern)
        return text

    def coerce_filter_value(self, field: Field, op: str, value: Any, ctx: CoercionContext) -> str:
        require_type(value, str, "text")
        text: str = value
        return text

    def storage_change(self, old: Field, new: Field) -> str:
        if old.type is not new.type:
            return _text_family_change(old, new)
        old_len, new_len = self.max_length(old), self.max_length(new)
        if old_len == new_len:
            return SAME
        if new_len is None or (old_len is not None and new_len > old_len):
            return WIDEN
        return NARROW

    def loss_clause(self, old: Field, new: Field, table: sa.Table) -> sa.ColumnElement[bool]:
        # The new field's limit, by its own type: ``self`` is the old field's type, and an
        # email's fixed 254 (or a textarea's None) is not the limit of the text it becomes.
        new_type = new.type
        assert isinstance(new_type, TextType)  # only text-like changes narrow
        limit = new_type.max_length(new)
        return sa.func.length(table.c[column_of(old)]) > limit

    def check_definition(self, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = []
        pattern = spec.get("pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(("pattern", f"is not a valid regular expression: {exc}"))
        return problems


class TextAreaType(TextType):
    name = "textarea"
    supports_unique = False

    def max_length(self, field: Field) -> int | None:
        length: int | None = field.spec.get("max_length")
        return length

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.Text()


class EmailType(TextType):
    name = "email"
    _label = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    _pattern = re.compile(rf"^[^@\s]{{1,64}}@{_label}(?:\.{_label})+$")

    def max_length(self, field: Field) -> int | None:
        return 254

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> str:
        value = super().coerce(field, value, ctx).strip()
        if not self._pattern.match(value):
            raise FieldError("is not a valid email address")
        local, domain = value.rsplit("@", 1)
        return f"{local}@{domain.lower()}"


class PhoneType(TextType):
    name = "phone"
    _pattern = re.compile(r"^\+?[0-9][0-9 ()\-.]{1,30}[0-9](?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?$")

    def max_length(self, field: Field) -> int | None:
        return 40

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> str:
        text = super().coerce(field, value, ctx).strip()
        if not self._pattern.match(text):
            raise FieldError("is not a valid phone number")
        return text


class UrlType(TextType):
    name = "url"

    def max_length(self, field: Field) -> int | None:
        return 2048

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> str:
        text = super().coerce(field, value, ctx).strip()
        parts = urlsplit(text)
        if parts.scheme not in {"http", "https"} or not parts.netloc or " " in text:
            raise FieldError("is not a valid http(s) URL")
        return text


def _text_family_change(old: Field, new: Field) -> str:
    """Between text-like types: into an unconstrained textarea is widening, else incompatible."""
    if isinstance(old.type, TextType) and isinstance(new.type, TextAreaType):
        return WIDEN if new.type.max_length(new) is None else NARROW
    if isinstance(old.type, TextType) and type(new.type) is TextType:
        old_len, new_len = old.type.max_length(old), new.type.max_length(new)
        if old_len is not None and new_len is not None and new_len >= old_len:
            return WIDEN
        return NARROW
    return INCOMPATIBLE


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        compiled = _PATTERNS[pattern] = re.compile(pattern)
    return compiled
