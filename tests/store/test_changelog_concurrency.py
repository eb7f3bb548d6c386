"""A reader following the change log never misses a record, even with concurrent writers.

The classic trap: writer A takes seq 10, writer B takes seq 11 and commits first; a reader
that saw 11 moves its cursor past 10 and never sees it. Writers here hold their transaction
open for a random while after taking their numbers, which makes that order likely if the
log allowed it.
"""

from __future__ import annotations

import random
import threading
import time
import uuid

import pytest

from schulhof.domain.changes import EntityType, Operation
from schulhof.services.runtime import Services
from schulhof.store import changelog
from schulhof.store.database import read_connection
from schulhof.store.unit_of_work import unit_of_work

WRITERS = 6
TXS_PER_WRITER = 25


def _writer(svc: Services, n: int, errors: list[BaseException]) -> None:
    rng = random.Random(n)
    try:
        for i in range(TXS_PER_WRITER):
            with unit_of_work(svc.engine, f"writer-{n}", svc.clock()) as uow:
                for k in range(rng.randint(1, 3)):
                    uow.record(
                        EntityType.SCHOOL,
                        Operation.UPDATE,
                        str(uuid.uuid4()),
                        [f"9{n:04d}"],
                        {"writer": n, "tx": i, "k": k},
                    )
                uow.flush_log()
                time.sleep(rng.uniform(0, 0.01))  # commit later than the numbers were taken
    except BaseException as exc:  # reported to the main thread
        errors.append(exc)


def test_reader_following_the_log_sees_every_record(svc: Services) -> None:
    if svc.backend != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL")
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(svc, n, errors)) for n in range(WRITERS)]
    seen: list[int] = []
    cursor = 0
    for t in threads:
        t.start()
    while True:
        writers_done = not any(t.is_alive() for t in threads)
        with read_connection(svc.engine) as conn:
            batch = changelog.read_after(conn, cursor)
        for record in batch:
            assert record.seq == cursor + 1, f"gap: after {cursor} came {record.seq}"
            cursor = record.seq
            seen.append(record.seq)
        if writers_done and not batch:
            break
    assert not errors, errors
    with read_connection(svc.engine) as conn:
        total = changelog.last_seq(conn)
        every = [r.seq for r in changelog.read_after(conn, 0, limit=100_000)]
    assert seen == every == list(range(1, total + 1))
    assert total >= WRITERS * TXS_PER_WRITER


def test_reader_for_one_school_sees_exactly_its_records(svc: Services) -> None:
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(svc, n, errors)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with read_connection(svc.engine) as conn:
        mine = changelog.read_after(conn, 0, school="90001", limit=100_000)
        every = changelog.read_after(conn, 0, limit=100_000)
    assert mine == [r for r in every if "90001" in r.schools]
    assert mine
    assert all(r.state["writer"] == 1 for r in mine)
