"""`schulhof tokens create|list|revoke`: API tokens for admins, teachers and services."""

from __future__ import annotations

from typing import Annotated

import typer

from schulhof.access.actors import OPERATOR, ActorKind
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json, print_table
from schulhof.domain.errors import ValidationError
from schulhof.services import tokens as token_service
from schulhof.store.tokens import TokenRow

cli = typer.Typer(help="API tokens (shown once, stored as a hash).", no_args_is_help=True)


def _row(t: TokenRow) -> dict[str, object]:
    return {
        "id": t.id, "name": t.name, "role": t.role, "schools": list(t.schools),
        "person_id": t.person_id,
        "attributes": list(t.attributes) if t.attributes is not None else None,
        "created_at": t.created_at.isoformat(), "created_by": t.created_by,
        "expires_at": t.expires_at.isoformat() if t.expires_at else None,
        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
    }  # fmt: skip


@cli.command("create")
@handle_errors
def create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option(help="city_admin, school_admin, teacher or service.")],
    school: Annotated[list[str] | None, typer.Option(help="School number (repeatable).")] = None,
    person: Annotated[str | None, typer.Option(help="Username of the token's person.")] = None,
    name: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
    expires: Annotated[int | None, typer.Option(help="Days until it expires.")] = None,
    attributes: Annotated[
        str | None, typer.Option(help="Service tokens: comma list of person attributes it may see.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Create a token and print it once."""
    try:
        kind = ActorKind(role)
    except ValueError as exc:
        raise ValidationError(f"unknown role {role!r}", field="role") from exc
    attrs = tuple(a.strip() for a in attributes.split(",") if a.strip()) if attributes else None
    made = token_service.create_token(
        state(ctx).services(), OPERATOR, role=kind, name=name or "", schools=tuple(school or ()),
        person=person, attributes=attrs, expires_days=expires,
    )  # fmt: skip
    if json:
        print_json({"token": made.token, **_row(made.row)})
    else:
        typer.echo(made.token)
        typer.echo("Store it now: it cannot be shown again.", err=True)


@cli.command("list")
@handle_errors
def list_(ctx: typer.Context, json: JsonOption = False) -> None:
    """List tokens (never their secrets)."""
    rows = token_service.list_tokens(state(ctx).services(), OPERATOR)
    if json:
        print_json([_row(t) for t in rows])
        return
    print_table(
        f"{len(rows)} tokens",
        ["Id", "Name", "Role", "Schools", "Expires", "Revoked"],
        [(t.id, t.name, t.role, " ".join(t.schools), t.expires_at, t.revoked_at) for t in rows],
    )


@cli.command("revoke")
@handle_errors
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="Token id.")],
    json: JsonOption = False,
) -> None:
    """Revoke a token (effective within seconds on every server)."""
    token_service.revoke_token(state(ctx).services(), OPERATOR, token_id)
    if json:
        print_json({"id": token_id, "revoked": True})
    else:
        typer.echo(f"revoked {token_id}")
