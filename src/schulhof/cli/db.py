"""`schulhof db upgrade`: for operators who want to migrate before starting the service."""

from __future__ import annotations

import typer

from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json
from schulhof.services import changes as change_service
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


@cli.command("check")
@handle_errors
def check(ctx: typer.Context, json: JsonOption = False) -> None:
    """Look for inconsistent rows (orphans, broken invariants, change-log gaps)."""
    findings = change_service.check_integrity(state(ctx).services())
    if json:
        print_json([{"check": f.check, "count": f.count} for f in findings])
    elif findings:
        for f in findings:
            typer.echo(f"{f.check}: {f.count}", err=True)
    else:
        typer.echo("consistent")
    if findings:
        raise typer.Exit(1)
