"""The field service pack's Python: only the domain algorithms the metadata cannot express.

Each feature module has a ``register(context)`` that adds its hooks, jobs and endpoints.
"""

from __future__ import annotations

from packs.field_service import (
    assets,
    channels,
    checkins,
    dispatch_api,
    dispatch_proposals,
    engineer_api,
    evaluations,
    resource_skills,
    settlements,
    stock,
    territory,
    tracks,
)

FEATURES = (
    assets,
    territory,
    resource_skills,
    stock,
    checkins,
    engineer_api,
    tracks,
    channels,
    evaluations,
    settlements,
    dispatch_proposals,
    dispatch_api,
)


def register(context) -> None:
    for feature in FEATURES:
        feature.register(context)
