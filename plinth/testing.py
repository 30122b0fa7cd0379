"""pytest plugin: isolated databases on SQLite and PostgreSQL, tenants, apps and factories,
users and a JSON API client, browsers, and a fake clock.

Registered as the ``plinth`` pytest11 entry point, so every suite (and packs' tests) gets
the same fixtures without importing them. Every test gets its own SQLite file or its own
PostgreSQL schema, or its own copy of a template database (``database_template``), so the
suite runs in any order and in parallel. A service (or data) that is not there skips the
tests that need it, unless ``PLINTH_REQUIRE_SERVICES=1`` (set by CI), which makes it a
failure.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from plinth.bootstrap import build_tenant
from plinth.config import load_config
from plinth.metadata.publisher import Publisher, PublishResult, Put
from plinth.runtime import migrate
from plinth.tenant import Tenant, as_context

if TYPE_CHECKING:
    import time_machine
    from flask import Flask
    from flask.testing import FlaskClient
    from playwright.sync_api import Browser

    from plinth.auth.actor import Actor

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


def require_data(what: str, path: Path, hint: str = "") -> Path:
    """``path`` when it exists; else skip (fail under PLINTH_REQUIRE_SERVICES=1), like a
    missing service: data a test needs that is not in the repository (benchmark instances)."""
    if path.exists():
        return path
    message = f"{what} not found at {path}" + (f" ({hint})" if hint else "")
    if services_required():
        pytest.fail(message + "; PLINTH_REQUIRE_SERVICES=1 makes this a failure", pytrace=False)
    pytest.skip(message)


def _require(name: str, url: str, problem: str | None) -> None:
    if problem is None:
        return
    message = f"{name} is not reachable at {url} ({problem})"
    if services_required():
        pytest.fail(message + "; PLINTH_REQUIRE_SERVICES=1 makes this a failure", pytrace=False)
    pytest.skip(message)


FAKE_NOW_ENV = "PLINTH_TEST_NOW"
_TRAVELLING: list[str] = []  # the instant this process's clock was moved to, if it was
_TRAVEL = pytest.StashKey["time_machine.travel"]()  # stopped in pytest_unconfigure


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
        config.stash[_TRAVEL] = _travel_to(when)


def pytest_unconfigure(config: pytest.Config) -> None:
    travel = config.stash.get(_TRAVEL, None)
    if travel is not None:
        travel.stop()


def _travel_to(when: str) -> time_machine.travel:
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


def _travel_by(offset: float) -> time_machine.travel:
    """Move this process's clock ``offset`` seconds from the real one, ticking on."""
    import datetime as dt
    import time

    start = dt.datetime.fromtimestamp(time.time() + offset, dt.UTC)
    return _travel_to(start.isoformat())


class FakeClock:
    """A stand-in for the ``time`` module of code that measures durations or enforces a time
    budget, so a test asserts what the code does, not how fast the machine is::

        clock = FakeClock(step=0.001)
        monkeypatch.setattr(solver_module, "time", clock)

    ``monotonic()``, ``perf_counter()``, ``thread_time()`` and ``time()`` read it. It stands
    still unless moved (``advance``, ``sleep``) or given a ``step``, the seconds each reading
    moves it on: code reading the clock once per iteration of a search then runs
    ``budget / step`` iterations on any machine, and a still clock leaves only a code's other
    budgets (steps, sizes) to stop it. ``reads`` counts the readings. Use time-machine
    (``--fake-now``) for dates.
    """

    def __init__(self, start: float = 1_000.0, step: float = 0.0):
        self.now = start
        self.step = step
        self.reads = 0

    def monotonic(self) -> float:
        self.reads += 1
        self.now += self.step
        return self.now

    perf_counter = monotonic
    thread_time = monotonic
    time = monotonic

    def advance(self, seconds: float) -> None:
        self.now += seconds

    sleep = advance


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
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run: each test using it runs on both."""
    kind: str = request.param
    if kind == "postgresql":
        require_postgres()
    if request.node.get_closest_marker("postgres_only") and kind != "postgresql":
        pytest.skip("PostgreSQL only")
    if request.node.get_closest_marker("sqlite_only") and kind != "sqlite":
        pytest.skip("SQLite only")
    return kind


@dataclasses.dataclass(frozen=True)
class DatabaseTemplate:
    """A database prepared once per test process and backend, and copied for every test.

    ``prepare(tenant)`` fills a freshly migrated tenant once (install a pack, load reference
    data...); each test then gets its own copy, a SQLite file copied from the template's or
    a PostgreSQL database created with ``CREATE DATABASE ... TEMPLATE``, so tests still share
    no data. ``name`` identifies the template in the run: one name, one ``prepare``.
    """

    name: str
    prepare: Callable[[Tenant], None]


@pytest.fixture
def database_template() -> DatabaseTemplate | None:
    """What each test's database starts from: None, an empty database (the default).

    A suite whose tests all need the same slow set-up overrides this fixture in its conftest
    to return a ``DatabaseTemplate`` (``tests/field_service/conftest.py`` does: installing
    the pack takes seconds, copying a database a fraction of that)."""
    return None


class _Templates:
    """The template databases this test process made: built on first use, dropped at the end."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory):
        self.tmp_path_factory = tmp_path_factory
        self.made: dict[tuple[str, str], tuple[DatabaseTemplate, str]] = {}

    def source(self, backend: str, template: DatabaseTemplate) -> str:
        """The template's SQLite file or PostgreSQL database name, made if need be."""
        key = (backend, template.name)
        if key in self.made:
            known, source = self.made[key]
            if known.prepare is not template.prepare:
                raise pytest.UsageError(
                    f"two database templates are named {template.name!r}: give each its own "
                    "name, and make prepare a module-level function, not a new lambda"
                )
            return source
        folder = self.tmp_path_factory.mktemp(f"template_{_slug(template.name)}")
        if backend == "sqlite":
            source = str(folder / "template.db")
            _prepare_template(f"sqlite:///{source}", folder, template)
        else:
            source = f"tpl_{_slug(template.name)[:30]}_{uuid.uuid4().hex[:12]}"
            _admin_sql(f'CREATE DATABASE "{source}"')
            self.made[key] = (template, source)  # dropped at the end even if prepare fails
            _prepare_template(_postgres_database_url(source), folder, template)
        self.made[key] = (template, source)
        return source

    def drop(self) -> None:
        for (backend, _), (_, source) in self.made.items():
            if backend == "postgresql":
                _admin_sql(f'DROP DATABASE IF EXISTS "{source}" WITH (FORCE)')
        self.made.clear()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "template"


