"""Distances and areas on the earth's surface (WGS-84 points as {"lat", "lng"} dicts)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from plinth.toolkit import EARTH_RADIUS_KM, distance_km

EARTH_RADIUS_M = EARTH_RADIUS_KM * 1000


def distance_m(a: Mapping | None, b: Mapping | None) -> float | None:
    """Great-circle distance in metres; None when a point is missing."""
    km = distance_km(a, b)
    return None if km is None else km * 1000


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
