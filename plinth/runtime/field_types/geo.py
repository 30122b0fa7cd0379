"""Geo points: ``{"lat", "lng"}`` stored as two float columns with a composite index.

The (lat, lng) B-tree index makes bounding-box filters (``field__within``) index-backed on
both databases without requiring PostGIS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from plinth.i18n import Named
from plinth.runtime import naming
from plinth.runtime.field_types.base import CoercionContext, Field, FieldError, FieldType

EARTH_RADIUS_KM = 6371.0088
AXES = {
    "lat": Named("lat", {"en": "latitude", "zh-CN": "纬度"}),
    "lng": Named("lng", {"en": "longitude", "zh-CN": "经度"}),
}


def distance_km(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> float | None:
    """Great-circle (haversine) distance between two geo values ({lat, lng}) in kilometres;
    None when one is missing."""
    if not a or not b:
        return None
    lat1, lng1, lat2, lng2 = map(math.radians, (a["lat"], a["lng"], b["lat"], b["lng"]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return EARTH_RADIUS_KM * 2 * math.asin(min(1.0, math.sqrt(h)))  # rounding can pass 1


def parse_point(value: Any) -> tuple[float, float]:
    if isinstance(value, dict):
        unknown = set(value) - {"lat", "lng"}
        if unknown:
            raise FieldError(f"unexpected key(s) {', '.join(sorted(unknown))}; use lat and lng")
        lat: Any = value.get("lat")  # checked to be numbers below
        lng: Any = value.get("lng")
    else:
        raise FieldError('must be an object like {"lat": 31.23, "lng": 121.47}')
    for axis, number in (("lat", lat), ("lng", lng)):
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise FieldError("{axis} must be a number", axis=AXES[axis])
        # isfinite() of an int beyond floats raises OverflowError; such an int is out of
        # range anyway, which the comparisons below (exact for ints) say.
        if isinstance(number, float) and not math.isfinite(number):
            raise FieldError("{axis} must be a finite number", axis=AXES[axis])
    if not -90 <= lat <= 90:
        raise FieldError("lat must be between -90 and 90")
    if not -180 <= lng <= 180:
        raise FieldError("lng must be between -180 and 180")
    return float(lat), float(lng)


def parse_box(value: Any) -> tuple[float, float, float, float]:
    """``min_lat,min_lng,max_lat,max_lng`` (a string or a list) into a checked box."""
    parts = value.split(",") if isinstance(value, str) else value
    try:
        numbers = [float(p) for p in parts]
    except (TypeError, ValueError, OverflowError):
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise FieldError("within takes min_lat,min_lng,max_lat,max_lng")
    min_lat, min_lng, max_lat, max_lng = numbers
    if not (-90 <= min_lat <= max_lat <= 90 and -180 <= min_lng <= max_lng <= 180):
        raise FieldError("within: box corners are out of range or reversed")
    return min_lat, min_lng, max_lat, max_lng


class GeoType(FieldType):
    name = "geo"
    filter_ops = frozenset({"within", "isnull"})
    sortable = False
    supports_unique = False

    def column_names(self, field: Field) -> tuple[str, ...]:
        return (naming.column_name(field.name, "lat"), naming.column_name(field.name, "lng"))

    def columns(self, field: Field) -> list[sa.Column[Any]]:
        return [sa.Column(name, sa.Float(), nullable=True) for name in field.columns]

    def extra_indexes(self, field: Field) -> list[list[str]]:
        return [list(field.columns)]

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> dict[str, float]:
        lat, lng = parse_point(value)
        return {"lat": lat, "lng": lng}

    def to_row(self, field: Field, value: Any) -> dict[str, Any]:
        lat_col, lng_col = field.columns
        if value is None:
            return {lat_col: None, lng_col: None}
        return {lat_col: value["lat"], lng_col: value["lng"]}

    def from_row(self, field: Field, row: Mapping[str, Any]) -> dict[str, Any] | None:
        lat_col, lng_col = field.columns
        lat = row[lat_col]
        if lat is None:
            return None
        return {"lat": lat, "lng": row[lng_col]}

    def filter_clause(
        self, field: Field, op: str, value: Any, table: sa.Table, ctx: CoercionContext
    ) -> sa.ColumnElement[bool]:
        lat, lng = (table.c[name] for name in field.columns)
        if op == "isnull":
            return lat.is_(None) if value else lat.is_not(None)
        min_lat, min_lng, max_lat, max_lng = parse_box(value)
        return sa.and_(lat.between(min_lat, max_lat), lng.between(min_lng, max_lng))
