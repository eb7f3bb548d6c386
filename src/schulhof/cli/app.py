"""The root command, its global `--db` option, and one mapping from errors to exit codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from schulhof.cli.output import errors
from schulhof.domain.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SchulhofError,
    StaleWriteError,
    ValidationError,
)
from schulhof.services import nt_hashes
from schulhof.services.runtime import Services, open_services
from schulhof.services.settings import load_settings

P = ParamSpec("P")
R = TypeVar("R")

EXIT_CODES: list[tuple[type[SchulhofError], int]] = [
    (ValidationError, 2),
    (NotFoundError, 3),
    (ConflictError, 4),
    (StaleWriteError, 4),
    (PermissionDeniedError, 5),
    (ConfigurationError, 6),
    (SchulhofError, 1),
]


class State:
    """Options of the root command, handed to subcommands via the typer context."""

    def __init__(self, db: str | None, config: Path | None) -> None:
        self.db = db
        self.config = config
        self._services: Services | None = None

    def services(self) -> Services:
        if self._services is None:
            self._services = open_services(self.db, load_settings(self.config))
            # NT hashes live only while `[ldap] nt_hash` is on (services/nt_hashes.py).
            nt_hashes.drop_if_disabled(self._services)
        return self._services


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, State):
        obj = State(None, None)
        root.obj = obj
    return obj


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn Schulhof errors into one line on stderr and a documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SchulhofError as exc:
            code = next(c for t, c in EXIT_CODES if isinstance(exc, t))
            field = getattr(exc, "field", None)
            errors.print(
                f"[red]error:[/red] {exc}" + (f" (field: {field})" if field else ""),
                highlight=False,
                markup=True,
            )
            raise typer.Exit(code) from exc

    return wrapper


app = typer.Typer(
    name="schulhof",
    help="Schulhof — identity management for school authorities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", envvar="SCHULHOF_DB", help="Database URL (sqlite:///file or postgresql://…)."
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", envvar="SCHULHOF_CONFIG", help="Settings file (TOML)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


@app.callback()
def root(ctx: typer.Context, db: DbOption = None, config: ConfigOption = None) -> None:
    ctx.obj = State(db, config)
