"""Distances between geo values (``{"lat": .., "lng": ..}``) as the ``geo`` field keeps them."""

from __future__ import annotations

from plinth.runtime.field_types.geo import EARTH_RADIUS_KM, distance_km

__all__ = ["EARTH_RADIUS_KM", "distance_km"]
