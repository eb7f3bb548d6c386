"""`schulhof users list|show|add|disable|enable|delete`."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer

from schulhof.access.actors import OPERATOR, operator
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import console, print_json, print_table
from schulhof.domain.errors import ValidationError
from schulhof.domain.model import Context, LifecycleState, PersonDraft, Role
from schulhof.services import passwords as password_service
from schulhof.services import persons as person_service
from schulhof.services.views import PersonView
from schulhof.store.persons import PersonFilter

cli = typer.Typer(help="People: students, teachers, staff, guardians.", no_args_is_help=True)


def _role(raw: str | None) -> Role | None:
    if raw is None:
        return None
    try:
        return Role(raw)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationError(f"unknown role {raw!r} (use {allowed})", field="role") from exc


def _state(raw: str | None) -> LifecycleState | None:
    if raw is None:
        return None
    try:
        return LifecycleState(raw)
    except ValueError as exc:
        raise ValidationError(f"unknown state {raw!r}", field="state") from exc


def _date(raw: str | None, field: str) -> dt.date | None:
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"not a date: {raw!r} (use YYYY-MM-DD or DD.MM.YYYY)", field=field)


@cli.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    school: Annotated[str | None, typer.Option(help="Only people of this school number.")] = None,
    role: Annotated[str | None, typer.Option(help="Only this role.")] = None,
    user_state: Annotated[str | None, typer.Option("--state", help="active or disabled.")] = None,
    search: Annotated[str | None, typer.Option(help="Part of a name or username.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    json: JsonOption = False,
) -> None:
    """List people, ordered by username."""
    f = PersonFilter(school=school, role=_role(role), state=_state(user_state), search=search)
    views = person_service.list_persons(state(ctx).services(), OPERATOR, f, limit=limit)
    if json:
        print_json([v.as_dict() for v in views])
        return
    print_table(
        f"{len(views)} people",
        ["Username", "Name", "Born", "State", "Schools", "Roles", "Classes"],
        [
            (
                v.person.username,
                f"{v.person.given_name} {v.person.family_name}",
                v.person.birth_date,
                v.person.state.value,
                " ".join(v.person.school_numbers),
                " ".join(r.value for r in v.person.roles),
                " ".join(v.classes),
            )
            for v in views
        ],
    )


def _show(view: PersonView) -> None:
    p = view.person
    console.print(f"[bold]{p.given_name} {p.family_name}[/bold] ({p.username})", highlight=False)
    data = view.as_dict()
    for key in ("id", "birth_date", "email", "state", "disabled_at", "delete_after"):
        if data[key] is not None:
            console.print(f"  {key:13} {data[key]}", highlight=False)
    for c in p.contexts:
        console.print(
            f"  context       {c.role.value} at {c.school_number}"
            + (" (primary)" if c.primary else ""),
            highlight=False,
        )
    if view.classes:
        console.print(f"  classes       {', '.join(view.classes)}", highlight=False)
    for s in p.sources:
        console.print(f"  source        {s.system}: {s.source_id}", highlight=False)


@cli.command("show")
@handle_errors
def show(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Username or id.")],
    json: JsonOption = False,
) -> None:
    """Show one person."""
    view = person_service.get_person(state(ctx).services(), OPERATOR, username)
    if json:
        print_json(view.as_dict())
    else:
        _show(view)


@cli.command("add")
@handle_errors
def add(
    ctx: typer.Context,
    given_name: Annotated[str, typer.Option("--given-name", help="Given name(s).")],
    family_name: Annotated[str, typer.Option("--family-name", help="Family name.")],
    school: Annotated[list[str], typer.Option("--school", help="School number (repeatable).")],
    role: Annotated[str, typer.Option(help="Role at these schools.")] = "student",
    birth_date: Annotated[str | None, typer.Option("--birth-date")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    username: Annotated[str | None, typer.Option(help="Default: made from the template.")] = None,
    json: JsonOption = False,
) -> None:
    """Add a person with a role at one or more schools (the first is the primary)."""
    the_role = _role(role)
    assert the_role is not None
    contexts = tuple(Context(nr, the_role, i == 0) for i, nr in enumerate(school))
    draft = PersonDraft(
        given_name=given_name,
        family_name=family_name,
        birth_date=_date(birth_date, "birth_date"),
        email=email,
        username=username,
        contexts=contexts,
    )
    svc = state(ctx).services()
    person = person_service.add_person(svc, operator(), draft)
    view = person_service.get_person(svc, OPERATOR, person.id)
    if json:
        print_json(view.as_dict())
    else:
        typer.echo(f"added {person.username}")


def _lifecycle_command(name: str, doc: str) -> None:
    fn = {
        "disable": person_service.disable_person,
        "enable": person_service.enable_person,
        "delete": person_service.delete_person,
    }[name]

    @handle_errors
    def command(
        ctx: typer.Context,
        username: Annotated[str, typer.Argument(help="Username or id.")],
        json: JsonOption = False,
    ) -> None:
        svc = state(ctx).services()
        person = fn(svc, operator(), username)
        if json:
            if name == "delete":
                print_json({"id": str(person.id), "username": person.username, "state": "deleted"})
            else:
                print_json(person_service.get_person(svc, OPERATOR, person.id).as_dict())
        else:
            typer.echo(f"{name}d {person.username}")

    command.__doc__ = doc
    cli.command(name)(command)


_lifecycle_command("disable", "Disable a person now (deleted after the grace period).")
_lifecycle_command("enable", "Enable a disabled person again.")
_lifecycle_command("delete", "Delete a person now (the username stays blocked for a year).")


@cli.command("set-password")
@handle_errors
def set_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Username or id.")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input (required)."),
    ] = False,
    temporary: Annotated[
        bool, typer.Option("--temporary", help="Must be changed at the next sign-in.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Set a password. It is read from standard input so it stays out of shell history."""
    if not password_stdin:
        raise ValidationError(
            "pass the password on standard input with --password-stdin", field="password"
        )
    password = sys.stdin.readline().rstrip("\r\n")
    person = password_service.set_password(
        state(ctx).services(), OPERATOR, username, password, temporary=temporary
    )
    if json:
        print_json({"id": person.id, "username": person.username, "must_change": temporary})
    else:
        typer.echo(f"password set for {person.username}")


@cli.command("reset-password")
@handle_errors
def reset_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Username or id.")],
    json: JsonOption = False,
) -> None:
    """Make a new initial password (shown once; must be changed at the next sign-in)."""
    person, password = password_service.reset_password(state(ctx).services(), OPERATOR, username)
    if json:
        print_json({"id": person.id, "username": person.username, "password": password})
    else:
        typer.echo(password)