def _admin_sql(statement: str) -> None:
    """Run one statement outside a transaction on the test PostgreSQL (CREATE DATABASE...)."""
    engine = sa.create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _postgres_database_url(database: str) -> str:
    return sa.make_url(postgres_url()).set(database=database).render_as_string(hide_password=False)


def _prepare_template(url: str, instance: Path, template: DatabaseTemplate) -> None:
    tenant = build_tenant(
        load_config(
            {"DATABASE_URL": url, "INSTANCE_DIR": str(instance / "instance"), "SECRET_KEY": "t"},
            environ={},
        )
    )
    try:
        migrate.upgrade(tenant.database)
        template.prepare(tenant)
    finally:
        tenant.dispose()  # a PostgreSQL template must have no connection left to be copied


@pytest.fixture(scope="session")
def _database_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Templates]:
    templates = _Templates(tmp_path_factory)
    yield templates
    templates.drop()


@pytest.fixture
def database_settings(
    backend: str,
    tmp_path: Path,
    database_template: DatabaseTemplate | None,
    _database_templates: _Templates,
) -> Iterator[dict[str, Any]]:
    """Settings for this test's own database: a SQLite file or a new PostgreSQL schema, empty;
    or, when ``database_template`` names one, a copy of that template database."""
    if database_template is not None:
        source = _database_templates.source(backend, database_template)
        if backend == "sqlite":
            shutil.copyfile(source, tmp_path / "plinth.db")
            yield {"DATABASE_URL": f"sqlite:///{tmp_path / 'plinth.db'}"}
            return
        name = f"t_{uuid.uuid4().hex[:16]}"
        _admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        yield {"DATABASE_URL": _postgres_database_url(name)}
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
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
def plinth_settings(database_settings: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """All overrides for an isolated instance (database, instance folder, files)."""
    return {
        **database_settings,
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key",
        "TESTING": True,
        "DEMO_SCALE": 0.05,  # a small demo city keeps pack tests fast
    }


@pytest.fixture
def tenant(plinth_settings: dict[str, Any]) -> Iterator[Tenant]:
    """An initialised tenant on its own database."""
    tenant = build_tenant(load_config(plinth_settings, environ={}))
    migrate.upgrade(tenant.database)
    yield tenant
    tenant.dispose()


@pytest.fixture
def publish(tenant: Tenant) -> Callable[..., PublishResult]:
    """Publish object documents (or (kind, document) pairs): ``publish(doc, ...)``."""

    def do_publish(
        *documents: dict[str, Any] | tuple[str, dict[str, Any]],
        confirm_destructive: bool = False,
        **kwargs: Any,
    ) -> PublishResult:
        operations = []
        for item in documents:
            kind, document = item if isinstance(item, tuple) else ("objects", item)
            operations.append(Put(kind, document))
        return Publisher(as_context(tenant)).publish(
            operations, confirm_destructive=confirm_destructive, **kwargs
        )

    return do_publish


@pytest.fixture
def records(tenant: Tenant) -> Callable[..., Any]:
    """Run one record-service call in its own committed session: ``records("create", ...)``."""

    def call(method: str, *args: Any, actor: Actor | None = None, **kwargs: Any) -> Any:
        from plinth.auth.actor import SYSTEM

        with tenant.session(actor or SYSTEM) as session:
            return getattr(session.records, method)(*args, **kwargs)

    return call


@pytest.fixture
def app(plinth_settings: dict[str, Any], tenant: Tenant) -> Iterator[Flask]:
    """A Flask app on the test tenant's database."""
    from plinth.app import create_app

    application = create_app(plinth_settings)
    yield application
    application.extensions["plinth"].tenant.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# ---- users and the JSON API -------------------------------------------------------------
PASSWORD = "correct horse battery"  # the password of every user ``people`` makes


@dataclasses.dataclass
class Reply:
    """An API response: status, decoded JSON body (or None) and headers."""

    status: int
    json: Any
    headers: Any

    @property
    def problem(self) -> dict[str, Any]:
        assert self.headers.get("Content-Type") == "application/problem+json", self.json
        problem: dict[str, Any] = self.json
        return problem


class Api:
    """A test client speaking JSON with one user's bearer token (None: anonymous)."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Reply:
        all_headers = dict(headers or {})
        if self.token:
            all_headers.setdefault("Authorization", f"Bearer {self.token}")
        if json is not None:
            kwargs["json"] = json
        response = self.client.open(path, method=method, headers=all_headers, **kwargs)
        body = response.get_json(silent=True)
        return Reply(response.status_code, body, response.headers)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Reply:
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Reply:
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)


@functools.cache
def hash_once(password: str) -> str:
    """The real password hash, computed once per process and password (Argon2 is slow)."""
    from plinth.auth.passwords import hash_password

    return hash_password(password)


@pytest.fixture
def people(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, Any]]:
    """Create users (with tokens) on demand: ``people("ann", roles=["engineer"])``, with
    optional ``teams`` (made when missing). Each has ``PASSWORD`` and a ``token``.

    Argon2 is slow on purpose; the shared test password is hashed once per process.
    """
    from plinth.auth.actor import SYSTEM
    from plinth.auth.people import save_team
    from plinth.auth.tokens import create_token
    from plinth.auth.users import create_user
    from plinth.runtime import system_tables as st

    monkeypatch.setattr("plinth.auth.users.hash_password", hash_once)
    tenant: Tenant = app.extensions["plinth"].tenant

    def make(name: str, roles: Iterable[str] = (), teams: Iterable[str] = ()) -> dict[str, Any]:
        with tenant.database.transaction(write=True) as conn:
            known = ["admin", *tenant.metadata.current(conn).docs("roles")]
            user = create_user(conn, f"{name}@example.com", PASSWORD, name.title(), roles, known)
            for team in teams:
                team_id = conn.scalar(sa.select(st.team.c.id).where(st.team.c.name == team))
                if team_id is None:
                    team_id = save_team(conn, SYSTEM, {"name": team})["id"]
                conn.execute(st.team_member.insert(), {"team_id": team_id, "user_id": user["id"]})
            token, _ = create_token(conn, user["id"], "test")
        user["token"] = token
        return user

    return make


@pytest.fixture
def admin(people: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A user with the admin role."""
    return people("admin", roles=["admin"])


@pytest.fixture
def as_admin(client: FlaskClient, admin: dict[str, Any]) -> Api:
    """The API as the admin."""
    return Api(client, admin["token"])


@pytest.fixture
def anonymous(client: FlaskClient) -> Api:
    """The API without a token."""
    return Api(client, None)


@pytest.fixture
def as_user(client: FlaskClient) -> Callable[[dict[str, Any]], Api]:
    """``as_user(user)``: the API as a user ``people`` made."""

    def make(user: dict[str, Any]) -> Api:
        return Api(client, user["token"])

    return make


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


def require_browser() -> ModuleType:
    """Playwright's sync API, or a skip (a failure under PLINTH_REQUIRE_SERVICES=1) when
    playwright or chromium is missing."""
    import shutil
    from pathlib import Path

    sync_api: ModuleType = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if services_required():
            pytest.fail(f"chromium is required but missing at {CHROMIUM}")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    return sync_api


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app served on a free local port in a thread: ``http://127.0.0.1:<port>``."""
    import threading

    from werkzeug.serving import WSGIRequestHandler, make_server

    class Handler(WSGIRequestHandler):
        # answers go out at once: with Nagle's algorithm on, a small answer waits ~40 ms
        # for the client's acknowledgement, which slows every browser test down
        disable_nagle_algorithm = True

    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def browser_page(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """A headless chromium (Playwright); screenshots go to ``test-artifacts/screenshots/``."""
    sync_api = require_browser()
    (request.config.rootpath / "test-artifacts" / "screenshots").mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
