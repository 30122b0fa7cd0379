"""URL converters: ids are positive 64-bit integers, anything else is simply not found."""

from __future__ import annotations

from werkzeug.routing import BaseConverter, ValidationError

MAX_ID = 2**63 - 1


class IdConverter(BaseConverter):
    regex = r"\d{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValidationError()  # werkzeug then answers 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))
