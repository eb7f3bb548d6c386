"""`schulhof serve`: the HTTP API (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from schulhof.cli.app import handle_errors, state
from schulhof.web.app import create_app


@handle_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the REST API (docs at /api/v1/docs)."""
    app = create_app(state(ctx).services())
    typer.echo(f"Schulhof API on http://{host}:{port}/api/v1/docs", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
