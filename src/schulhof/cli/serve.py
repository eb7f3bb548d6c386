"""`schulhof serve`: the HTTP API (uvicorn) and, when asked, the LDAP listener beside it.

Both run in one process and one event loop: an `asyncio.Runner` (on uvloop, which
uvicorn[standard] brings, else asyncio's own loop) drives uvicorn's `Server.serve()` and
the LDAP server together; when uvicorn stops (Ctrl-C, SIGTERM), the LDAP listener is
closed too.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
import uvicorn

from schulhof.cli.app import handle_errors, state
from schulhof.domain.errors import ConfigurationError
from schulhof.protocols.ldap.server import DEFAULT_BASE, LdapConfig, LdapServer
from schulhof.services.runtime import Services


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ConfigurationError("--tls-cert and --tls-key go together")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"cannot load the TLS certificate or key: {exc}") from exc
    return ctx


def run_together(
    config: uvicorn.Config,
    svc: Services,
    ldap: LdapConfig,
    hosts: str | Sequence[str],
    ldap_port: int | None,
    ldaps_port: int | None,
) -> None:
    """Serve the API and (with a port) LDAP in one event loop until the API stops."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_serve(config, svc, ldap, hosts, ldap_port, ldaps_port))


async def _serve(
    config: uvicorn.Config,
    svc: Services,
    ldap: LdapConfig,
    hosts: str | Sequence[str],
    ldap_port: int | None,
    ldaps_port: int | None,
) -> None:
    server: LdapServer | None = None
    if ldap_port is not None or ldaps_port is not None:
        server = LdapServer(svc, ldap)
        try:
            addresses = await server.start(hosts, ldap_port, ldaps_port)
        except OSError as exc:  # e.g. the port is taken: one line, not a traceback
            await server.close()
            raise ConfigurationError(f"cannot listen for LDAP: {exc}") from exc
        for h, p in addresses:
            typer.echo(f"Schulhof LDAP on {h}:{p} (base {ldap.base})", err=True)
    try:
        await uvicorn.Server(config).serve()
    finally:
        if server is not None:
            await server.close()


def check_public_url(value: str) -> str:
    """`--public-url`: an http(s) URL with a host, no query or fragment; the trailing
    slash is dropped (it is the OIDC issuer, compared character by character)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"--public-url must be an http(s) URL with a host: {value}")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"--public-url takes no query or fragment: {value}")
    return value.rstrip("/")


@handle_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    ldap_port: Annotated[
        int | None, typer.Option(help="Serve LDAP (plain and StartTLS) on this port.")
    ] = None,
    ldaps_port: Annotated[int | None, typer.Option(help="Serve LDAPS on this port.")] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    ldap_base: Annotated[str, typer.Option(help="LDAP base DN.")] = DEFAULT_BASE,
    ldap_anonymous: Annotated[
        bool, typer.Option(help="Let anonymous LDAP clients read (default attributes).")
    ] = False,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="Where people reach this server, e.g. https://konto.schulen.example "
            "(the OIDC issuer; https makes the cookies Secure). Default: "
            "http://127.0.0.1:PORT."
        ),
    ] = None,
) -> None:
    """Serve the REST API (docs at /api/v1/docs) and, with --ldap-port/--ldaps-port, LDAP."""
    # Checked before the database is opened. Never taken from a request's Host header: the
    # issuer and the links in pages must not be whatever a client claims.
    public = check_public_url(public_url) if public_url else f"http://127.0.0.1:{port}"
    if not public_url and host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"warning: listening on {host} without --public-url; sign-in and OIDC use {public}",
            err=True,
        )
    svc = state(ctx).services()
    tls = tls_context(tls_cert, tls_key)
    if ldaps_port is not None and tls is None:
        raise ConfigurationError("--ldaps-port needs --tls-cert and --tls-key")
    # The web app (and pysaml2 with it) is imported only by the commands that serve.
    from schulhof.web.app import create_app

    app = create_app(svc, public_url=public)
    typer.echo(f"Schulhof API on http://{host}:{port}/api/v1/docs", err=True)
    typer.echo(f"Sign-in page at {public}/signin", err=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False)
    ldap = LdapConfig(base=ldap_base, anonymous=ldap_anonymous, tls=tls)
    run_together(config, svc, ldap, host, ldap_port, ldaps_port)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    if importlib.util.find_spec("uvloop") is None:
        return None
    import uvloop

    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
