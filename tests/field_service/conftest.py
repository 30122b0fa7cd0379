"""Fixtures for the field service pack: an app with the pack installed and a small city."""

from __future__ import annotations

import pytest

from plinth.auth.actor import SYSTEM
from plinth.packs.installer import PackInstaller
from plinth.packs.loader import load_pack
from plinth.testing import DatabaseTemplate

from .city import FAR, HQ, PACK, City


def _install_the_pack(tenant) -> None:
    PackInstaller(tenant).install([load_pack(PACK)])


INSTALLED = DatabaseTemplate("field_service", _install_the_pack)


@pytest.fixture
def database_template() -> DatabaseTemplate:
    """Every test starts from a database with the pack installed, copied from a template
    made once per test process (installing: seconds; copying: a fraction of that)."""
    return INSTALLED


@pytest.fixture
def app(plinth_settings, tenant):
    """The app of a tenant with the field service pack installed (its Python loaded)."""
    from plinth.app import create_app

    _install_the_pack(tenant)  # unchanged: the template has it
    application = create_app(plinth_settings)
    yield application
    application.extensions["plinth"].tenant.dispose()


@pytest.fixture
def city(app, people, as_user) -> City:
    """Two engineers in one service group near HQ, a dispatcher, a keeper, a warehouse,
    bags, a part, a customer with a site at HQ."""
    tenant = app.extensions["plinth"].tenant
    ann = people("ann", roles=["engineer"])
    bob = people("bob", roles=["engineer"])
    dora = people("dora", roles=["dispatcher"])
    kim = people("kim", roles=["warehouse_keeper"])
    ids: dict = {"ann": ann["id"], "bob": bob["id"], "dora": dora["id"], "kim": kim["id"]}
    with tenant.session(SYSTEM) as s:
        create = s.records.create
        ids["group"] = create(
            "service_group", {"code": "central", "name": "Central", "districts": ["Huangpu"]}
        )["id"]
        ids["skill"] = create("skill", {"code": "hvac", "name": "HVAC"})["id"]
        for name, user in (("ann", ann), ("bob", bob)):
            home = HQ if name == "ann" else FAR
            resource = create(
                "service_resource",
                {
                    "name": name.title(),
                    "login": user["id"],
                    "home_base": home,
                    "working_hours": "fs_7x24",
                },
            )
            ids[f"{name}_resource"] = resource["id"]
            create(
                "resource_skill", {"resource": resource["id"], "skill": ids["skill"], "level": 3}
            )
            create("service_group_member", {"group": ids["group"], "resource": resource["id"]})
            ids[f"{name}_bag"] = create(
                "stock_location",
                {
                    "code": f"BAG-{name}",
                    "name": f"{name.title()}'s bag",
                    "kind": "bag",
                    "resource": resource["id"],
                },
            )["id"]
        ids["warehouse"] = create(
            "stock_location",
            {"code": "WH-1", "name": "Main warehouse", "kind": "warehouse", "keeper": kim["id"]},
        )["id"]
        ids["part"] = create(
            "part", {"code": "FLT-01", "name": "Filter", "price": 25, "reorder_level": 2}
        )["id"]
        ids["customer"] = create(
            "customer", {"name": "Acme", "code": "ACME", "service_level": "premium"}
        )["id"]
        ids["contact"] = create(
            "contact", {"name": "Carl", "customer": ids["customer"], "email": "carl@acme.example"}
        )["id"]
        ids["site"] = create(
            "site",
            {"name": "Acme HQ", "customer": ids["customer"], "district": "Huangpu", "location": HQ},
        )["id"]
    return City(tenant, as_user(dora), as_user(ann), as_user(bob), as_user(kim), ids)
