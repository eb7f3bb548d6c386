"""`schulhof export oneroster`: the directory as a OneRoster 1.1 CSV bulk package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import console, print_json
from schulhof.importers.oneroster_export import school_year_of, write_oneroster
from schulhof.services.export import directory_snapshot

cli = typer.Typer(help="Export the directory for other systems.", no_args_is_help=True)

DirArg = Annotated[
    Path, typer.Argument(help="The folder to write (created if missing; must be empty).")
]
Force = Annotated[
    bool,
    typer.Option("--force", help="Write into a non-empty folder, replacing its OneRoster files."),
]


@cli.command("oneroster")
@handle_errors
def oneroster(
    ctx: typer.Context, out_dir: DirArg, force: Force = False, json: JsonOption = False
) -> None:
    """Write every school, active person, class and membership as OneRoster 1.1 CSV (bulk)."""
    svc = state(ctx).services()
    snapshot = directory_snapshot(svc)
    counts = write_oneroster(
        snapshot, out_dir, school_year=school_year_of(svc.clock().date()), force=force
    )
    if json:
        print_json(counts)
        return
    for name, count in counts.items():
        console.print(f"{name}.csv: {count}", highlight=False)
    console.print(f"Written to {out_dir}.", highlight=False, markup=False)
