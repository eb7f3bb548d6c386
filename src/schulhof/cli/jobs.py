"""`schulhof jobs run`: a worker process for background jobs (imports approved over HTTP,
back-channel logouts to OIDC clients) — the same runners as the web process's worker."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from schulhof.cli.app import handle_errors, state
from schulhof.services import jobs
from schulhof.web.worker import run_next_job

cli = typer.Typer(help="Background jobs.", no_args_is_help=True)


@cli.command("run")
@handle_errors
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run at most one job, then exit.")] = False,
    interval: Annotated[
        float, typer.Option(help="Seconds between looks at an empty queue.", min=0.1)
    ] = 1.0,
) -> None:
    """Run queued jobs; any number of these (and web processes) may run side by side."""
    svc = state(ctx).services()
    if once:
        ran = run_next_job(svc)
        typer.echo("ran one job" if ran else "no job waiting", err=True)
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()  # the job that runs now is finished first

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    typer.echo("waiting for jobs (Ctrl-C stops)", err=True)
    jobs.expire_jobs(svc)
    while not stop.is_set():
        while not stop.is_set() and run_next_job(svc):
            pass
        stop.wait(interval)
