"""Fixtures: a fresh directory on SQLite and on PostgreSQL for every test that asks for one.

PostgreSQL: one database per test process, created once and emptied between tests.
Set SCHULHOF_TEST_PG to another server URL, or to `off` to run SQLite only (never in CI).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from schulhof.services.runtime import Services, open_services
from schulhof.store.tables import metadata

PG_SERVER = os.environ.get("SCHULHOF_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
BACKENDS = ["sqlite"] if PG_SERVER == "off" else ["sqlite", "postgresql"]
SHARED = Path(__file__).resolve().parents[2] / "shared"


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


def _admin(sql: str, *params: str) -> list[tuple[object, ...]]:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        cur = conn.execute(sql, params or None)
        return cur.fetchall() if cur.description else []


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of this test process's own (several suites may run at once on one server),
    dropped at the end."""
    name = f"schulhof_test_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    yield f"{PG_SERVER}/{name}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in metadata.sorted_tables if t.name != "counters")
            conn.exec_driver_sql(f"TRUNCATE {names}")
        else:
            for table in reversed(metadata.sorted_tables):
                if table.name != "counters":
                    conn.execute(table.delete())
        conn.exec_driver_sql("UPDATE counters SET value = 0")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 9, 1, 7, 30, tzinfo=dt.UTC))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated directory: a new SQLite file, or the worker's emptied PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'schulhof.sqlite'}"
    url: str = request.getfixturevalue("pg_url")
    services = open_services(url)
    _empty(services.engine)
    services.engine.dispose()
    return url


@pytest.fixture
def svc(db_url: str, clock: FixedClock) -> Iterator[Services]:
    services = open_services(db_url)
    services.clock = clock
    yield services
    services.engine.dispose()
