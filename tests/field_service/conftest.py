"""Fixtures for the field service pack: an app with the pack installed and a small city."""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from packs.field_service.stock import ledger as stock
from plinth.auth.actor import SYSTEM
from plinth.bootstrap import build_tenant
from plinth.config import load_config
from plinth.packs.installer import PackInstaller
from plinth.packs.loader import load_pack
from plinth.runtime import migrate
from plinth.testing import postgres_url
from tests.api.conftest import Api, admin, anonymous, as_admin, as_user, people  # noqa: F401

PACK = Path(__file__).resolve().parents[2] / "packs" / "field_service"
HQ = {"lat": 31.2304, "lng": 121.4737}  # People's Square, Shanghai
NEAR_HQ = {"lat": 31.2310, "lng": 121.4745}  # about 100 m away
FAR = {"lat": 31.1500, "lng": 121.8000}  # about 33 km away


@pytest.fixture(scope="session")
def _installed_templates(tmp_path_factory):
    """Per test process: a database with the pack installed, per backend, made once.

    Installing the pack (65 documents, 20 tables) takes seconds; copying a SQLite file or
    creating a PostgreSQL database from a template takes a fraction of that.
    """
    made: dict[str, str] = {}
    yield made
    if "postgresql" in made:
        _drop_database(made["postgresql"])


def _admin_engine() -> sa.Engine:
    return sa.create_engine(postgres_url(), isolation_level="AUTOCOMMIT")


def _drop_database(name: str) -> None:
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


def _install_into(url: str, instance: Path) -> None:
    tenant = build_tenant(
        load_config(
            {"DATABASE_URL": url, "INSTANCE_DIR": str(instance), "SECRET_KEY": "t"}, environ={}
        )
    )
    try:
        migrate.upgrade(tenant.database)
        PackInstaller(tenant).install([load_pack(PACK)])
    finally:
        tenant.dispose()


def _template(backend: str, made: dict, tmp_path_factory) -> str:
    if backend not in made:
        if backend == "sqlite":
            folder = tmp_path_factory.mktemp("fs_template")
            _install_into(f"sqlite:///{folder / 'template.db'}", folder)
            made[backend] = str(folder / "template.db")
        else:
            name = f"fs_tpl_{uuid.uuid4().hex[:12]}"
            engine = _admin_engine()
            with engine.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            engine.dispose()
            made[backend] = name
            _install_into(
                str(make_url(postgres_url()).set(database=name)), tmp_path_factory.mktemp("t")
            )
    return made[backend]


@pytest.fixture
def database_settings(backend, tmp_path, _installed_templates, tmp_path_factory):
    """A fresh database that already holds the field service pack (cloned from a template)."""
    template = _template(backend, _installed_templates, tmp_path_factory)
    if backend == "sqlite":
        shutil.copyfile(template, tmp_path / "plinth.db")
        yield {"DATABASE_URL": f"sqlite:///{tmp_path / 'plinth.db'}"}
        return
    name = f"fs_{uuid.uuid4().hex[:16]}"
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        engine.dispose()
    yield {"DATABASE_URL": str(make_url(postgres_url()).set(database=name))}
    _drop_database(name)


@pytest.fixture
def app(plinth_settings, tenant):
    """The app of a tenant with the field service pack installed (its Python loaded)."""
    from plinth.app import create_app

    PackInstaller(tenant).install([load_pack(PACK)])  # unchanged: the template has it
    application = create_app(plinth_settings)
    yield application
    application.extensions["plinth"].tenant.dispose()


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


@pytest.fixture
def city(app, people, as_user) -> City:  # noqa: F811 - fixtures imported above
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
