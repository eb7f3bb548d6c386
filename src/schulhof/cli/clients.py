"""`schulhof clients add ldap`: read-only service accounts for the LDAP face."""

from __future__ import annotations

from typing import Annotated

import typer

from schulhof.access.actors import OPERATOR
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json
from schulhof.protocols.ldap.server import DEFAULT_BASE
from schulhof.services import ldap_accounts

cli = typer.Typer(help="Accounts of connected services.", no_args_is_help=True)
add = typer.Typer(help="Add an account.", no_args_is_help=True)
cli.add_typer(add, name="add")


@add.command("ldap")
@handle_errors
def ldap(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The account's name (its bind DN's cn).")],
    schools: Annotated[
        list[str] | None,
        typer.Option("--schools", "--school", help="School number (repeatable); default: all."),
    ] = None,
    attributes: Annotated[
        str | None,
        typer.Option(help="Comma list of person attributes it may see (default: the basics)."),
    ] = None,
    base: Annotated[str, typer.Option(help="The LDAP base DN.")] = DEFAULT_BASE,
    json: JsonOption = False,
) -> None:
    """A read-only LDAP account; prints its bind DN and password once."""
    attrs = tuple(a.strip() for a in attributes.split(",") if a.strip()) if attributes else None
    made = ldap_accounts.add_client(
        state(ctx).services(), OPERATOR, name=name, schools=tuple(schools or ()), attributes=attrs
    )
    bind_dn = f"cn={made.name},ou=services,{base}"
    if json:
        print_json(
            {
                "bind_dn": bind_dn,
                "password": made.password,
                "token_id": made.token_id,
                "schools": list(made.schools),
                "attributes": list(made.attributes) if made.attributes is not None else None,
            }
        )
        return
    typer.echo(f"bind DN:  {bind_dn}")
    typer.echo(f"password: {made.password}")
    typer.echo("Store the password now: it cannot be shown again.", err=True)
