"""Running Alembic from inside the program: every command upgrades an empty or old database
to the newest schema before it works (`schulhof db upgrade` does only that)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

_HERE = Path(__file__).parent / "migrations"


def alembic_config(engine: sa.Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision(engine: sa.Engine) -> str | None:
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    return heads[0] if heads else None


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()
        return rev


def upgrade(engine: sa.Engine) -> tuple[str | None, str | None]:
    """Migrate to head; returns (before, after) revisions."""
    before = current_revision(engine)
    if before != head_revision(engine):
        command.upgrade(alembic_config(engine), "head")
    return before, current_revision(engine)
