"""`schulhof demo`: generate the demo city and import it, to try Schulhof with no data of
one's own.

The city goes through the same pipeline as a real OneRoster export (written to a
temporary folder, read, planned, applied), so what the demo shows is what an import does.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.table import Table
from sqlalchemy.engine import make_url

from schulhof.access.actors import OPERATOR, ActorKind, system
from schulhof.cli import demo_ldap
from schulhof.cli.app import handle_errors, state
from schulhof.cli.output import console, errors
from schulhof.cli.serve import run_together
from schulhof.demo.city import KINDS, City, Person
from schulhof.demo.generator import generate_city, write_oneroster
from schulhof.demo.names import NameOrigin
from schulhof.domain.model import Role
from schulhof.importers.oneroster import read_oneroster
from schulhof.importers.pipeline import import_feed
from schulhof.importers.records import Feed
from schulhof.importers.report import ImportReport
from schulhof.protocols.ldap.server import LdapConfig
from schulhof.services import persons as person_service
from schulhof.services import schools as school_service
from schulhof.services import tokens as token_service
from schulhof.services.runtime import Services
from schulhof.store.persons import PersonFilter

_STAGES = {"plan": "Planning the import", "apply": "Writing to the directory"}
# Counts of the import summary that mean "something changed".
_CHANGES = (
    "created",
    "updated",
    "moved",
    "disabled",
    "enabled",
    "schools_created",
    "groups_created",
)


@handle_errors
def demo(
    ctx: typer.Context,
    schools: Annotated[int, typer.Option(min=1, help="Number of schools.")] = 99,
    students: Annotated[int, typer.Option(min=0, help="Number of students.")] = 47_000,
    teachers: Annotated[int, typer.Option(min=1, help="Number of teachers.")] = 5_000,
    seed: Annotated[int, typer.Option(help="Another seed gives another city.")] = 1,
    serve: Annotated[bool, typer.Option(help="Start the API afterwards.")] = True,
    port: Annotated[int, typer.Option(help="Port of the API.")] = 8000,
    ldap: Annotated[bool, typer.Option(help="Serve LDAP beside the API.")] = True,
    ldap_port: Annotated[int, typer.Option(help="LDAP port (plain and StartTLS).")] = 1389,
    ldaps_port: Annotated[int, typer.Option(help="LDAPS port.")] = 1636,
    tls_dir: Annotated[
        Path | None, typer.Option(help="Folder for the self-signed LDAP certificate.")
    ] = None,
) -> None:
    """Fill the directory with a generated demo city (never use it for real data), then
    serve the API with ready-made tokens to try."""
    svc = state(ctx).services()
    started = time.perf_counter()
    city = generate_city(schools=schools, students=students, teachers=teachers, seed=seed)
    present = _present_schools(svc, city)
    if present:
        console.print(
            f"The directory already holds {present} of the demo city's {len(city.schools)} "
            "schools: importing it again (there should be nothing to do).",
            highlight=False,
        )
    with tempfile.TemporaryDirectory(prefix="schulhof-demo-") as tmp:
        write_oneroster(Path(tmp), city)
        generated = time.perf_counter() - started
        feed = read_oneroster(Path(tmp))
        report = _import(svc, feed)
    imported = time.perf_counter() - started - generated
    if not report.applied and (report.errors or report.held):
        _fail(report)
    _show_city(city)
    _show_import(report, generated, imported)
    _show_next(ctx, svc, city, report)
    if serve:
        listener = None
        if ldap:
            listener = demo_ldap.prepare(
                svc, city.schools[0].number, port=ldap_port, ldaps_port=ldaps_port,
                tls_dir=tls_dir or demo_ldap.default_tls_dir(),
            )  # fmt: skip
        _serve(svc, city.schools[0].number, port, listener)


def _serve(svc: Services, school: str, port: int, listener: demo_ldap.DemoLdap | None) -> None:
    city_token = token_service.create_token(
        svc, OPERATOR, role=ActorKind.CITY_ADMIN, name="demo: city admin", expires_days=7
    ).token
    admin_token = token_service.create_token(
        svc, OPERATOR, role=ActorKind.SCHOOL_ADMIN, name=f"demo: admin of {school}",
        schools=(school,), expires_days=7,
    ).token  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    console.print("\n[bold]The API[/bold]", highlight=False)
    console.print(f"  {base}/api/v1/docs  (browsable)", highlight=False, markup=False)
    console.print(f"  city admin token:        {city_token}", highlight=False, markup=False)
    console.print(f"  admin of {school} token: {admin_token}", highlight=False, markup=False)
    console.print(
        f'  curl -H "Authorization: Bearer {admin_token}" '
        f'"{base}/api/v1/users?school={school}&role=student&limit=5"',
        highlight=False, markup=False, soft_wrap=True,
    )  # fmt: skip
    # The web app (and pysaml2 with it) is imported only when the demo serves.
    from schulhof.cli import demo_signin
    from schulhof.web import demo_rp
    from schulhof.web.app import create_app

    signin = demo_signin.prepare(svc, school, base)
    console.print("\n[bold]Sign-in (OpenID Connect, SAML)[/bold]", highlight=False)
    for line in signin.lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    if listener is not None:
        console.print("\n[bold]The LDAP directory[/bold]", highlight=False)
        for line in listener.lines:
            console.print(line, highlight=False, markup=False, soft_wrap=True)
    console.print("  (tokens expire in 7 days; Ctrl-C stops the server)", highlight=False)
    app = create_app(svc, public_url=base)
    app.state.demo_client = signin.client
    app.include_router(demo_rp.router)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    if listener is None:
        run_together(config, svc, LdapConfig(), "127.0.0.1", None, None)
    else:
        run_together(
            config, svc, listener.config, listener.hosts, listener.port, listener.ldaps_port
        )


def _present_schools(svc: Services, city: City) -> int:
    numbers = {s.number for s in school_service.list_schools(svc)}
    return sum(1 for s in city.schools if s.number in numbers)


def _import(svc: Services, feed: Feed) -> ImportReport:
    actor = system("demo")
    if not sys.stderr.isatty():
        return import_feed(svc, actor, feed, dry_run=False, approve=True)
    with errors.status("Importing the demo city") as status:
        return import_feed(
            svc,
            actor,
            feed,
            dry_run=False,
            approve=True,
            progress=lambda stage: status.update(_STAGES.get(stage, stage)),
        )


def _fail(report: ImportReport) -> None:
    for e in report.errors[:20]:
        errors.print(f"{e.file}:{e.line}: {e.field}: {e.message}", markup=False, highlight=False)
    for reason in report.held_reasons:
        errors.print(f"held: {reason}", markup=False, highlight=False)
    errors.print("The demo city could not be imported; nothing was written.", markup=False)
    raise typer.Exit(1)


def _show_city(city: City) -> None:
    students: dict[str, int] = {}
    for p in city.students:
        students[p.schools[0].number] = students.get(p.schools[0].number, 0) + 1
    table = Table(title=f"{city.name} (seed {city.seed})", title_justify="left")
    for column in ("Schulform", "Schools", "Students", "Grades"):
        table.add_column(column, justify="left" if column == "Schulform" else "right")
    by_type = city.schools_by_type()
    for kind in KINDS:
        if kind.type not in by_type:
            continue
        count = sum(students.get(s.number, 0) for s in city.schools if s.kind is kind)
        table.add_row(
            f"{kind.label} ({kind.type.value})",
            f"{by_type[kind.type]:,}",
            f"{count:,}",
            f"{kind.first_grade}–{kind.last_grade}",
        )
    console.print(table)
    s = city.summary()
    two = sum(1 for t in city.teachers if len(t.schools) > 1)
    console.print(
        f"People: {s['students']:,} students, {s['teachers']:,} teachers ({two} at two schools)\n"
        f"Groups: {s['classes']:,} classes, {s['courses']:,} courses, "
        f"{s['workgroups']:,} workgroups (AG)",
        highlight=False,
    )


def _show_import(report: ImportReport, generated: float, imported: float) -> None:
    s = report.summary()
    changed = {k: s[k] for k in _CHANGES if s.get(k)}
    if changed:
        made = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in changed.items())
        console.print(f"Import: {made}; memberships +{s['memberships_added']:,}", highlight=False)
    else:
        console.print(
            f"Import: nothing to do ({s['unchanged']:,} people unchanged)", highlight=False
        )
    console.print(
        f"Time: generated in {generated:.1f} s, imported in {imported:.1f} s", highlight=False
    )


def _show_next(ctx: typer.Context, svc: Services, city: City, report: ImportReport) -> None:
    db = state(ctx).db
    prefix = ["schulhof"]
    if db and make_url(db).password is None:
        prefix += ["--db", db]

    def command(*args: str) -> str:
        return shlex.join([*prefix, *args])

    first = city.schools[0].number
    grouped = next((s.number for s in city.schools if s.kind.last_grade > 4), first)
    lines = [command("users", "list", "--school", first, "--role", "teacher")]
    username = _example_username(svc, city, report)
    if username:
        lines.append(command("users", "show", username))
    lines += [
        command("changes", "list", "--after", "0", "--school", first, "--limit", "5"),
        command("groups", "list", "--school", grouped),
        command("users", "list", "--search", "ß", "--limit", "10"),
    ]
    console.print("\n[bold]What to try next[/bold]")
    for line in lines:
        console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)


def _example_username(svc: Services, city: City, report: ImportReport) -> str | None:
    """The username of a student with a name that is hard to make a login of."""
    person = _hard_name(city)
    if person is None:
        return None
    school = person.schools[0].number
    for account in report.plan.created:
        if (account.given_name, account.family_name, account.school) == (
            person.given_name,
            person.family_name,
            school,
        ):
            return account.username
    # Imported before: find the account by its OneRoster link.
    found = person_service.list_persons(
        svc, OPERATOR, PersonFilter(school=school, role=Role.STUDENT)
    )
    for view in found:
        if any(link.source_id == person.sourced_id for link in view.person.sources):
            return view.person.username
    return None


def _hard_name(city: City) -> Person | None:
    """A Vietnamese name if there is one (Nguyễn, Đức), else one with an umlaut or ß."""
    vietnamese = next((p for p in city.students if p.origin is NameOrigin.VIETNAMESE), None)
    if vietnamese is not None:
        return vietnamese
    umlauts = set("äöüÄÖÜß")
    return next(
        (p for p in city.people() if umlauts & set(p.given_name + p.family_name)),
        city.students[0] if city.students else None,
    )
