"""The pen strokes of a signature: checked, made compact and canonical.

Input: ``strokes`` = a list of strokes, each a list of points ``[x, y]`` or ``[x, y, t]``
(pixels from the pad's top left corner, ``t`` milliseconds since the signature's first
point), with the pad's ``width`` and ``height`` the coordinates refer to. The canonical
form is JSON with sorted keys, no spaces, coordinates rounded to 0.1 px and times to
whole milliseconds, so the same strokes are the same bytes (one blob in the
content-addressed file store).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

from plinth.i18n import Named
from plinth.runtime.field_types.base import FieldError

MAX_STROKES = 500
MAX_POINTS = 10_000
MAX_PAD_SIZE = 10_000  # pixels, width and height
MAX_TIME_MS = 86_400_000  # a day
CONTENT_TYPE = "application/json"
SIZES = {
    "width": Named("width", {"en": "width", "zh-CN": "宽度"}),
    "height": Named("height", {"en": "height", "zh-CN": "高度"}),
}


@dataclasses.dataclass(frozen=True)
class Strokes:
    """Checked strokes: their canonical JSON and how many strokes and points it holds."""

    data: bytes
    count: int
    points: int


def parse_strokes(value: Mapping[str, Any]) -> Strokes | None:
    """The strokes of a new signature value (None when it sends none)."""
    strokes = value.get("strokes")
    if strokes is None:
        if value.get("width") is not None or value.get("height") is not None:
            raise FieldError("width and height describe the strokes: send them with strokes")
        return None
    width = _size(value.get("width"), "width")
    height = _size(value.get("height"), "height")
    if not isinstance(strokes, list) or not 1 <= len(strokes) <= MAX_STROKES:
        raise FieldError("strokes must be a list of 1 to {limit} strokes", limit=MAX_STROKES)
    total = sum(len(s) for s in strokes if isinstance(s, list))
    if total > MAX_POINTS:
        raise FieldError("strokes hold more than {limit} points", limit=MAX_POINTS)
    limits = {"x": width, "y": height, "t": MAX_TIME_MS}
    compact = [_stroke(stroke, index, limits) for index, stroke in enumerate(strokes)]
    document = {"height": _compact(height), "strokes": compact, "width": _compact(width)}
    data = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return Strokes(data, len(compact), total)


def _size(number: Any, axis: str) -> float:
    if not _finite(number) or not 1 <= number <= MAX_PAD_SIZE:
        raise FieldError(
            "strokes need the pad's {axis} (a number from 1 to {limit})",
            axis=SIZES[axis],
            limit=MAX_PAD_SIZE,
        )
    return float(number)


def _stroke(stroke: Any, index: int, limits: Mapping[str, float]) -> list[list[float | int]]:
    if not isinstance(stroke, list) or not stroke:
        raise FieldError("{where} must be a non-empty list of points", where=f"strokes[{index}]")
    return [_point(point, f"strokes[{index}][{n}]", limits) for n, point in enumerate(stroke)]


def _point(point: Any, where: str, limits: Mapping[str, float]) -> list[float | int]:
    if not isinstance(point, list) or len(point) not in (2, 3):
        raise FieldError("{where} must be [x, y] or [x, y, t]", where=where)
    compact: list[float | int] = []
    for axis, number in zip(("x", "y", "t"), point, strict=False):
        if not _finite(number):
            raise FieldError("{where}: {axis} must be a finite number", where=where, axis=axis)
        if not 0 <= number <= limits[axis]:
            raise FieldError(
                "{where}: {axis} must be between 0 and {limit}",
                where=where,
                axis=axis,
                limit=_compact(limits[axis]),
            )
        compact.append(round(number) if axis == "t" else _compact(number))
    return compact


def _finite(number: Any) -> bool:
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return False
    return isinstance(number, int) or math.isfinite(number)


def _compact(number: float) -> float | int:
    """Rounded to 0.1, an integer when it is one (``12`` rather than ``12.0``)."""
    rounded = round(float(number), 1)
    return int(rounded) if rounded.is_integer() else rounded
