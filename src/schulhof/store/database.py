"""Connecting to SQLite or PostgreSQL, and keeping the schema at the newest migration.

`SCHULHOF_DB` (or `--db`) is a SQLAlchemy URL; `postgresql://` is taken to mean psycopg 3.
SQLite runs in WAL mode; write transactions start with BEGIN IMMEDIATE so two writers
queue on the database lock instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from schulhof.domain.errors import ConfigurationError

DEFAULT_URL = "sqlite:///schulhof.sqlite"
WRITE_OPTION = "schulhof_write"


def database_url(explicit: str | None = None) -> str:
    """The URL to use: `--db`, else `SCHULHOF_DB`, else a SQLite file in the working directory."""
    raw = explicit or os.environ.get("SCHULHOF_DB") or DEFAULT_URL
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigurationError(f"not a database URL: {raw!r}") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if not (url.drivername.startswith("sqlite") or url.drivername.startswith("postgresql")):
        raise ConfigurationError(
            f"unsupported database {url.drivername!r}: use sqlite or postgresql"
        )
    return url.render_as_string(hide_password=False)


def create_engine(url: str) -> sa.Engine:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _tune_sqlite(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's implicit BEGIN is
        # deferred, and a deferred writer can fail on upgrade instead of waiting).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        writer = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in a write transaction: committed when the block ends, rolled back on error."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


@contextmanager
def read_connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn
