"""Jobs on SQLite and PostgreSQL: states, who sees what, workers that never run a job
twice, crashes recorded, stale plans and their files removed."""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
from collections import Counter
from pathlib import Path

import pytest

from schulhof.access.actors import OPERATOR, Actor, ActorKind
from schulhof.domain.errors import ConflictError, NotFoundError, PermissionDeniedError
from schulhof.domain.errors import ValidationError as InvalidInput
from schulhof.services import audit, jobs
from schulhof.services import spool as spool_module
from schulhof.services.jobs import Job, JobOutcome, JobStatus
from schulhof.services.runtime import Services
from tests.conftest import FixedClock

CITY = Actor(ActorKind.CITY_ADMIN, "Stadt")
ADMIN_A = Actor(ActorKind.SCHOOL_ADMIN, "A", frozenset({"91000"}))
ADMIN_B = Actor(ActorKind.SCHOOL_ADMIN, "B", frozenset({"91007"}))
TEACHER = Actor(ActorKind.TEACHER, "T", frozenset({"91000"}), person_id="p")


@pytest.fixture(autouse=True)
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "spool"
    monkeypatch.setenv(spool_module.SPOOL_ENV, str(root))
    return root


def planned(
    svc: Services,
    actor: Actor = CITY,
    schools: tuple[str, ...] = ("91000",),
    *,
    kind: str = "test",
    status: JobStatus = JobStatus.PLANNED,
) -> Job:
    job_id = jobs.new_job_id()
    spool_module.save_upload(job_id, [("a.csv", io.BytesIO(b"x;y\r\n"))])
    return jobs.record_plan(
        svc, actor, job_id, kind=kind, status=status, schools=schools, params={"plan": {}}
    )


def test_states_from_plan_to_done(svc: Services, spool: Path) -> None:
    job = planned(svc)
    assert (spool / job.id / "a.csv").read_bytes() == b"x;y\r\n"
    queued = jobs.approve_job(svc, CITY, job.id, approve_guard=True)
    assert (queued.status, queued.params["approve_guard"]) == (JobStatus.QUEUED, True)
    assert jobs.approver(queued) == Actor(ActorKind.CITY_ADMIN, "Stadt")
    with pytest.raises(ConflictError):
        jobs.approve_job(svc, CITY, job.id)
    ran: list[Job] = []

    def runner(_: Services, j: Job) -> JobOutcome:
        ran.append(j)
        assert j.status is JobStatus.RUNNING
        assert jobs.input_path(j) == spool / j.id
        return JobOutcome(True, result={"n": 1})

    assert jobs.run_next_job(svc, {"test": runner})
    assert not jobs.run_next_job(svc, {"test": runner})
    done = jobs.get_job(svc, CITY, job.id)
    assert (done.status, done.result, done.error) == (JobStatus.DONE, {"n": 1}, None)
    assert [j.id for j in ran] == [job.id]
    assert not (spool / job.id).exists()
    with pytest.raises(ConflictError):
        jobs.discard_job(svc, CITY, job.id)
    trail = audit.list_audit(svc, ADMIN_A, target=job.id).items
    assert [(e.action, e.actor, e.schools) for e in trail] == [
        ("import.approve", "city_admin:Stadt", ("91000",)),
        ("import.plan", "city_admin:Stadt", ("91000",)),
    ]


def test_failures_are_recorded(svc: Services) -> None:
    def crash(_: Services, __: Job) -> JobOutcome:
        raise RuntimeError("boom")

    def refuse(_: Services, __: Job) -> JobOutcome:
        raise PermissionDeniedError("no")

    def held(_: Services, __: Job) -> JobOutcome:
        return JobOutcome(False, error="held")

    runners = {"crash": crash, "refuse": refuse, "held": held}
    made = [planned(svc, kind=k) for k in ("crash", "refuse", "held", "unknown")]
    for job in made:
        jobs.approve_job(svc, CITY, job.id)
    while jobs.run_next_job(svc, runners):
        pass
    errors = [jobs.get_job(svc, CITY, j.id) for j in made]
    assert {j.status for j in errors} == {JobStatus.FAILED}
    assert [j.error for j in errors] == [
        "internal error (RuntimeError); see the log",
        "no",
        "held",
        "no worker for jobs of kind 'unknown'",
    ]


def test_several_workers_run_each_job_once(svc: Services) -> None:
    made = [planned(svc) for _ in range(12)]
    for job in made:
        jobs.approve_job(svc, CITY, job.id)
    runs: Counter[str] = Counter()
    lock = threading.Lock()

    def runner(_: Services, j: Job) -> JobOutcome:
        with lock:
            runs[j.id] += 1
        return JobOutcome(True)

    failures: list[BaseException] = []

    def work() -> None:
        try:
            while jobs.run_next_job(svc, {"test": runner}):
                pass
        except BaseException as exc:  # reported below
            failures.append(exc)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert failures == []
    assert runs == Counter({j.id: 1 for j in made})
    assert {jobs.get_job(svc, CITY, j.id).status for j in made} == {JobStatus.DONE}


