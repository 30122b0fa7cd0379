"""Database access for one tenant: engine set-up, dialect quirks and transactions."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from plinth.errors import ConfigError

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_WRITE = "plinth_write"
DDL_LOCK_TIMEOUT = "15s"


class Database:
    """One tenant's database: its engine, and transactions that work alike on both dialects.

    On SQLite, transactions are started explicitly (``BEGIN``, or ``BEGIN IMMEDIATE`` for
    writes so concurrent writers queue on the busy timeout instead of failing); foreign
    keys are enforced. On PostgreSQL the tenant's schema is put on the search path.
    """

    def __init__(self, url: str, schema: str | None = None, echo: bool = False):
        self.url = make_url(url)
        self.schema = schema
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise ConfigError(f"invalid database schema name {schema!r}")
        self.dialect = self.url.get_backend_name()
        if self.dialect not in {"sqlite", "postgresql"}:
            raise ConfigError(f"unsupported database {self.dialect!r}: use sqlite or postgresql")
        if self.dialect == "postgresql" and self.url.drivername == "postgresql":
            self.url = self.url.set(drivername="postgresql+psycopg")
        self.engine = self._create_engine(echo)
        self._sequence_engine: sa.Engine | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _create_engine(self, echo: bool) -> sa.Engine:
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(
                self.url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
            )
            sa.event.listen(engine, "connect", _sqlite_on_connect)
            sa.event.listen(engine, "begin", _sqlite_on_begin)
            return engine
        connect_args = {"options": self._session_options()}
        return sa.create_engine(
            self.url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            connect_args=connect_args,
        )

    def _session_options(self) -> str:
        """PostgreSQL session settings: the tenant's schema first on the search path, and
        UTC as the session time zone, so instants arrive already in UTC (no conversion per
        value read) and SQL date functions work in UTC whatever the server's default."""
        options = "-cTimeZone=UTC"
        if self.schema:
            options += f" -csearch_path={self.schema}"
        return options

    @contextlib.contextmanager
    def transaction(self, write: bool = False) -> Iterator[Connection]:
        """A connection inside a transaction, committed on success, rolled back on error.

        Read-only work (``write=False``) runs in autocommit mode: under READ COMMITTED a
        transaction adds no consistency to reads but costs two round trips (BEGIN, COMMIT).
        """
        with self.engine.connect() as conn:
            if write:
                conn = conn.execution_options(**{_WRITE: True})
            else:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def ddl_transaction(self) -> Iterator[Connection]:
        """A write transaction for schema changes.

        SQLite cannot toggle foreign-key enforcement inside a transaction, and table rebuilds
        (alembic batch mode) need it off; it is switched off around the transaction and
        ``PRAGMA foreign_key_check`` verifies integrity before committing.
        """
        with self.engine.connect() as conn:
            if self.is_sqlite:
                _dbapi(conn).execute("PRAGMA foreign_keys=OFF")
            try:
                conn = conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    if not self.is_sqlite:
                        # Wait a bounded time for locks held by running requests, then fail
                        # clearly rather than queueing every later request behind the DDL.
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{DDL_LOCK_TIMEOUT}'")
                    yield conn
                    if self.is_sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise RuntimeError(f"schema change broke foreign keys: {broken[:5]}")
            finally:
                if self.is_sqlite:
                    _dbapi(conn).execute("PRAGMA foreign_keys=ON")

    def sequence_connection(self) -> contextlib.AbstractContextManager[Connection] | None:
        """An autocommit connection for gap-tolerant counters (PostgreSQL only).

        Counters taken outside the caller's transaction never serialize concurrent inserts;
        a small separate pool means this can never wait on the main pool.
        """
        if self.is_sqlite:
            return None
        if self._sequence_engine is None:
            self._sequence_engine = sa.create_engine(
                self.url,
                pool_size=2,
                max_overflow=8,
                pool_pre_ping=True,
                isolation_level="AUTOCOMMIT",
                connect_args={"options": self._session_options()},
            )
        return self._sequence_engine.connect()

    def ensure_schema(self) -> None:
        """Create the tenant's PostgreSQL schema if it does not exist yet."""
        if self.is_sqlite or not self.schema:
            return
        bootstrap = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with bootstrap.connect() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        finally:
            bootstrap.dispose()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
        if self._sequence_engine is not None:
            self._sequence_engine.dispose()


def _dbapi(conn: Connection) -> DBAPIConnection:
    """The driver's connection under ``conn`` (there is one while ``conn`` is open)."""
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    return dbapi_connection


def _sqlite_on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # Take transaction control away from pysqlite so BEGIN is emitted by us (see on_begin).
    dbapi_connection.isolation_level = None
    for pragma in (
        "PRAGMA foreign_keys=ON",
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA busy_timeout=30000",
    ):
        dbapi_connection.execute(pragma)


def _sqlite_on_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE) else "BEGIN")
