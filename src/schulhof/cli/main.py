"""Composition of the command line: every subcommand group is attached here, explicitly."""

from __future__ import annotations

from schulhof.cli import (
    audit,
    changes,
    clients,
    db,
    demo,
    export,
    groups,
    imports,
    jobs,
    keys,
    lifecycle,
    review,
    schools,
    serve,
    tokens,
    users,
)
from schulhof.cli.app import app

app.add_typer(schools.cli, name="schools")
app.add_typer(users.cli, name="users")
app.add_typer(groups.cli, name="groups")
app.add_typer(changes.cli, name="changes")
app.add_typer(db.cli, name="db")
app.add_typer(imports.cli, name="import")
app.add_typer(review.cli, name="review")
app.add_typer(lifecycle.cli, name="lifecycle")
app.add_typer(tokens.cli, name="tokens")
app.add_typer(export.cli, name="export")
app.add_typer(jobs.cli, name="jobs")
app.add_typer(clients.cli, name="clients")
app.add_typer(keys.cli, name="keys")
app.command("audit")(audit.audit)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)


def run() -> None:
    app()
