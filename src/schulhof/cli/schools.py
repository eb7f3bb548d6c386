"""`schulhof schools list|add`."""

from __future__ import annotations

from typing import Annotated

import typer

from schulhof.access.actors import operator
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json, print_table
from schulhof.domain.errors import ValidationError
from schulhof.domain.model import School, SchoolType
from schulhof.services import schools as school_service

cli = typer.Typer(help="Schools of the authority.", no_args_is_help=True)


def school_dict(s: School) -> dict[str, object]:
    return {
        "id": str(s.id),
        "number": s.number,
        "name": s.name,
        "type": s.type.value,
        "sources": [{"system": k.system, "id": k.source_id} for k in s.sources],
    }


@cli.command("list")
@handle_errors
def list_(ctx: typer.Context, json: JsonOption = False) -> None:
    """List all schools."""
    items = school_service.list_schools(state(ctx).services())
    if json:
        print_json([school_dict(s) for s in items])
    else:
        print_table(
            f"{len(items)} schools",
            ["Number", "Name", "Type"],
            [(s.number, s.name, s.type.value) for s in items],
        )


@cli.command("add")
@handle_errors
def add(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="School number, e.g. 91000.")],
    name: Annotated[str, typer.Argument(help="Name of the school.")],
    type: Annotated[
        str, typer.Option("--type", help="GS, OBS, GY, IGS, FÖS, BBS or OTHER.")
    ] = "OTHER",
    json: JsonOption = False,
) -> None:
    """Add a school."""
    try:
        school_type = SchoolType(type.upper().replace("FOES", "FÖS"))
    except ValueError as exc:
        raise ValidationError(f"unknown school type {type!r}", field="type") from exc
    school = school_service.add_school(state(ctx).services(), operator(), number, name, school_type)
    if json:
        print_json(school_dict(school))
    else:
        typer.echo(f"added school {school.number} {school.name}")
