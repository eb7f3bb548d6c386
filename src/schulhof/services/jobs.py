"""Background jobs: imports uploaded over HTTP, planned at once, applied later by a worker.

A job's life: `planned` (or `held` by the guard, or `invalid`: rows with errors, never
applied) → approved: `queued` → claimed by a worker: `running` → `done` or `failed`.
`planned`, `held`, `invalid` and `queued` jobs can be `discarded`.

Uploaded files wait in the job's spool folder (services/spool.py), never in the
database. It is deleted when the job ends, is discarded or found invalid; `expire_jobs`
discards plans nobody approved within a week.

What a job does is handed in by the caller (`runners`, by job kind): this module owns
the states, access and files, not the import formats (importers sit above services).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from schulhof.access.actors import Actor, ActorKind
from schulhof.access.rules import may_import, may_manage_schools, sees_every_school
from schulhof.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SchulhofError,
    ValidationError,
)
from schulhof.services import audit, spool
from schulhof.services.runtime import Services
from schulhof.store import jobs as job_store
from schulhof.store.audit import AuditEntry
from schulhof.store.database import read_connection, write_connection
from schulhof.store.jobs import JobRow

log = logging.getLogger(__name__)

PLAN_MAX_AGE = dt.timedelta(days=7)


class JobStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"  # the guard holds the plan: approving needs `approve_guard`
    INVALID = "invalid"  # rows with errors: can only be discarded
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    DISCARDED = "discarded"


APPROVABLE = frozenset({JobStatus.PLANNED, JobStatus.HELD})
DISCARDABLE = frozenset({JobStatus.PLANNED, JobStatus.HELD, JobStatus.INVALID, JobStatus.QUEUED})
ACTIVE = frozenset({JobStatus.PLANNED, JobStatus.HELD, JobStatus.QUEUED, JobStatus.RUNNING})


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: str
    status: JobStatus
    created_at: dt.datetime
    created_by: str
    schools: tuple[str, ...]
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def plan(self) -> dict[str, Any]:
        """The summary of the plan as made when the files were uploaded."""
        plan: dict[str, Any] = self.params.get("plan", {})
        return plan

    def as_dict(self) -> dict[str, Any]:
        p = self.params
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status.value,
            "source": p.get("source"),
            "profile": p.get("profile"),
            "files": p.get("files", []),
            "schools": list(self.schools),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "approved_at": p.get("approved_at"),
            "approved_by": (p.get("approved_by") or {}).get("label"),
            "approve_guard": p.get("approve_guard"),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "summary": self.plan,
            "result": self.result,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What a runner reports: done (with its result) or failed (with a message)."""

    ok: bool
    result: dict[str, Any] | None = None
    error: str | None = None


JobRunner = Callable[[Services, Job], JobOutcome]


def _job(row: JobRow) -> Job:
    return Job(
        row.id, row.kind, JobStatus(row.status), row.created_at, row.created_by, row.schools,
        row.params, row.result, row.error, row.started_at, row.finished_at,
    )  # fmt: skip


# --- the acting person, kept with the job so that the worker applies in their name ---


def actor_dict(actor: Actor) -> dict[str, Any]:
    return {
        "kind": actor.kind.value,
        "name": actor.name,
        "schools": sorted(actor.schools),
        "person_id": actor.person_id,
        "token_id": actor.token_id,
        "label": actor.label,
    }


def approver(job: Job) -> Actor:
    """The actor who approved `job`: the worker applies it in their name and rights."""
    raw = job.params.get("approved_by")
    if not isinstance(raw, dict):
        raise ConflictError(f"job {job.id} was not approved")
    return Actor(
        ActorKind(raw["kind"]),
        str(raw["name"]),
        frozenset(raw.get("schools", ())),
        raw.get("person_id"),
        None,
        raw.get("token_id"),
    )


def input_path(job: Job) -> Path:
    """What the job's importer reads: the uploaded zip, or the folder of CSV files."""
    return spool.input_path(job.id, job.params.get("files", []))


# --- use cases ---


def require_import_rights(actor: Actor) -> None:
    if not may_import(actor):
        raise PermissionDeniedError("not allowed to import")


def new_job_id() -> str:
    return str(uuid.uuid4())