def test_who_sees_and_changes_a_job(svc: Services) -> None:
    of_a = planned(svc, ADMIN_A)
    of_city = planned(svc, CITY, ("91000", "91007"))
    city_for_a = planned(svc, CITY, ("91000",))
    assert jobs.get_job(svc, ADMIN_A, of_a.id).id == of_a.id
    assert {j.id for j in jobs.list_jobs(svc, ADMIN_A).items} == {of_a.id, city_for_a.id}
    assert [j.id for j in jobs.list_jobs(svc, CITY).items] == sorted(
        [of_a.id, of_city.id, city_for_a.id], reverse=True
    )  # same time: by id, newest first
    assert jobs.list_jobs(svc, ADMIN_B).items == []
    for actor, job in ((ADMIN_B, of_a), (ADMIN_A, of_city)):
        with pytest.raises(NotFoundError):
            jobs.get_job(svc, actor, job.id)
        with pytest.raises(NotFoundError):
            jobs.approve_job(svc, actor, job.id)
    with pytest.raises(PermissionDeniedError):
        jobs.list_jobs(svc, TEACHER)
    with pytest.raises(PermissionDeniedError):
        planned(svc, ADMIN_A, ("91000", "91007"))
    with pytest.raises(PermissionDeniedError):
        planned(svc, ADMIN_A, ())
    with pytest.raises(NotFoundError):
        jobs.get_job(svc, CITY, "../../etc")


def test_paging_skips_invisible_jobs(svc: Services, clock: FixedClock) -> None:
    mine = []
    for i in range(7):
        clock.advance(minutes=1)
        mine.append(planned(svc, ADMIN_A).id)
        for _ in range(i % 3):
            planned(svc, CITY, ("91000", "91007"))  # shares a school, not visible to A
    seen: list[str] = []
    before = None
    while True:
        page = jobs.list_jobs(svc, ADMIN_A, limit=2, before=before)
        seen += [j.id for j in page.items]
        if page.next_key is None:
            break
        before = page.next_key
    assert seen == mine[::-1]


def test_discard_and_expire(svc: Services, clock: FixedClock, spool: Path) -> None:
    dropped = planned(svc)
    jobs.discard_job(svc, CITY, dropped.id)
    assert jobs.get_job(svc, CITY, dropped.id).status is JobStatus.DISCARDED
    assert not (spool / dropped.id).exists()
    old = planned(svc)
    queued = planned(svc)
    jobs.approve_job(svc, CITY, queued.id)
    clock.advance(days=8)
    orphan = spool / "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"  # left by a crash
    orphan.mkdir()
    long_ago = (clock.now - dt.timedelta(days=30)).timestamp()
    os.utime(orphan, (long_ago, long_ago))
    fresh = planned(svc)
    assert jobs.expire_jobs(svc) == 1
    assert jobs.get_job(svc, CITY, old.id).status is JobStatus.DISCARDED
    assert not (spool / old.id).exists()
    assert jobs.get_job(svc, CITY, queued.id).status is JobStatus.QUEUED
    assert (spool / queued.id).exists()
    assert jobs.get_job(svc, CITY, fresh.id).status is JobStatus.PLANNED
    assert not orphan.exists()


def test_invalid_plans_keep_no_files(svc: Services, spool: Path) -> None:
    job = planned(svc, ADMIN_A, (), status=JobStatus.INVALID)  # no school could be read
    assert not (spool / job.id).exists()
    assert jobs.get_job(svc, ADMIN_A, job.id).finished_at is not None
    assert jobs.get_job(svc, CITY, job.id).status is JobStatus.INVALID
    with pytest.raises(NotFoundError):
        jobs.get_job(svc, ADMIN_B, job.id)
    with pytest.raises(ConflictError):
        jobs.approve_job(svc, ADMIN_A, job.id)


def test_spool_upload_checks_names_and_size(spool: Path) -> None:
    job_id = jobs.new_job_id()
    for bad in ("../a.csv", "a/b.csv", "C:\\x\\a.csv", "a.exe", ".a.csv", "a.csv\x00.zip", ""):
        with pytest.raises(InvalidInput):
            spool_module.save_upload(job_id, [(bad, io.BytesIO(b"x"))])
    with pytest.raises(spool_module.UploadTooLargeError):
        spool_module.save_upload(
            job_id, [("a.csv", io.BytesIO(b"x" * 10)), ("b.csv", io.BytesIO(b"y" * 10))],
            max_bytes=15,
        )  # fmt: skip
    assert not (spool / job_id).exists()
    names = spool_module.save_upload(job_id, [("Schüler 4a (neu).CSV", io.BytesIO(b"x"))])
    assert names == ["Schüler 4a (neu).CSV"]
    assert [p.name for p in spool.iterdir()] == [job_id]


def test_spool_folder_of_someone_else_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    monkeypatch.setenv(spool_module.SPOOL_ENV, str(link))
    with pytest.raises(Exception, match="is not ours"):
        spool_module.root()


def test_the_operator_may_import_without_a_school(svc: Services) -> None:
    job = planned(svc, OPERATOR, ())
    assert jobs.get_job(svc, CITY, job.id).created_by == "operator:cli"
    assert dt.datetime.now(dt.UTC) > job.created_at
