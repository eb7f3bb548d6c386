"""`schulhof import oneroster|sis`: the import pipeline for operators and cron."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from schulhof.access.actors import operator
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import console, errors, print_json
from schulhof.importers.pipeline import import_path
from schulhof.importers.report import ImportReport

cli = typer.Typer(help="Import from OneRoster or school-office exports.", no_args_is_help=True)

DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the plan; write nothing.")]
Approve = Annotated[bool, typer.Option("--approve", help="Apply even if the guard holds it.")]
SkipInvalid = Annotated[
    bool,
    typer.Option(
        "--skip-invalid", help="Apply the valid rows; list the invalid ones (nobody is removed)."
    ),
]
ReportFile = Annotated[
    Path | None,
    typer.Option("--report", help="Write the new accounts (school, class, username, name) as CSV."),
]
PathArg = Annotated[Path, typer.Argument(help="A folder, a zip, or one file.", exists=True)]

_STAGES = {"read": "Reading files", "plan": "Planning", "apply": "Writing"}
_LIMIT = 20  # lines per section in the readable plan


def _run(
    ctx: typer.Context,
    source: str,
    path: Path,
    profile: str | Path | None,
    dry_run: bool,
    approve: bool,
    skip_invalid: bool,
    json: bool,
    report_file: Path | None,
) -> None:
    svc = state(ctx).services()

    def run(progress: Callable[[str], None] | None = None) -> ImportReport:
        return import_path(
            svc, operator(), source, path, profile=profile, dry_run=dry_run, approve=approve,
            skip_invalid=skip_invalid, progress=progress,
        )  # fmt: skip

    if not json and sys.stderr.isatty():
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
        ) as bar:
            task = bar.add_task("Starting")
            report = run(lambda stage: bar.update(task, description=_STAGES.get(stage, stage)))
    else:
        report = run()
    if report_file is not None and report.applied:
        write_new_accounts(report, report_file)
    if json:
        print_json(report.summary())
    else:
        show_report(report)
    if not report.ok:
        raise typer.Exit(1)


def write_new_accounts(report: ImportReport, path: Path) -> None:
    rows = sorted(report.plan.created, key=lambda a: (a.school, a.classes, a.username))
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(["Schulnummer", "Klasse", "Benutzername", "Vorname", "Nachname", "Rolle"])
        for a in rows:
            out.writerow(
                [a.school, ",".join(a.classes), a.username, a.given_name, a.family_name, a.role]
            )


def _section(title: str, lines: list[str]) -> None:
    if not lines:
        return
    console.print(f"[bold]{title}[/bold] ({len(lines)})", highlight=False)
    for line in lines[:_LIMIT]:
        console.print(f"  {line}", highlight=False, markup=False)
    if len(lines) > _LIMIT:
        console.print(
            f"  … and {len(lines) - _LIMIT} more (use --json for all counts)",
            highlight=False,
            markup=False,
        )


def show_report(report: ImportReport) -> None:
    p = report.plan
    for e in report.errors[:200]:
        errors.print(f"{e.file}:{e.line}: {e.field}: {e.message}", markup=False, highlight=False)
    if len(report.errors) > 200:
        errors.print(f"… {len(report.errors) - 200} more errors", markup=False)
    if report.errors and not report.applied and not report.dry_run:
        errors.print(
            f"{len(report.errors)} invalid rows: nothing was written "
            "(fix the files, or use --skip-invalid)",
            markup=False,
        )
        return
    _section(
        "New",
        [
            f"{a.username}  {a.given_name} {a.family_name}  {a.role} {a.school} "
            f"{' '.join(a.classes)}"
            for a in p.created
        ],
    )
    _section("Changed", [f"{c.username}  {c.detail}" for c in p.updated])
    _section("School changes", [f"{c.username}  {c.detail}" for c in p.moved])
    _section("Disabled (left)", [f"{c.username}  {c.detail}" for c in p.disabled])
    _section("Back again", [f"{c.username}  {c.detail}" for c in p.enabled])
    _section("Groups created", p.groups_created)
    _section("Groups renamed", p.groups_renamed)
    _section("Groups deleted", p.groups_deleted)
    _section(
        "Held for review (schulhof review list)",
        [f"{h.file}:{h.line}  {h.name}: {h.reason} ({', '.join(h.candidates)})" for h in p.review],
    )
    _section("Notes", p.notes)
    s = report.summary()
    counts = ", ".join(
        f"{s[k]} {k}"
        for k in ("created", "updated", "moved", "disabled", "enabled", "unchanged", "review")
    )
    console.print(
        f"{counts}; memberships +{p.memberships_added} -{p.memberships_removed}", highlight=False
    )
    if report.held:
        errors.print("[bold red]Held:[/bold red] nothing was written.", highlight=False)
        for reason in report.held_reasons:
            errors.print(f"  {reason}", markup=False, highlight=False)
        errors.print(
            "  Check the export; if this is right (e.g. the school-year rollover), "
            "run again with --approve.",
            markup=False,
            highlight=False,
        )
    elif report.dry_run:
        console.print("Dry run: nothing was written.")
    elif report.applied:
        console.print(f"Applied (change log at {report.last_seq}).", highlight=False)
    else:
        console.print("Nothing to do.")


@cli.command("oneroster")
@handle_errors
def oneroster(
    ctx: typer.Context,
    path: PathArg,
    dry_run: DryRun = False,
    approve: Approve = False,
    skip_invalid: SkipInvalid = False,
    json: JsonOption = False,
    report: ReportFile = None,
) -> None:
    """Import a OneRoster 1.1/1.2 CSV package (folder or zip; bulk or delta)."""
    _run(ctx, "oneroster", path, None, dry_run, approve, skip_invalid, json, report)


@cli.command("sis")
@handle_errors
def sis(
    ctx: typer.Context,
    path: PathArg,
    profile: Annotated[str | None, typer.Option(help="Built-in profile name.")] = None,
    config: Annotated[Path | None, typer.Option(help="A TOML mapping for another export.")] = None,
    dry_run: DryRun = False,
    approve: Approve = False,
    skip_invalid: SkipInvalid = False,
    json: JsonOption = False,
    report: ReportFile = None,
) -> None:
    """Import school-office exports (schueler_<Nr>.csv, lehrer_<Nr>.csv, or a TOML mapping)."""
    chosen: str | Path | None = config if config else profile
    _run(ctx, "sis", path, chosen, dry_run, approve, skip_invalid, json, report)
