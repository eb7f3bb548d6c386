"""`schulhof audit`: the audit trail (changes and recorded reads), newest first."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from schulhof.access.actors import OPERATOR
from schulhof.cli.app import JsonOption, handle_errors, state
from schulhof.cli.output import print_json, print_table
from schulhof.domain.errors import ValidationError
from schulhof.services import audit as audit_service


def _time(value: str | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"not an ISO date or time: {value!r}", field=field) from exc


@handle_errors
def audit(
    ctx: typer.Context,
    school: Annotated[str | None, typer.Option(help="Entries concerning this school.")] = None,
    actor: Annotated[
        str | None, typer.Option(help="Who acted, as recorded (e.g. school_admin:Anna).")
    ] = None,
    action: Annotated[str | None, typer.Option(help="person.update, person.read, …")] = None,
    target: Annotated[str | None, typer.Option(help="The id of what was changed or read.")] = None,
    since: Annotated[
        str | None, typer.Option(help="From this time on (ISO, UTC if no zone).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Before this time (ISO).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1)] = 100,
    json: JsonOption = False,
) -> None:
    """Who changed or read what, when: newest first."""
    page = audit_service.list_audit(
        state(ctx).services(), OPERATOR, school=school, actor_label=actor, action=action,
        target=target, since=_time(since, "since"), until=_time(until, "until"), limit=limit,
    )  # fmt: skip
    entries = [audit_service.entry_dict(e) for e in page.items]
    if json:
        print_json(entries)
        return
    print_table(
        f"{len(entries)} entries",
        ["At", "Actor", "Action", "Target", "Schools"],
        [
            (e["at"][:19].replace("T", " "), e["actor"], e["action"], e["target"],
             " ".join(e["schools"]))
            for e in entries
        ],
    )  # fmt: skip
