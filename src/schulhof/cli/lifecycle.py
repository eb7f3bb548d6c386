"""`schulhof lifecycle run`: delete people whose grace period is over (cron-safe)."""

from __future__ import annotations

import typer

from schulhof.access.actors import system
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json
from schulhof.services import persons as person_service

cli = typer.Typer(help="Account lifecycle.", no_args_is_help=True)


@cli.command("run")
@handle_errors
def run(ctx: typer.Context, json: JsonOption = False) -> None:
    """Delete every disabled person whose grace period has ended. Safe to run any time."""
    deleted = person_service.run_lifecycle(state(ctx).services(), system("lifecycle"))
    if json:
        print_json({"deleted": len(deleted), "usernames": [p.username for p in deleted]})
    else:
        typer.echo(f"deleted {len(deleted)} people")
