"""`schulhof changes list`."""

from __future__ import annotations

from typing import Annotated

import typer

from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json, print_table
from schulhof.services import changes as change_service
from schulhof.services.views import change_dict

cli = typer.Typer(help="The change log.", no_args_is_help=True)


@cli.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    after: Annotated[int, typer.Option(help="Records after this sequence number.")] = 0,
    school: Annotated[str | None, typer.Option(help="Only records concerning this school.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 1000,
    json: JsonOption = False,
) -> None:
    """List change-log records in order."""
    records = change_service.changes_after(state(ctx).services(), after, school=school, limit=limit)
    if json:
        print_json([change_dict(c) for c in records])
    else:
        print_table(
            f"{len(records)} changes",
            ["Seq", "At", "Actor", "Kind", "Schools", "Entity"],
            [
                (
                    c.seq,
                    c.at.strftime("%Y-%m-%d %H:%M:%S"),
                    c.actor,
                    c.kind,
                    " ".join(c.schools),
                    c.entity_id,
                )
                for c in records
            ],
        )
