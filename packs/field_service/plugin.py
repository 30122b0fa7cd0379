"""The field service pack's Python: only the domain algorithms the metadata cannot express.

Features live in folders (assets, resources, stock, engineer (and its phone app in
engineer/mobile), tracks, channels, evaluations, settlements, dispatch, demo); each feature
module named here has a ``register(context)`` that adds its event handlers, jobs and
endpoints. Everything it uses of the engine comes from ``plinth.toolkit``.
"""

from __future__ import annotations

from packs.field_service import channels
from packs.field_service.assets import qr_tokens
from packs.field_service.dispatch import api as dispatch_api
from packs.field_service.dispatch import console as dispatch_console
from packs.field_service.dispatch import console_api as dispatch_console_api
from packs.field_service.dispatch import proposals as dispatch_proposals
from packs.field_service.engineer import checkins, my_day
from packs.field_service.engineer import mobile as engineer_app
from packs.field_service.evaluations import links as evaluation_links
from packs.field_service.resources import skills as resource_skills
from packs.field_service.resources import territory
from packs.field_service.settlements import gathering as settlements
from packs.field_service.stock import ledger as stock_ledger
from packs.field_service.tracks import locations as tracks

FEATURES = (
    qr_tokens,
    territory,
    resource_skills,
    stock_ledger,
    checkins,
    my_day,
    engineer_app,
    tracks,
    channels,
    evaluation_links,
    settlements,
    dispatch_proposals,
    dispatch_api,
    dispatch_console_api,
    dispatch_console,
)


def register(context) -> None:
    """Register every feature of the pack with the tenant being started."""
    for feature in FEATURES:
        feature.register(context)
