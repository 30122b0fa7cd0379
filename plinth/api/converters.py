"""URL converters: ids are positive 64-bit integers, anything else is simply not found."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import BaseConverter, ValidationError

from plinth.json_props import MAX_ID


class IdConverter(BaseConverter):
    regex = r"[0-9]{1,19}"  # ASCII digits: \d would take "٣" too

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValidationError()  # werkzeug then answers 404
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))
