"""Where the login lands: a page a pack declares for a role (``landing`` in pack.yaml), for
users all of whose roles declare it, when the app serves it; else the app's home."""

from __future__ import annotations

from pathlib import Path

import pytest

from plinth.errors import ValidationError
from plinth.metadata.documents import write_document
from plinth.packs.installer import PackInstaller
from plinth.packs.loader import load_pack
from tests.packs_helpers import make_pack

ROLES = [{"name": name, "objects": {}} for name in ("clerk", "office", "ghost")]
LANDING = {"clerk": "/desk/", "ghost": "/nowhere/"}


def _pack(tmp_path: Path, landing: dict) -> Path:
    folder = make_pack(tmp_path, "desk", "1.0.0", {"roles": ROLES})
    write_document(folder / "pack.yaml", {**load_pack(folder).manifest, "landing": landing})
    return folder


@pytest.fixture
def app(plinth_settings, tenant, tmp_path):
    """An app with a pack that lands clerks on /desk/ (served) and ghosts on /nowhere/
    (not served)."""
    from plinth.app import create_app

    PackInstaller(tenant).install([load_pack(_pack(tmp_path, LANDING))])
    application = create_app(plinth_settings)
    application.add_url_rule("/desk/", "desk", lambda: "the desk")
    yield application
    application.extensions["plinth"].tenant.dispose()


@pytest.mark.parametrize(
    ("roles", "next_page", "lands"),
    [
        (["clerk"], None, "/desk/"),
        (["clerk"], "/app/", "/desk/"),  # the way in from / asks for the app's home
        (["clerk"], "/app/preferences", "/app/preferences"),  # a page asked for is kept
        (["clerk", "office"], None, "/app/"),  # one role without a landing: the app
        (["office"], None, "/app/"),
        (["admin"], None, "/app/"),
        (["ghost"], None, "/app/"),  # its page is not served
        ([], None, "/app/"),
    ],
)
def test_the_login_lands_on_the_page_a_pack_declares_for_the_users_roles(
    browser, people, roles, next_page, lands
):
    people("kai", roles=roles)
    browser.get("/app/login")
    form = {"email": "kai@example.com", "password": "correct horse battery"}
    answer = browser.post("/app/login", {**form, **({"next": next_page} if next_page else {})})
    assert answer.status_code == 302
    assert answer.headers["Location"] == lands


def test_a_landing_must_be_a_path_on_the_site(tmp_path):
    for bad in ("//evil.example/", "https://evil.example/", "m/", "/a b"):
        with pytest.raises(ValidationError, match="landing"):
            load_pack(_pack(tmp_path / bad.replace("/", "_").replace(":", ""), {"clerk": bad}))


def test_the_field_service_pack_lands_engineers_and_dispatchers_on_their_pages():
    pack = load_pack(Path(__file__).resolve().parents[2] / "packs" / "field_service")
    assert pack.manifest["landing"] == {"engineer": "/m/", "dispatcher": "/app/dispatch"}
