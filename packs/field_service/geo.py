"""Distances and areas on the earth's surface (WGS-84 points as {"lat", "lng"} dicts)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

EARTH_RADIUS_M = 6_371_008.8


def distance_m(a: Mapping | None, b: Mapping | None) -> float | None:
    """Great-circle (haversine) distance in metres; None when a point is missing."""
    if not a or not b:
        return None
    lat1, lng1, lat2, lng2 = map(math.radians, (a["lat"], a["lng"], b["lat"], b["lng"]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def inside_polygon(point: Mapping, polygon: Sequence[Sequence[float]]) -> bool:
    """Whether a point lies inside a polygon of [lat, lng] corners (ray casting; fine for
    city-sized areas, where the earth's curvature does not matter)."""
    if not point or not polygon or len(polygon) < 3:
        return False
    y, x = point["lat"], point["lng"]
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        yi, xi = polygon[i][0], polygon[i][1]
        yj, xj = polygon[j][0], polygon[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def bounding_box(centre: Mapping, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_lng, max_lat, max_lng) of a square around ``centre`` (for index-backed
    ``within`` filters before an exact distance check)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = dlat / max(0.01, math.cos(math.radians(centre["lat"])))
    return centre["lat"] - dlat, centre["lng"] - dlng, centre["lat"] + dlat, centre["lng"] + dlng
