"""`schulhof review list|accept|reject`: near matches from imports, decided by a person."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from schulhof.access.actors import OPERATOR, operator
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json, print_table
from schulhof.domain.errors import ValidationError
from schulhof.domain.model import Person
from schulhof.services import persons as person_service
from schulhof.services import review as review_service

cli = typer.Typer(help="Import matches waiting for a decision.", no_args_is_help=True)


def _id(raw: str, field: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError as exc:
        raise ValidationError(f"not an id: {raw!r}", field=field) from exc


@cli.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include decided items.")] = False,
    json: JsonOption = False,
) -> None:
    """Records that look like someone in the directory but are not certainly them."""
    items = review_service.list_reviews(state(ctx).services(), None if all_ else "pending")
    if json:
        print_json(
            [
                {
                    "id": str(i.id),
                    "status": i.status,
                    "reason": i.reason,
                    "record": i.record,
                    "created_at": i.created_at.isoformat(),
                    "candidates": [person_service_view(p) for p in people],
                }
                for i, people in items
            ]
        )
        return
    print_table(
        f"{len(items)} to review",
        ["Id", "Record", "File", "Reason", "Candidates"],
        [
            (
                str(i.id),
                f"{i.record.get('given_name')} {i.record.get('family_name')} "
                f"{i.record.get('birth_date') or ''}",
                f"{i.record.get('file')}:{i.record.get('line')}",
                i.reason,
                "; ".join(
                    f"{p.username} ({p.given_name} {p.family_name} {p.birth_date or ''}, "
                    f"{' '.join(p.school_numbers) or p.state.value})"
                    for p in people
                ),
            )
            for i, people in items
        ],
    )


def person_service_view(p: Person) -> dict[str, object]:
    return {
        "id": str(p.id),
        "username": p.username,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "birth_date": p.birth_date.isoformat() if p.birth_date else None,
        "schools": list(p.school_numbers),
        "state": p.state.value,
    }


@cli.command("accept")
@handle_errors
def accept(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="Review item id.")],
    person: Annotated[
        str | None, typer.Option(help="Candidate (username or id) if several.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Same person: link the record to the candidate (the account stays as it is)."""
    svc = state(ctx).services()
    pid = person_service.get_person(svc, OPERATOR, person).person.id if person else None
    updated = review_service.accept(svc, operator(), _id(item, "item"), pid)
    if json:
        print_json(person_service.get_person(svc, OPERATOR, updated.id).as_dict())
    else:
        typer.echo(f"linked to {updated.username}")


@cli.command("reject")
@handle_errors
def reject(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="Review item id.")],
    json: JsonOption = False,
) -> None:
    """Someone else: make a new account from the record."""
    svc = state(ctx).services()
    made = review_service.reject(svc, operator(), _id(item, "item"))
    if json:
        print_json(person_service.get_person(svc, OPERATOR, made.id).as_dict())
    else:
        typer.echo(f"created {made.username}")
