"""The field service tests' small city: where the pack is, places near and far from HQ, and
the ``City`` the ``city`` fixture builds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from packs.field_service.stock import ledger as stock
from plinth.auth.actor import SYSTEM
from plinth.testing import Api

PACK = Path(__file__).resolve().parents[2] / "packs" / "field_service"
HQ = {"lat": 31.2304, "lng": 121.4737}  # People's Square, Shanghai
NEAR_HQ = {"lat": 31.2310, "lng": 121.4745}  # about 100 m away
FAR = {"lat": 31.1500, "lng": 121.8000}  # about 33 km away


@dataclasses.dataclass
class City:
    app_tenant: object
    dispatcher: Api
    engineer: Api
    other_engineer: Api
    keeper: Api
    ids: dict

    def create(self, object_name: str, values: dict) -> dict:
        with self.app_tenant.session(SYSTEM) as s:
            return s.records.create(object_name, values)

    def post_stock(self, part: int, location: int, qty) -> None:
        """Put stock somewhere with a posted adjustment (the only way stock appears)."""
        with self.app_tenant.session(SYSTEM) as s:
            movement = s.records.create(
                "part_movement",
                {"kind": "adjustment", "part": part, "qty": qty, "to_location": location},
            )
            from plinth.workflow.transitions import fire

            fire(s, "part_movement", movement["id"], "post")

    def balance(self, part: int, location: int):
        with self.app_tenant.session(SYSTEM) as s:
            return stock._balance(s, part, location, create=False)
