"""pytest plugin: isolated databases on SQLite and PostgreSQL, tenants, apps and factories.

Registered as the ``plinth`` pytest11 entry point, so packs' tests can use the same
fixtures. Every test gets its own SQLite file or its own PostgreSQL schema, so the suite
runs in any order and in parallel. A service that is not reachable skips the tests that
need it, unless ``PLINTH_REQUIRE_SERVICES=1`` (set by CI), which makes it a failure.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from plinth.bootstrap import build_tenant
from plinth.config import load_config
from plinth.metadata.publisher import Publisher, Put
from plinth.runtime import migrate
from plinth.tenant import Tenant

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str:
    return os.environ.get("PLINTH_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def redis_url() -> str:
    return os.environ.get("PLINTH_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def services_required() -> bool:
    return os.environ.get("PLINTH_REQUIRE_SERVICES") == "1"


@functools.cache
def _postgres_problem() -> str | None:
    try:
        engine = sa.create_engine(postgres_url().replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


@functools.cache
def _redis_problem() -> str | None:
    try:
        import redis
    except ImportError:
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(redis_url(), socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def require_postgres() -> None:
    """Skip (or fail under PLINTH_REQUIRE_SERVICES=1) when PostgreSQL is not reachable."""
    _require("PostgreSQL", postgres_url(), _postgres_problem())


def require_redis() -> None:
    _require("Redis", redis_url(), _redis_problem())


def _require(name: str, url: str, problem: str | None) -> None:
    if problem is None:
        return
    message = f"{name} is not reachable at {url} ({problem})"
    if services_required():
        pytest.fail(message + "; PLINTH_REQUIRE_SERVICES=1 makes this a failure", pytrace=False)
    pytest.skip(message)


FAKE_NOW_ENV = "PLINTH_TEST_NOW"
_TRAVELLING: list[str] = []  # the instant this process's clock was moved to, if it was


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fake-now",
        metavar="ISO",
        default=os.environ.get(FAKE_NOW_ENV),
        help="run the suite as if it started at this instant (ISO 8601 with an offset, e.g. "
        "2027-03-28T00:30:00+00:00); the clock keeps ticking from there. Also "
        f"{FAKE_NOW_ENV}. No test may depend on the date or hour it runs at.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL (skipped on SQLite)")
    config.addinivalue_line("markers", "sqlite_only: needs SQLite (skipped on PostgreSQL)")
    when = config.getoption("--fake-now", None)
    if when:
        config._plinth_travel = _travel_to(when)  # stopped in pytest_unconfigure


def pytest_unconfigure(config: pytest.Config) -> None:
    travel = getattr(config, "_plinth_travel", None)
    if travel is not None:
        travel.stop()


def _travel_to(when: str):
    """Move this process's clock (datetime.now, time.time; not monotonic timers) to ``when``
    and let it tick on from there."""
    import datetime as dt

    import time_machine

    start = dt.datetime.fromisoformat(when)
    if start.tzinfo is None:
        raise pytest.UsageError(f"--fake-now needs a UTC offset: {when!r}")
    travel = time_machine.travel(start, tick=True)
    travel.start()
    _TRAVELLING.append(when)
    return travel


def plinth_command(*args: str) -> list[str]:
    """The command line of a ``plinth`` subprocess that shares this run's clock: under
    ``--fake-now`` the child's clock runs the same distance ahead of (or behind) the real one
    as this process's, however long after this call it starts."""
    import sys

    if not _TRAVELLING:
        return [sys.executable, "-m", "plinth", *args]
    code = (
        "import sys; from plinth.testing import _travel_by; _travel_by(float(sys.argv[1])); "
        "sys.argv = ['plinth', *sys.argv[2:]]; from plinth.cli import main; main()"
    )
    return [sys.executable, "-c", code, repr(_clock_offset()), *args]


def _clock_offset() -> float:
    """Seconds this process's (faked) clock is ahead of the real one."""
    import time

    import time_machine

    return time.time() - time_machine.escape_hatch.time.time()


