"""The `jobs` table: background work (imports over HTTP) that any number of workers share.

Claiming a job is safe across processes: on PostgreSQL the next queued row is selected
`FOR UPDATE SKIP LOCKED` (a second worker skips it instead of waiting) and marked
`running` in the same transaction; on SQLite, where writers are serialised anyway, a
conditional `UPDATE … WHERE status = 'queued'` whose row count tells who won.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from schulhof.store.tables import jobs
from schulhof.store.timestamps import aware

QUEUED = "queued"
RUNNING = "running"


@dataclass(frozen=True, slots=True)
class JobRow:
    id: str
    kind: str
    status: str
    created_at: dt.datetime
    created_by: str
    schools: tuple[str, ...]
    params: dict[str, Any]
    result: dict[str, Any] | None = None
    error: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


def _row(r: Any) -> JobRow:
    return JobRow(
        id=r.id,
        kind=r.kind,
        status=r.status,
        created_at=aware(r.created_at),
        created_by=r.created_by,
        schools=tuple(json.loads(r.schools)),
        params=json.loads(r.params),
        result=json.loads(r.result) if r.result is not None else None,
        error=r.error,
        started_at=aware(r.started_at),
        finished_at=aware(r.finished_at),
    )


def insert(conn: sa.Connection, job: JobRow) -> None:
    conn.execute(
        sa.insert(jobs).values(
            id=job.id, kind=job.kind, status=job.status, created_at=job.created_at,
            created_by=job.created_by, schools=json.dumps(sorted(job.schools)),
            params=json.dumps(job.params),
            result=json.dumps(job.result) if job.result is not None else None,
            error=job.error, started_at=job.started_at, finished_at=job.finished_at,
        )
    )  # fmt: skip


def get(conn: sa.Connection, job_id: str) -> JobRow | None:
    r = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    return _row(r) if r else None


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_page(
    conn: sa.Connection,
    *,
    before: tuple[dt.datetime, str] | None = None,
    limit: int = 100,
    created_by: str | None = None,
    any_school: Collection[str] | None = None,
) -> list[JobRow]:
    """Newest first, by (created_at, id) descending, after the keyset `before`.

    With `created_by` and/or `any_school`, only jobs made by that actor or naming one of
    those schools (a pre-filter: the caller decides what is visible)."""
    query = sa.select(jobs)
    if before is not None:
        at, job_id = before
        query = query.where(
            sa.or_(jobs.c.created_at < at, sa.and_(jobs.c.created_at == at, jobs.c.id < job_id))
        )
    if created_by is not None or any_school is not None:
        # `schools` is a JSON array of strings: '"<number>"' occurs in it exactly when
        # the number is an element.
        wanted: list[sa.ColumnElement[bool]] = [
            jobs.c.schools.like(f'%"{_like_escaped(nr)}"%', escape="\\")
            for nr in sorted(any_school or ())
        ]
        if created_by is not None:
            wanted.append(jobs.c.created_by == created_by)
        query = query.where(sa.or_(*wanted) if wanted else sa.false())
    query = query.order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(limit)
    return [_row(r) for r in conn.execute(query)]


def transition(
    conn: sa.Connection,
    job_id: str,
    from_status: Collection[str],
    to_status: str,
    *,
    params: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Move the job to `to_status` if it is in one of `from_status`; False if it was not
    (someone else moved it first). `now` sets `finished_at`."""
    values: dict[str, Any] = {"status": to_status}
    if params is not None:
        values["params"] = json.dumps(params)
    if now is not None:
        values["finished_at"] = now
    done = conn.execute(
        sa.update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status.in_(list(from_status)))
        .values(**values)
    )
    return done.rowcount == 1


def claim_next(conn: sa.Connection, now: dt.datetime) -> JobRow | None:
    """Mark the oldest queued job `running` and return it; None if there is none.

    Call inside a write transaction and commit at once: the claim is what other workers
    see."""
    # A job created in the future is not due yet: a retry waiting out its backoff
    # (e.g. a back-channel logout) is queued with `created_at` = when it may run.
    pick = (
        sa.select(jobs.c.id)
        .where(jobs.c.status == QUEUED, jobs.c.created_at <= now)
        .order_by(jobs.c.created_at, jobs.c.id)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    for _ in range(3):  # on SQLite a lost race cannot happen inside BEGIN IMMEDIATE; cheap anyway
        job_id = conn.execute(pick).scalar()
        if job_id is None:
            return None
        claimed = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == QUEUED)
            .values(status=RUNNING, started_at=now)
        )
        if claimed.rowcount == 1:
            return get(conn, job_id)
    return None


def finish(
    conn: sa.Connection,
    job_id: str,
    status: str,
    now: dt.datetime,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Record the end of a running job."""
    done = conn.execute(
        sa.update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status == RUNNING)
        .values(
            status=status,
            finished_at=now,
            result=json.dumps(result) if result is not None else None,
            error=error,
        )
    )
    return done.rowcount == 1


def ids_in_status(
    conn: sa.Connection, statuses: Collection[str], created_before: dt.datetime
) -> list[str]:
    query = sa.select(jobs.c.id).where(
        jobs.c.status.in_(list(statuses)), jobs.c.created_at < created_before
    )
    return list(conn.execute(query).scalars())
