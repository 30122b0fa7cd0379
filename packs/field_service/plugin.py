"""The field service pack's Python: only the domain algorithms the metadata cannot express.

Each feature module has a ``register(context)`` that adds its hooks, jobs and endpoints.
"""

from __future__ import annotations

from packs.field_service import assets, checkins, engineer_api, resource_skills, stock, territory

FEATURES = (
    assets,
    territory,
    resource_skills,
    stock,
    checkins,
    engineer_api,
)


def register(context) -> None:
    for feature in FEATURES:
        feature.register(context)
