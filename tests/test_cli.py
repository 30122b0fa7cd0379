"""The ``plinth`` command as a user runs it: clear one-line errors, no tracebacks."""

import json
import re

import pytest
from click.testing import CliRunner

from plinth.cli import cli
from plinth.packs.loader import find_pack


@pytest.fixture
def run(plinth_settings):
    env = {f"PLINTH_{k}": str(v) for k, v in plinth_settings.items() if k != "TESTING"}
    runner = CliRunner(env=env)

    def invoke(*args, input=None):
        result = runner.invoke(cli, list(args), input=input, catch_exceptions=False)
        return result.exit_code, result.output, result.stderr if hasattr(result, "stderr") else ""

    return invoke


def test_init_is_idempotent(run):
    code, out, _ = run("init")
    assert code == 0 and "upgraded from empty to" in out
    code, out, _ = run("init")
    assert code == 0 and "is up to date" in out


def test_users_tokens_and_packs(run, tmp_path):
    run("init")
    code, out, _ = run(
        "user",
        "create",
        "--email",
        "Admin@Example.com",
        "--password",
        "s3cret-pass",
        "--role",
        "admin",
    )
    assert code == 0 and "Created user admin@example.com" in out
    code, out, err = run(
        "user", "create", "--email", "admin@example.com", "--password", "s3cret-pass"
    )
    assert code == 1 and "already exists" in err and "Traceback" not in out + err
    code, out, err = run("user", "create", "--email", "x@example.com", "--password", "short")
    assert code == 1 and "password: must have at least 8 characters" in err
    code, out, err = run(
        "user",
        "create",
        "--email",
        "y@example.com",
        "--password",
        "long-enough",
        "--role",
        "wizard",
    )
    assert code == 1 and "unknown role(s): wizard" in err
    code, out, _ = run("token", "create", "--email", "admin@example.com")
    assert code == 0 and out.strip().startswith("plt_") and len(out.strip()) > 40
    code, _, err = run("token", "create", "--email", "nobody@example.com")
    assert code == 1 and "no active user" in err

    code, out, _ = run("pack", "install", "inspection", "field_service")
    assert code == 0 and "Installed field_service 1.1.0" in out and "Installed inspection" in out
    code, out, _ = run("pack", "install", "field_service")
    assert "already installed" in out
    code, out, _ = run("pack", "list")
    assert "field_service 1.1.0 installed" in out
    code, out, _ = run("demo")
    assert code == 0 and re.search(r"field_service: loaded \d+ demo records", out)
    code, out, _ = run("demo")
    assert "already loaded" in out
    code, out, _ = run("pack", "export", "field_service", "--to", str(tmp_path / "out"))
    shipped = len(find_pack("field_service").documents)
    assert code == 0 and f"Exported {shipped} documents" in out
    code, out, _ = run("metadata", "validate", str(tmp_path / "out"))
    assert code == 0 and f"OK: {shipped} document(s) valid" in out


def test_errors_are_one_line_and_non_zero(run, tmp_path):
    code, _, err = run("pack", "list")
    assert code == 1 and "run `plinth init`" in err and len(err.strip().splitlines()) == 1
    run("init")
    code, _, err = run("pack", "install", "nonexistent_pack")
    assert code == 1 and err.startswith("Error: no pack folder or registered pack")
    bad = tmp_path / "objects" / "thing.json"
    bad.parent.mkdir()
    bad.write_text(
        json.dumps({"name": "thing", "fields": [{"name": "x", "type": "lookup", "target": "nope"}]})
    )
    code, out, err = run("metadata", "validate", str(bad))
    assert code == 1
    assert "objects/thing/fields/0/target: unknown object 'nope'" in out
    assert "1 problem(s)" in err
    code, _, err = run("worker")
    assert code == 1 and "PLINTH_REDIS_URL is not set" in err


def test_config_lists_every_setting(run):
    code, out, _ = run("config")
    assert code == 0
    for name in (
        "PLINTH_DATABASE_URL",
        "PLINTH_REDIS_URL",
        "PLINTH_SECRET_KEY",
        "PLINTH_STORAGE_DIR",
    ):
        assert name in out
    assert "test-secret-key" not in out
