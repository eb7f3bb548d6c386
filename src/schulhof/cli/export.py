"""`schulhof export oneroster|ldif`: the directory as OneRoster 1.1 CSV, or as LDIF."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import console, print_json
from schulhof.importers.oneroster_export import school_year_of, write_oneroster
from schulhof.protocols.ldap.directory import build as build_directory
from schulhof.protocols.ldap.ldif import write_ldif
from schulhof.protocols.ldap.server import DEFAULT_BASE
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


@cli.command("ldif")
@handle_errors
def ldif(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Argument(help="The LDIF file to write ('-': stdout).")],
    base: Annotated[str, typer.Option(help="The base DN of the tree.")] = DEFAULT_BASE,
) -> None:
    """Write the LDAP tree (every person and group, as the LDAP server serves it) as LDIF."""
    d = build_directory(state(ctx).services(), base)
    if str(out_file) == "-":
        write_ldif(d, sys.stdout)
        return
    with out_file.open("w", encoding="utf-8") as out:
        count = write_ldif(d, out)
    console.print(f"{count} entries written to {out_file}.", highlight=False, markup=False)
