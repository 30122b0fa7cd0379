"""A day's track from its location pings: which points to trust, how far, where it stopped.

Pure functions over points ``{"at": aware datetime, "lat", "lng", "accuracy": m or None}``
ordered by time; no database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from packs.field_service.geo import distance_m

MAX_SPEED_KMH = 200  # faster than this from the previous kept point is a GPS jump


@dataclasses.dataclass(frozen=True)
class TrackRules:
    max_accuracy_m: float
    stop_radius_m: float
    stop_minutes: float
    max_speed_kmh: float = MAX_SPEED_KMH


@dataclasses.dataclass
class Track:
    points: list[Mapping]  # the kept points
    distance_m: float
    stops: list[dict]


def kept_points(points: Sequence[Mapping], rules: TrackRules) -> list[Mapping]:
    """Points accurate enough and not implying more than ``max_speed_kmh`` from the
    previous kept point (a point at the same instant but elsewhere is a jump too)."""
    kept: list[Mapping] = []
    for point in points:
        accuracy = point.get("accuracy")
        if accuracy is not None and float(accuracy) > rules.max_accuracy_m:
            continue
        if kept:
            metres = distance_m(kept[-1], point)
            seconds = (point["at"] - kept[-1]["at"]).total_seconds()
            if metres > 0 and (seconds <= 0 or metres / seconds * 3.6 > rules.max_speed_kmh):
                continue
        kept.append(point)
    return kept


def path_length_m(points: Sequence[Mapping]) -> float:
    """The sum of great-circle distances between consecutive points."""
    return sum(distance_m(a, b) for a, b in zip(points, points[1:], strict=False))


def stops(points: Sequence[Mapping], radius_m: float, minutes: float) -> list[dict]:
    """Dwell clusters: runs of consecutive points within ``radius_m`` of the run's first
    point lasting at least ``minutes``; each with its centroid, arrival, departure (the
    last point of the run), minutes and point count."""
    found: list[dict] = []
    start = 0
    while start < len(points):
        anchor = points[start]
        end = start + 1
        while end < len(points) and distance_m(anchor, points[end]) <= radius_m:
            end += 1
        run = points[start:end]
        dwell = (run[-1]["at"] - anchor["at"]).total_seconds() / 60
        if len(run) > 1 and dwell >= minutes:
            found.append(
                {
                    "lat": round(sum(p["lat"] for p in run) / len(run), 6),
                    "lng": round(sum(p["lng"] for p in run) / len(run), 6),
                    "arrived_at": anchor["at"],
                    "left_at": run[-1]["at"],
                    "minutes": round(dwell, 1),
                    "points": len(run),
                }
            )
            start = end
        else:
            start += 1
    return found


def build_track(points: Sequence[Mapping], rules: TrackRules) -> Track:
    """Kept points, distance and stops of time-ordered points."""
    kept = kept_points(points, rules)
    return Track(kept, path_length_m(kept), stops(kept, rules.stop_radius_m, rules.stop_minutes))
