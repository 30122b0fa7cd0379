"""Registry of field types by name."""

from __future__ import annotations

from plinth.runtime.field_types.base import FieldType
from plinth.runtime.field_types.choices import BooleanType, MultiSelectType, SelectType
from plinth.runtime.field_types.geo import GeoType
from plinth.runtime.field_types.numbers import (
    CurrencyType,
    DecimalType,
    DurationType,
    IntegerType,
    PercentType,
)
from plinth.runtime.field_types.references import AttachmentType, LookupType, UserType
from plinth.runtime.field_types.signature import SignatureType
from plinth.runtime.field_types.special import AutonumberType, FormulaType, JsonType
from plinth.runtime.field_types.temporal import DateTimeType, DateType, TimeType
from plinth.runtime.field_types.text import EmailType, PhoneType, TextAreaType, TextType, UrlType


def _build_registry() -> dict[str, FieldType]:
    types: list[FieldType] = [
        TextType(),
        TextAreaType(),
        IntegerType(),
        DecimalType(),
        CurrencyType(),
        PercentType(),
        BooleanType(),
        DateType(),
        DateTimeType(),
        TimeType(),
        DurationType(),
        EmailType(),
        PhoneType(),
        UrlType(),
        SelectType(),
        MultiSelectType(),
        LookupType(),
        UserType(),
        GeoType(),
        SignatureType(),
        AttachmentType(),
        JsonType(),
        AutonumberType(),
    ]
    registry = {t.name: t for t in types}
    result_types = {
        name: registry[name]
        for name in ("text", "integer", "decimal", "currency", "percent", "boolean", "date")
    }
    result_types.update(datetime=registry["datetime"], duration=registry["duration"])
    registry["formula"] = FormulaType(result_types)
    return registry


REGISTRY: dict[str, FieldType] = _build_registry()

__all__ = ["REGISTRY", "FieldType"]