def record_plan(
    svc: Services,
    actor: Actor,
    job_id: str,
    *,
    kind: str,
    status: JobStatus,
    schools: Sequence[str],
    params: dict[str, Any],
) -> Job:
    """Store a job planned from uploaded files (`params["plan"]`: the plan's summary).

    The schools are those the files and the plan touch; the actor must manage all of them."""
    require_import_rights(actor)
    if status not in (JobStatus.PLANNED, JobStatus.HELD, JobStatus.INVALID):
        raise ValidationError(f"a new job cannot be {status}", field="status")
    # Invalid files may name no school at all; they are never applied, and only their
    # uploader (and the city) sees them.
    if (schools or status is not JobStatus.INVALID) and not may_manage_schools(
        actor, set(schools) or {"*"}
    ):
        raise PermissionDeniedError("these files concern schools you do not manage")
    now = svc.clock()
    row = JobRow(
        job_id, kind, status.value, now, actor.label, tuple(sorted(set(schools))),
        {**params, "created_by": actor_dict(actor)},
        finished_at=now if status is JobStatus.INVALID else None,
    )  # fmt: skip
    with write_connection(svc.engine) as conn:
        job_store.insert(conn, row)
        _audit(conn, actor, "import.plan", row, now, {"status": status.value})
    if status is JobStatus.INVALID:
        spool.remove(job_id)  # never applied: the files are not kept
    return _job(row)


def _audit(
    conn: sa.Connection,
    actor: Actor,
    action: str,
    job: Job | JobRow,
    now: dt.datetime,
    detail: dict[str, object] | None,
) -> None:
    """One audit entry per school of the job (so each school's admins see it)."""
    audit.record(
        conn,
        [
            AuditEntry(now, actor.label, action, "import", job.id, nr, detail)
            for nr in (job.schools or (None,))
        ],
    )


def _visible(actor: Actor, job: Job) -> bool:
    if sees_every_school(actor):
        return True
    if actor.kind is not ActorKind.SCHOOL_ADMIN:
        return False
    if job.created_by == actor.label:
        return True
    return bool(job.schools) and set(job.schools) <= actor.schools


def get_job(svc: Services, actor: Actor, job_id: str) -> Job:
    require_import_rights(actor)
    try:
        uuid.UUID(job_id)
    except ValueError:
        raise NotFoundError(f"no job {job_id}") from None
    with read_connection(svc.engine) as conn:
        row = job_store.get(conn, job_id)
    job = _job(row) if row is not None else None
    if job is None or not _visible(actor, job):
        raise NotFoundError(f"no job {job_id}")  # as for nobody: existence does not leak
    return job


@dataclass(frozen=True, slots=True)
class JobPage:
    items: list[Job]
    next_key: tuple[dt.datetime, str] | None = None


def list_jobs(
    svc: Services, actor: Actor, *, limit: int = 100, before: tuple[dt.datetime, str] | None = None
) -> JobPage:
    """The jobs `actor` may see, newest first; `next_key` continues after this page."""
    require_import_rights(actor)
    every = sees_every_school(actor)
    found: list[Job] = []
    chunk = max(limit + 1, 50)
    with read_connection(svc.engine) as conn:
        # The store pre-filters by creator or any shared school; visibility needs all
        # of a job's schools, so a few rows may be dropped here and more fetched.
        while len(found) <= limit:
            rows = job_store.list_page(
                conn, before=before, limit=chunk,
                created_by=None if every else actor.label,
                any_school=None if every else actor.schools,
            )  # fmt: skip
            for row in rows:
                job = _job(row)
                if _visible(actor, job):
                    found.append(job)
            if len(rows) < chunk:
                break
            before = (rows[-1].created_at, rows[-1].id)
    items = found[:limit]
    more = len(found) > limit
    return JobPage(items, (items[-1].created_at, items[-1].id) if more else None)


def _load_for_change(svc: Services, actor: Actor, job_id: str) -> Job:
    job = get_job(svc, actor, job_id)
    if job.schools:
        allowed = may_manage_schools(actor, job.schools)
    else:  # invalid files that named no school: their uploader (or the city) may drop them
        allowed = sees_every_school(actor) or job.created_by == actor.label
    if not allowed:
        raise PermissionDeniedError("this job concerns schools you do not manage")
    return job


