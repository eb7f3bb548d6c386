"""`schulhof keys rotate`: a new signing key for OIDC or SAML."""

from __future__ import annotations

from typing import Annotated

import typer

from schulhof.access.actors import OPERATOR
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json
from schulhof.services import keys

cli = typer.Typer(help="Signing keys (OIDC tokens, SAML assertions).", no_args_is_help=True)


@cli.command("rotate")
@handle_errors
def rotate(
    ctx: typer.Context,
    use: Annotated[str, typer.Option(help="oidc or saml.")] = "oidc",
    json: JsonOption = False,
) -> None:
    """Make a new active key; the old one stays published until its tokens expire."""
    made = keys.rotate(state(ctx).services(), OPERATOR, use)
    if json:
        print_json({"kid": made.kid, "use": made.use, "alg": made.alg})
        return
    typer.echo(f"new {made.use} key: {made.kid}")
