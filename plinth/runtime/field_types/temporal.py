"""Date, datetime (an instant, stored in UTC) and time-of-day fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from plinth.runtime.field_types.base import CoercionContext, Field, FieldError, FieldType
from plinth.runtime.sqltypes import UTCDateTime


class DateType(FieldType):
    name = "date"

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.Date()

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> dt.date:
        if isinstance(value, dt.datetime):
            raise FieldError("expected a date (YYYY-MM-DD), got a date and time")
        if isinstance(value, dt.date):
            return value
        if not isinstance(value, str):
            raise FieldError("expected a date (YYYY-MM-DD)")
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise FieldError("is not a valid date (YYYY-MM-DD)") from None


def parse_instant(value: Any, ctx: CoercionContext) -> dt.datetime:
    """An aware UTC datetime from ISO 8601 text; naive input is in the actor's time zone."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) < 10 or len(text) > 40:
            raise FieldError("is not a valid date and time (ISO 8601)")
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise FieldError("is not a valid date and time (ISO 8601)") from None
    else:
        raise FieldError("expected a date and time (ISO 8601)")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ctx.time_zone)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        raise FieldError("is out of range") from None


class DateTimeType(FieldType):
    name = "datetime"

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return UTCDateTime()

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> dt.datetime:
        return parse_instant(value, ctx)


class TimeType(FieldType):
    name = "time"

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.Time()

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> dt.time:
        if isinstance(value, dt.time):
            return value.replace(tzinfo=None)
        if not isinstance(value, str):
            raise FieldError("expected a time of day (HH:MM or HH:MM:SS)")
        try:
            parsed = dt.time.fromisoformat(value.strip())
        except ValueError:
            raise FieldError("is not a valid time of day (HH:MM or HH:MM:SS)") from None
        if parsed.tzinfo is not None:
            raise FieldError("a time of day takes no time zone")
        return parsed
