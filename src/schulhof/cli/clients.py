"""`schulhof clients add ldap`: read-only service accounts for the LDAP face."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from schulhof.access.actors import OPERATOR
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json
from schulhof.domain.errors import ValidationError
from schulhof.protocols.ldap.server import DEFAULT_BASE
from schulhof.protocols.saml import registration as saml_registration
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


@add.command("saml")
@handle_errors
def saml(
    ctx: typer.Context,
    metadata: Annotated[
        Path, typer.Option(help="The SP's SAML metadata (XML file with its EntityDescriptor).")
    ],
    attributes: Annotated[
        str | None,
        typer.Option(
            help="Comma list of attributes, e.g. uid,mail,eduPersonAffiliation "
            "(default: those the metadata requests; docs/saml.md lists them)."
        ),
    ] = None,
    schools: Annotated[
        list[str] | None,
        typer.Option("--schools", "--school", help="School number (repeatable); default: all."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name (default: the entityID).")] = None,
    json: JsonOption = False,
) -> None:
    """A SAML service provider, from its metadata; prints its entity ID, ACS URLs and the
    attributes it will be given."""
    try:
        xml = metadata.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{metadata}: cannot read it ({exc})", field="metadata") from exc
    made = saml_registration.register(
        state(ctx).services(),
        OPERATOR,
        xml,
        source=str(metadata),
        name=name,
        attribute_names=attributes.split(",") if attributes is not None else None,
        schools=tuple(schools or ()),
    )
    out = {
        "entity_id": made.client.id,
        "name": made.client.name,
        "acs_urls": [e.location for e in made.sp.acs],
        "slo_urls": [e.location for e in made.sp.slo],
        "attributes": list(made.attributes),
        "schools": list(made.client.schools),
        "name_id": "persistent (pairwise) unless the SP asks for transient",
    }
    if json:
        print_json(out)
        return
    for key, value in out.items():
        typer.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
