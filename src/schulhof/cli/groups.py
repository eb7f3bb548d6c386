"""`schulhof groups list`."""

from __future__ import annotations

from typing import Annotated

import typer

from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json, print_table
from schulhof.domain.errors import ValidationError
from schulhof.domain.model import GroupKind
from schulhof.services import groups as group_service

cli = typer.Typer(help="Classes, courses and workgroups.", no_args_is_help=True)


@cli.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    school: Annotated[str | None, typer.Option(help="Only groups of this school number.")] = None,
    kind: Annotated[str | None, typer.Option(help="class, course or workgroup.")] = None,
    json: JsonOption = False,
) -> None:
    """List groups with their number of members."""
    try:
        the_kind = GroupKind(kind) if kind else None
    except ValueError as exc:
        raise ValidationError(f"unknown kind {kind!r}", field="kind") from exc
    views = group_service.list_groups(state(ctx).services(), school=school, kind=the_kind)
    if json:
        print_json([v.as_dict() for v in views])
    else:
        print_table(
            f"{len(views)} groups",
            ["School", "Kind", "Name", "Members"],
            [(v.group.school_number, v.group.kind.value, v.group.name, v.members) for v in views],
        )
