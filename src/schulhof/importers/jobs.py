"""Imports as background jobs: plan uploaded files now, apply the approved plan later.

`plan_upload` spools the files, reads them and plans against the directory (a dry run);
the job records the plan's summary. `run_import_job` is the worker's side: a dry run
first (a plan with nothing to write ends there), then the real run, which plans again
*inside* the write transaction (as every import does) and applies only if that plan has
the same counts as the approved one — otherwise nothing is written and the job fails,
since nobody approved the difference.

Both steps check the schools the files and the plan touch against the actor's rights,
at plan time (so a school admin never sees a plan of another school's people) and again
on the exact batch that is applied.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from schulhof.access.actors import Actor
from schulhof.access.rules import may_manage_schools
from schulhof.domain.errors import (
    ConfigurationError,
    ConflictError,
    PermissionDeniedError,
    ValidationError,
)
from schulhof.domain.snapshot import Snapshot
from schulhof.importers.pipeline import import_feed, read_feed
from schulhof.importers.plan import plan_import
from schulhof.importers.records import Feed
from schulhof.importers.report import ImportPlan, ImportReport
from schulhof.importers.sis_profile import load_profile
from schulhof.services import jobs, spool
from schulhof.services.batch import Batch
from schulhof.services.imports import run_import, schools_touched
from schulhof.services.runtime import Services

KIND = "import"
SOURCES = ("oneroster", "sis")
# Compared between the approved plan and the plan made at apply time.
COMPARED = ("created", "updated", "moved", "disabled", "enabled")
MAX_STORED_ERRORS = 1000  # of a broken file's row errors, kept with the job

PlanCheck = Callable[[ImportPlan, set[str]], None]


class PlanChangedError(ConflictError):
    """The directory changed between approval and apply: the plan is not the approved one."""


def counts(summary: dict[str, Any]) -> dict[str, int]:
    return {k: int(summary.get(k, 0)) for k in COMPARED}


def _plan_counts(plan: ImportPlan) -> dict[str, int]:
    return {
        "created": len(plan.created),
        "updated": len(plan.updated),
        "moved": len(plan.moved),
        "disabled": len(plan.disabled),
        "enabled": len(plan.enabled),
    }


def feed_schools(feed: Feed) -> set[str]:
    """The schools a feed speaks about: its scope, its school records, its people's roles."""
    found = set(feed.scope) | set(feed.coverage) | {s.number for s in feed.schools}
    found.update(g.school_number for g in feed.groups)
    for p in feed.persons:
        found.update(nr for nr, _ in p.roles)
    return found


def _require_manage(actor: Actor, schools: set[str]) -> None:
    if not may_manage_schools(actor, schools or {"*"}):
        raise PermissionDeniedError("these files concern schools you do not manage")


@dataclass(frozen=True, slots=True)
class _Planned:
    report: ImportReport
    touched: set[str]  # the schools the batch changes something at
    empty: bool  # nothing to write


def _run(
    svc: Services,
    actor: Actor,
    feed: Feed,
    *,
    dry_run: bool,
    approve: bool = False,
    check: PlanCheck | None = None,
) -> _Planned:
    """`import_feed` for a feed without errors, with the batch's schools checked (and
    `check` called) inside the planning step, that is inside the write transaction."""
    touched: set[str] = set()
    empty: list[bool] = []

    def planner(snap: Snapshot, now: dt.datetime) -> tuple[ImportPlan, Batch]:
        plan, batch = plan_import(feed, snap, now, svc.settings, allow_removals=True)
        touched.update(schools_touched(batch, snap))
        empty.append(batch.is_empty())
        _require_manage(actor, touched | feed_schools(feed))
        if check is not None:
            check(plan, touched)
        return plan, batch

    started = time.perf_counter()
    outcome = run_import(svc, actor, planner, dry_run=dry_run, approve=approve)
    report = ImportReport(
        outcome.plan,
        [],
        applied=outcome.applied,
        held=outcome.held,
        held_reasons=[f.message() for f in outcome.findings],
        dry_run=dry_run,
        last_seq=outcome.last_seq,
        seconds={"total": time.perf_counter() - started},
    )
    return _Planned(report, touched, all(empty))


def _stored_summary(report: ImportReport) -> dict[str, Any]:
    summary = report.summary()
    errors = summary["errors"]
    summary["errors_total"] = len(errors)
    summary["errors"] = errors[:MAX_STORED_ERRORS]
    return summary