def approve_job(svc: Services, actor: Actor, job_id: str, *, approve_guard: bool = False) -> Job:
    """Queue a planned (or held) job for a worker; it will apply in `actor`'s name.

    A held plan approved without `approve_guard` is held again when it runs (and fails)."""
    job = _load_for_change(svc, actor, job_id)
    if job.status is JobStatus.INVALID:
        raise ConflictError("the files have invalid rows: correct them and upload again")
    if job.status not in APPROVABLE:
        raise ConflictError(f"job {job.id} is {job.status}, not waiting for approval")
    now = svc.clock()
    params = {
        **job.params,
        "approved_by": actor_dict(actor),
        "approved_at": now.isoformat(),
        "approve_guard": approve_guard,
    }
    with write_connection(svc.engine) as conn:
        if not job_store.transition(conn, job.id, APPROVABLE, JobStatus.QUEUED, params=params):
            raise ConflictError(f"job {job.id} was changed meanwhile")
        _audit(conn, actor, "import.approve", job, now, {"approve_guard": approve_guard})
    return get_job(svc, actor, job_id)


def discard_job(svc: Services, actor: Actor, job_id: str) -> Job:
    """Drop a job that has not started; its files are deleted."""
    job = _load_for_change(svc, actor, job_id)
    if job.status not in DISCARDABLE:
        raise ConflictError(f"job {job.id} is {job.status}: it can no longer be discarded")
    now = svc.clock()
    with write_connection(svc.engine) as conn:
        if not job_store.transition(conn, job.id, DISCARDABLE, JobStatus.DISCARDED, now=now):
            raise ConflictError(f"job {job.id} was changed meanwhile")
        _audit(conn, actor, "import.discard", job, now, None)
    spool.remove(job.id)
    return get_job(svc, actor, job_id)


def enqueue(
    svc: Services,
    kind: str,
    params: dict[str, Any],
    *,
    by: str,
    due: dt.datetime | None = None,
) -> str:
    """Queue a job of the system's own (no approval: e.g. a back-channel logout), to run
    once `due` has come (default: at once); returns its id. Only the city sees it."""
    row = JobRow(new_job_id(), kind, JobStatus.QUEUED.value, due or svc.clock(), by, (), params)
    with write_connection(svc.engine) as conn:
        job_store.insert(conn, row)
    return row.id


def run_next_job(svc: Services, runners: Mapping[str, JobRunner]) -> bool:
    """Claim the oldest queued job and run it to its end; False if there was none.

    Safe to call from any number of threads and processes at once."""
    with write_connection(svc.engine) as conn:
        row = job_store.claim_next(conn, svc.clock())
    if row is None:
        return False
    job = _job(row)
    log.info("job %s (%s) started", job.id, job.kind)
    try:
        runner = runners.get(job.kind)
        if runner is None:
            outcome = JobOutcome(False, error=f"no worker for jobs of kind {job.kind!r}")
        else:
            outcome = runner(svc, job)
    except SchulhofError as exc:
        outcome = JobOutcome(False, error=str(exc))
    except Exception as exc:
        # A bug must not leave the job `running` for ever: record it, keep the worker alive.
        log.exception("job %s crashed", job.id)
        outcome = JobOutcome(False, error=f"internal error ({type(exc).__name__}); see the log")
    finally:
        spool.remove(job.id)
    status = JobStatus.DONE if outcome.ok else JobStatus.FAILED
    with write_connection(svc.engine) as conn:
        job_store.finish(
            conn, job.id, status.value, svc.clock(), result=outcome.result, error=outcome.error
        )
    log.info("job %s %s", job.id, status)
    return True


def expire_jobs(svc: Services, *, max_age: dt.timedelta = PLAN_MAX_AGE) -> int:
    """Discard plans nobody approved within `max_age` and remove spool folders left
    without a job (a process that died while planning); returns the number discarded."""
    now = svc.clock()
    cutoff = now - max_age
    waiting = [JobStatus.PLANNED.value, JobStatus.HELD.value, JobStatus.INVALID.value]
    discarded = 0
    with write_connection(svc.engine) as conn:
        for job_id in job_store.ids_in_status(conn, waiting, cutoff):
            if job_store.transition(conn, job_id, waiting, JobStatus.DISCARDED, now=now):
                discarded += 1
                spool.remove(job_id)
    with read_connection(svc.engine) as conn:
        for job_id in spool.folders_older_than(cutoff):
            row = job_store.get(conn, job_id)
            if row is None or JobStatus(row.status) not in ACTIVE:
                spool.remove(job_id)
    return discarded
