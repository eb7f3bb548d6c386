"""`schulhof clients`: the accounts of connected services. `add ldap`: read-only LDAP
service accounts; `add oidc` (and `add saml`): services that sign people in, which
`list`, `show` and `remove` cover whatever their protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from schulhof.access.actors import OPERATOR
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json, print_table
from schulhof.domain.errors import ValidationError
from schulhof.protocols.ldap.server import DEFAULT_BASE
from schulhof.protocols.oidc import registration
from schulhof.services import clients as service_clients
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


@add.command("oidc")
@handle_errors
def oidc(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The service's name.")],
    redirect_uri: Annotated[
        list[str], typer.Option("--redirect-uri", help="Where codes may go (repeatable; exact).")
    ],
    post_logout_redirect_uri: Annotated[
        list[str] | None,
        typer.Option("--post-logout-redirect-uri", help="Where sign-out may return (repeatable)."),
    ] = None,
    backchannel_logout_uri: Annotated[
        str | None, typer.Option(help="Receives logout tokens when a session ends.")
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="No secret (apps, SPAs): PKCE is required.")
    ] = False,
    claims: Annotated[
        str | None,
        typer.Option(help="Comma list of profile, email, roles, schools, groups (default: none)."),
    ] = None,
    schools: Annotated[
        list[str] | None,
        typer.Option("--schools", "--school", help="School number (repeatable); default: all."),
    ] = None,
    pairwise: Annotated[
        bool, typer.Option("--pairwise", help="A subject of its own for this service.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """An OpenID Connect client; prints its client_id and client_secret (once)."""
    config = registration.client_config(
        redirect_uris=redirect_uri,
        post_logout_redirect_uris=post_logout_redirect_uri or (),
        backchannel_logout_uri=backchannel_logout_uri,
        public=public,
        pairwise=pairwise,
    )
    made, secret = service_clients.add(
        state(ctx).services(),
        OPERATOR,
        protocol="oidc",
        name=name,
        config=config,
        schools=tuple(schools or ()),
        release=registration.release_from_claims((claims or "").split(",")),
        secret=not public,
    )
    if json:
        print_json({"client_id": made.id, "client_secret": secret, **_described(made)})
        return
    typer.echo(f"client_id:     {made.id}")
    if secret:
        typer.echo(f"client_secret: {secret}")
        typer.echo("Store the secret now: it cannot be shown again.", err=True)


def _described(c: service_clients.ServiceClient) -> dict[str, Any]:
    return {
        "id": c.id,
        "protocol": c.protocol,
        "name": c.name,
        "schools": list(c.schools),
        "release": list(c.release),
        "confidential": c.confidential,
        "config": c.config,
    }


@cli.command("list")
@handle_errors
def list_(ctx: typer.Context, json: JsonOption = False) -> None:
    """The registered OIDC clients and SAML service providers."""
    found = service_clients.list_clients(state(ctx).services(), OPERATOR)
    if json:
        print_json([_described(c) for c in found])
        return
    print_table(
        "Services",
        ["id", "protocol", "name", "schools", "release"],
        [
            (c.id, c.protocol, c.name, ", ".join(c.schools) or "all", ", ".join(c.release))
            for c in found
        ],
    )


@cli.command("show")
@handle_errors
def show(ctx: typer.Context, client_id: str, json: JsonOption = False) -> None:
    """One registration (never its secret)."""
    found = service_clients.show(state(ctx).services(), OPERATOR, client_id)
    if json:
        print_json(_described(found))
        return
    for key, value in _summary(found).items():
        typer.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


def _summary(c: service_clients.ServiceClient) -> dict[str, Any]:
    """What `show` prints for people: a SAML SP's metadata XML summed up in a few lines
    (`--json` keeps the whole registration)."""
    if c.protocol != "saml":
        return _described(c)
    head = {"id": c.id, "protocol": c.protocol, "name": c.name}
    try:
        from schulhof.protocols.saml import registration as saml_registration

        sp = saml_registration.read_metadata(str(c.config.get("metadata", "")), c.id)
    except ValidationError as exc:
        return {**head, "metadata": f"unreadable ({exc})"}
    return {
        **head,
        "entity_id": sp.entity_id,
        "acs_urls": [e.location for e in sp.acs],
        "single_logout": f"yes ({', '.join(e.location for e in sp.slo)})" if sp.slo else "no",
        "attributes": list(c.config.get("attributes", [])) or "none",
        "schools": list(c.schools) or "all",
    }


@cli.command("remove")
@handle_errors
def remove(ctx: typer.Context, client_id: str, json: JsonOption = False) -> None:
    """Unregister a service: its secret and its tokens stop working at once."""
    found = service_clients.remove(state(ctx).services(), OPERATOR, client_id)
    if json:
        print_json({"removed": found.id})
        return
    typer.echo(f"removed {found.id}")


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
    # Imported here: pysaml2 compiles XML schemas on import (0.3 s on every command).
    from schulhof.protocols.saml import registration as saml_registration

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
