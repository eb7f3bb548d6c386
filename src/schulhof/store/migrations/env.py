"""Alembic environment: uses the engine the program hands over (see store/migrations.py)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from schulhof.store.tables import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # invoked from the alembic command line by a developer
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
