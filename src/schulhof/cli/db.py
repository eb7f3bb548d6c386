"""`schulhof db upgrade`: for operators who want to migrate before starting the service."""

from __future__ import annotations

import typer

from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json
from schulhof.store import migrations
from schulhof.store.database import create_engine, database_url

cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@cli.command("upgrade")
@handle_errors
def upgrade(ctx: typer.Context, json: JsonOption = False) -> None:
    """Migrate the database schema to the newest version."""
    engine = create_engine(database_url(state(ctx).db))
    before, after = migrations.upgrade(engine)
    if json:
        print_json({"before": before, "after": after})
    else:
        typer.echo(f"schema at {after}" + ("" if before == after else f" (was {before})"))