def _travel_by(offset: float):
    """Move this process's clock ``offset`` seconds from the real one, ticking on."""
    import datetime as dt
    import time

    start = dt.datetime.fromtimestamp(time.time() + offset, dt.UTC)
    return _travel_to(start.isoformat())


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Vacuum the catalog of the test database once a run is over (in the xdist controller).

    Every test creates and drops a schema; where autovacuum is off, the catalog's dead rows
    pile up run after run until every DDL statement slows down several-fold."""
    if hasattr(session.config, "workerinput") or _postgres_problem() is not None:
        return
    engine = sa.create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for table in (
                "pg_attribute",
                "pg_depend",
                "pg_class",
                "pg_index",
                "pg_type",
                "pg_constraint",
                "pg_attrdef",
                "pg_trigger",
                "pg_namespace",
            ):
                conn.exec_driver_sql(f"VACUUM pg_catalog.{table}")
    except sa.exc.SQLAlchemyError:
        pass  # housekeeping only: never fail a run over it
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The database backend of this test run: each test using it runs on both."""
    kind = request.param
    if kind == "postgresql":
        require_postgres()
    if request.node.get_closest_marker("postgres_only") and kind != "postgresql":
        pytest.skip("PostgreSQL only")
    if request.node.get_closest_marker("sqlite_only") and kind != "sqlite":
        pytest.skip("SQLite only")
    return kind


@pytest.fixture
def database_settings(backend, tmp_path) -> Iterator[dict[str, Any]]:
    """Settings for a fresh, empty database: a SQLite file or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield {"DATABASE_URL": f"sqlite:///{tmp_path / 'plinth.db'}"}
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield {"DATABASE_URL": postgres_url(), "DATABASE_SCHEMA": schema}
    engine = sa.create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        engine.dispose()


@pytest.fixture
def plinth_settings(database_settings, tmp_path) -> dict[str, Any]:
    """All overrides for an isolated instance (database, instance folder, files)."""
    return {
        **database_settings,
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key",
        "TESTING": True,
        "DEMO_SCALE": 0.05,  # a small demo city keeps pack tests fast
    }


@pytest.fixture
def tenant(plinth_settings) -> Iterator[Tenant]:
    """An initialised tenant on its own database."""
    tenant = build_tenant(load_config(plinth_settings, environ={}))
    migrate.upgrade(tenant.database)
    yield tenant
    tenant.dispose()


@pytest.fixture
def publish(tenant):
    """Publish object documents (or (kind, document) pairs): ``publish(doc, ...)``."""

    def do_publish(*documents, confirm_destructive: bool = False, **kwargs):
        operations = []
        for item in documents:
            kind, document = item if isinstance(item, tuple) else ("objects", item)
            operations.append(Put(kind, document))
        return Publisher(tenant).publish(
            operations, confirm_destructive=confirm_destructive, **kwargs
        )

    return do_publish


@pytest.fixture
def records(tenant):
    """Run one record-service call in its own committed session: ``records("create", ...)``."""

    def call(method: str, *args, actor=None, **kwargs):
        from plinth.auth.actor import SYSTEM

        with tenant.session(actor or SYSTEM) as session:
            return getattr(session.records, method)(*args, **kwargs)

    return call


@pytest.fixture
def app(plinth_settings, tenant):
    """A Flask app on the test tenant's database."""
    from plinth.app import create_app

    application = create_app(plinth_settings)
    yield application
    application.extensions["plinth"].tenant.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# ---- browser tests ----------------------------------------------------------------------
CHROMIUM = os.environ.get("PLINTH_CHROMIUM", "/usr/bin/chromium")
# Debian's chromium as the machine's closed network wants it (no background connections).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser():
    """Playwright's sync API, or a skip (a failure under PLINTH_REQUIRE_SERVICES=1) when
    playwright or chromium is missing."""
    import shutil
    from pathlib import Path

    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if services_required():
            pytest.fail(f"chromium is required but missing at {CHROMIUM}")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    return sync_api


@pytest.fixture
def server(app):
    """The app served on a free local port in a thread: ``http://127.0.0.1:<port>``."""
    import threading

    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def browser_page(request):
    """A headless chromium (Playwright); screenshots go to ``test-artifacts/screenshots/``."""
    sync_api = require_browser()
    (request.config.rootpath / "test-artifacts" / "screenshots").mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
