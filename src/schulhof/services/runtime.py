"""What every use case needs: the database, a clock and the settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from schulhof.services.settings import Settings
from schulhof.store import migrations
from schulhof.store.database import create_engine, database_url


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class Services:
    engine: sa.Engine
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], dt.datetime] = utcnow
    # Per-process caches of what this database holds (server secrets, signing keys). They
    # live with this object, not in module globals keyed by id(engine): a test's fresh
    # database must never see a cache filled from another one.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name


def open_services(url: str | None = None, settings: Settings | None = None) -> Services:
    """Connect and bring the schema to the newest migration (an empty database is fine)."""
    engine = create_engine(database_url(url))
    migrations.upgrade(engine)
    return Services(engine=engine, settings=settings or Settings())
