"""The first five minutes (``make demo``): the demo puts the instance in Shanghai time, the
banner of ``plinth run`` names a demo account of each role with its password, and the public
pages show local times."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from plinth.app import create_app
from plinth.auth.signed_links import sign_link
from plinth.cli import cli
from plinth.config import load_config

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def run(plinth_settings):
    env = {f"PLINTH_{k}": str(v) for k, v in plinth_settings.items() if k != "TESTING"}
    env["PLINTH_DEFAULT_TIME_ZONE"] = ""  # as on a newcomer's machine: nothing chosen
    runner = CliRunner(env=env)

    def invoke(*args):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


class NoServer:
    """Stands for werkzeug's server: ``plinth run`` prints its banner, then returns."""

    def __init__(self, host, port, app, threaded):
        self.port = port

    def serve_forever(self):
        pass

    def server_close(self):
        pass


def test_the_demo_runs_in_shanghai_time_and_the_banner_names_every_role(
    run, plinth_settings, monkeypatch
):
    out = run("demo")
    assert "Instance time zone: Asia/Shanghai" in out
    toml = Path(plinth_settings["INSTANCE_DIR"]) / "plinth.toml"
    assert toml.read_text(encoding="utf-8") == 'default_time_zone = "Asia/Shanghai"\n'
    config = load_config(plinth_settings, environ={})
    assert config["DEFAULT_TIME_ZONE"] == "Asia/Shanghai"
    assert config.source("DEFAULT_TIME_ZONE").startswith("file ")
    assert "Instance time zone" not in run("demo")  # chosen already: kept

    out = run(
        "user", "create", "--email", "boss@example.com", "--password", "boss-pass-1",
        "--role", "admin", "--demo",
    )  # fmt: skip
    assert "Created user boss@example.com" in out
    monkeypatch.setattr("werkzeug.serving.make_server", NoServer)
    banner = run("run", "--port", "5999", "--no-scheduler")
    assert "Plinth is serving on http://127.0.0.1:5999/" in banner
    assert "Open the app:   http://127.0.0.1:5999/app/" in banner
    accounts = re.findall(r"^    (\S.*?)\s{2,}(\S+@example\.com)\s+(\S+)$", banner, re.M)
    assert accounts == [
        ("Administrator", "boss@example.com", "boss-pass-1"),
        ("Dispatcher", "dispatcher@example.com", "plinth-demo"),
        ("Service manager", "manager@example.com", "plinth-demo"),
        ("Warehouse keeper", "keeper@example.com", "plinth-demo"),
        ("Field engineer", "engineer01@example.com", "plinth-demo"),
    ]
    assert "token create --email boss@example.com" in banner

    app = create_app(plinth_settings)  # reads the instance's plinth.toml like `plinth run`
    try:
        tenant = app.extensions["plinth"].tenant
        assert tenant.zone == SHANGHAI
        client = app.test_client()
        for email in ("boss@example.com", "dispatcher@example.com"):  # the demo's people too
            login = client.post(
                "/api/v1/auth/token", json={"email": email, "password": _password(banner, email)}
            )
            assert login.status_code in (200, 201), login.get_json()
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {_token(login)}"})
            assert me.get_json()["time_zone"] == "Asia/Shanghai"
        _public_pages_show_shanghai_time(tenant, client)
    finally:
        tenant.dispose()


def _password(banner: str, email: str) -> str:
    return re.search(rf"{re.escape(email)}\s+(\S+)", banner).group(1)


def _token(reply) -> str:
    body = reply.get_json()
    return body.get("token") or body["access_token"]


def _public_pages_show_shanghai_time(tenant, client) -> None:
    with tenant.session() as s:
        closed = s.records.list(
            "work_order",
            _query(s, [("status", "eq", "closed")]),
        ).data[0]
    token = sign_link(tenant, "evaluation", {"wo": closed["id"]}, dt.timedelta(days=3))
    page = client.get(f"/fs/evaluate/{token}?lang=en").get_data(as_text=True)
    expires = tenant.clock() + dt.timedelta(days=3)
    shanghai = [(expires + dt.timedelta(seconds=d)).astimezone(SHANGHAI) for d in (-60, 0, 60)]
    utc = [(expires + dt.timedelta(seconds=d)).astimezone(dt.UTC) for d in (-60, 0, 60)]
    assert any(f"{at:%Y-%m-%d %H:%M}" in page for at in shanghai), page
    assert not any(f"{at:%Y-%m-%d %H:%M}" in page for at in utc)


def _query(session, filters):
    from plinth.runtime.query import Filter, ListQuery

    return ListQuery([Filter(*f) for f in filters], limit=1)