def _profile(source: str, profile: str | None) -> str | None:
    """A built-in profile name only: an HTTP caller never names a file on the server."""
    if profile is None or profile == "":
        return None
    if source != "sis":
        raise ValidationError("a profile is only for school-office (sis) files", field="profile")
    if not profile.replace("-", "").replace("_", "").isalnum() or not profile.isascii():
        raise ValidationError(f"no built-in import profile {profile!r}", field="profile")
    try:
        load_profile(profile)
    except ConfigurationError as exc:
        raise ValidationError(str(exc), field="profile") from exc
    return profile


def plan_upload(
    svc: Services,
    actor: Actor,
    *,
    source: str,
    files: Sequence[tuple[str, BinaryIO]],
    profile: str | None = None,
    max_bytes: int | None = None,
) -> jobs.Job:
    """Spool the files, plan them (nothing is written to the directory), record the job.

    Status `invalid` (with the row errors) if any row is invalid, `held` if the guard
    would hold it, else `planned`. PermissionDeniedError if the files or the plan concern
    a school the actor does not manage; then nothing is kept."""
    jobs.require_import_rights(actor)
    if source not in SOURCES:
        raise ValidationError(f"source must be one of {', '.join(SOURCES)}", field="source")
    chosen = _profile(source, profile)
    job_id = jobs.new_job_id()
    names = spool.save_upload(job_id, files, max_bytes=max_bytes)
    try:
        params: dict[str, Any] = {"source": source, "profile": chosen, "files": names}
        feed = read_feed(svc, source, spool.input_path(job_id, names), profile=chosen)
        schools = feed_schools(feed)
        if schools or not feed.errors:
            _require_manage(actor, schools)
        if feed.errors:
            report = import_feed(svc, actor, feed, dry_run=True)
            status = jobs.JobStatus.INVALID
        else:
            planned = _run(svc, actor, feed, dry_run=True)
            report = planned.report
            schools |= planned.touched
            status = jobs.JobStatus.HELD if report.held_reasons else jobs.JobStatus.PLANNED
        params["plan"] = _stored_summary(report)
        return jobs.record_plan(
            svc, actor, job_id, kind=KIND, status=status, schools=sorted(schools), params=params
        )
    except BaseException:
        spool.remove(job_id)
        raise


def run_import_job(svc: Services, job: jobs.Job) -> jobs.JobOutcome:
    """Apply an approved import job in the approver's name (the worker's runner)."""
    actor = jobs.approver(job)
    approved = counts(job.plan)
    source = str(job.params["source"])
    feed = read_feed(svc, source, jobs.input_path(job), profile=job.params.get("profile"))
    if feed.errors:
        return jobs.JobOutcome(False, error=f"{len(feed.errors)} invalid rows: nothing was written")

    def same_as_approved(plan: ImportPlan, _: set[str]) -> None:
        now = _plan_counts(plan)
        if now != approved:
            diff = ", ".join(
                f"{k} {approved[k]} → {now[k]}" for k in COMPARED if now[k] != approved[k]
            )
            raise PlanChangedError(
                f"the directory changed since the plan was approved ({diff}): "
                "nothing was written; upload the files again and approve the new plan"
            )

    try:
        # A dry run first: a plan with nothing to write ends here, without a write
        # transaction (and without `run_import`'s rule that an import touching no
        # school is the authority's, which would refuse a school admin's no-op).
        first = _run(svc, actor, feed, dry_run=True, check=same_as_approved)
        if first.empty:
            return jobs.JobOutcome(
                True, result=_stored_summary(dataclasses.replace(first.report, dry_run=False))
            )
        report = _run(
            svc,
            actor,
            feed,
            dry_run=False,
            approve=bool(job.params.get("approve_guard")),
            check=same_as_approved,
        ).report
    except PlanChangedError as exc:
        return jobs.JobOutcome(False, error=str(exc))
    if report.held:
        return jobs.JobOutcome(
            False,
            result=_stored_summary(report),
            error="held by the guard, nothing was written: "
            + "; ".join(report.held_reasons)
            + " (approve with approve_guard to apply it anyway)",
        )
    return jobs.JobOutcome(True, result=_stored_summary(report))


RUNNERS: dict[str, jobs.JobRunner] = {KIND: run_import_job}


def run_next_job(svc: Services) -> bool:
    """Claim and run one queued job with the runners of this package; False if none."""
    return jobs.run_next_job(svc, RUNNERS)
