"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An instant: stored in UTC (timestamptz on PostgreSQL), always returned timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None or value.tzinfo is dt.UTC:  # PostgreSQL sessions run in UTC
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# Precision is declared up to 38 digits; the default decimal context has 28 and raises
# InvalidOperation when quantizing beyond them.
WIDE_DECIMALS = decimal.Context(prec=60, traps=[decimal.InvalidOperation])


class ExactNumeric(sa.types.TypeDecorator[decimal.Decimal]):
    """A fixed-point number returned as ``Decimal`` quantized to its scale.

    SQLite has no decimal type: values are stored with NUMERIC affinity (exact to about
    15 significant digits) and re-quantized on read.
    """

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int):
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self._quantum = decimal.Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        # ``impl`` is the class on the class, an instance (made in __init__) on the instance.
        numeric = cast("sa.Numeric[decimal.Decimal]", self.impl)
        if dialect.name == "sqlite":
            return dialect.type_descriptor(
                sa.Numeric(numeric.precision, numeric.scale, asdecimal=False)
            )
        return dialect.type_descriptor(numeric)

    def process_bind_param(self, value: decimal.Decimal | None, dialect: Dialect) -> Any:
        if value is not None and dialect.name == "sqlite":
            return str(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> decimal.Decimal | None:
        if value is None:
            return None
        if dialect.name == "postgresql":  # numeric(p, s) is always read at scale s
            return cast(decimal.Decimal, value)
        return decimal.Decimal(str(value)).quantize(self._quantum, context=WIDE_DECIMALS)


def json_type() -> sa.types.TypeEngine[Any]:
    """JSON column: JSONB on PostgreSQL (indexable containment), JSON text on SQLite.

    Python None is stored as SQL NULL (not the JSON text ``null``), so ``IS NULL`` works.
    """
    jsonb = postgresql.JSONB(none_as_null=True)
    return sa.JSON(none_as_null=True).with_variant(jsonb, "postgresql")
