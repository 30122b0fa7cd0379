"""Travel between places: straight-line (haversine) with a speed and detour factor by
default, or a road network through an OSRM server's table service.

A travel model answers rectangular matrices: metres and seconds from each origin to each
destination, as int64 numpy arrays. ``UNREACHABLE`` marks a pair with no route.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from plinth.toolkit import EARTH_RADIUS_KM

Point = tuple[float, float]
UNREACHABLE = 10**9


class TravelError(RuntimeError):
    """The travel-time provider could not answer (down, refused, malformed answer)."""


class TravelModel(Protocol):
    def matrices(
        self, origins: Sequence[Point], destinations: Sequence[Point] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(metres, seconds) from every origin to every destination (default: the origins)."""

    def describe(self) -> dict: ...


class HaversineTravel:
    """Great-circle distance times a detour factor, driven at a constant speed."""

    def __init__(self, speed_kmh: float = 30.0, detour_factor: float = 1.3):
        if not 1 <= speed_kmh <= 300:
            raise ValueError("the travel speed must be between 1 and 300 km/h")
        if not 1 <= detour_factor <= 3:
            raise ValueError("the detour factor must be between 1 and 3")
        self.speed_kmh = float(speed_kmh)
        self.detour_factor = float(detour_factor)

    def describe(self) -> dict:
        return {"kind": "haversine", "speed_kmh": self.speed_kmh, "detour": self.detour_factor}

    def matrices(self, origins, destinations=None):
        """Road metres and seconds estimated from great-circle distances."""
        destinations = origins if destinations is None else destinations
        metres = _haversine_m(_radians(origins), _radians(destinations)) * self.detour_factor
        seconds = metres / (self.speed_kmh / 3.6)
        return np.rint(metres).astype(np.int64), np.rint(seconds).astype(np.int64)


def _radians(points: Sequence[Point]) -> np.ndarray:
    return np.radians(np.asarray(points, dtype=float).reshape(-1, 2))


def _haversine_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lat1, lng1 = a[:, 0][:, None], a[:, 1][:, None]
    lat2, lng2 = b[:, 0][None, :], b[:, 1][None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    )
    return EARTH_RADIUS_KM * 1000 * 2 * np.arcsin(np.minimum(1.0, np.sqrt(h)))


class OsrmTravel:
    """Road travel from an OSRM server (``/table/v1/<profile>``), e.g. ``http://osrm:5000``."""

    MAX_POINTS = 2000

    def __init__(self, base_url: str, profile: str = "driving", timeout: float = 20.0):
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise ValueError(f"the OSRM URL must be http(s)://host[:port] (got {base_url!r})")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout = timeout

    def describe(self) -> dict:
        return {"kind": "osrm", "url": self.base_url, "profile": self.profile}

    def matrices(self, origins, destinations=None):
        """One table request: durations and distances between the points."""
        same = destinations is None
        points = list(origins) if same else list(origins) + list(destinations)
        if len(points) > self.MAX_POINTS:
            raise TravelError(f"OSRM tables are limited to {self.MAX_POINTS} points here")
        coords = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
        query = {"annotations": "duration,distance"}
        if not same:
            query["sources"] = ";".join(str(i) for i in range(len(origins)))
            query["destinations"] = ";".join(
                str(len(origins) + i) for i in range(len(destinations))
            )
        url = f"{self.base_url}/table/v1/{self.profile}/{coords}?{urllib.parse.urlencode(query)}"
        answer = self._get(url)
        rows, cols = len(origins), len(origins if same else destinations)
        return _table(answer, "distances", rows, cols), _table(answer, "durations", rows, cols)

    def _get(self, url: str) -> dict:
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310 - http(s) checked
                answer = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise TravelError(f"the OSRM server at {self.base_url} did not answer: {exc}") from None
        if not isinstance(answer, dict) or answer.get("code") != "Ok":
            message = answer.get("message") if isinstance(answer, dict) else None
            raise TravelError(f"the OSRM server refused the table request: {message or answer!r}")
        return answer


def _table(answer: dict, key: str, rows: int, cols: int) -> np.ndarray:
    table = answer.get(key)
    if not isinstance(table, list) or len(table) != rows:
        raise TravelError(f"the OSRM answer has no {rows}x{cols} {key} table")
    out = np.full((rows, cols), UNREACHABLE, dtype=np.int64)
    for i, row in enumerate(table):
        if not isinstance(row, list) or len(row) != cols:
            raise TravelError(f"the OSRM answer has no {rows}x{cols} {key} table")
        for j, value in enumerate(row):
            if isinstance(value, (int, float)) and math.isfinite(value):
                out[i, j] = round(value)
    return out
