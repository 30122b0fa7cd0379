"""Fixtures of the dispatch tests; the problems' building blocks are in ``days.py``."""

from __future__ import annotations

import pytest

from .days import HaversineTravel, Problem


@pytest.fixture
def problem():
    """``problem(engineers, tasks)``: a Problem at 36 km/h (10 m/s), straight lines."""

    def make(engineers, tasks) -> Problem:
        return Problem(list(engineers), list(tasks), HaversineTravel(36, 1.0))

    return make
