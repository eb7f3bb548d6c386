"""One write transaction: the rows, and the change-log records that describe them.

Services open one `UnitOfWork` per use case, write rows through `conn`, and `record` what
changed. The log is appended as the transaction's last statement (see changelog.py for
why that keeps readers from missing records), then everything commits together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from schulhof.domain.changes import EntityType, Operation
from schulhof.store import changelog
from schulhof.store.database import WRITE_OPTION


class UnitOfWork:
    def __init__(self, conn: sa.Connection, actor: str, now: dt.datetime) -> None:
        self.conn = conn
        self.actor = actor
        self.now = now
        self._changes: list[changelog.PendingChange] = []
        self.last_seq = 0
        self.aborted = False

    def abort(self) -> None:
        """End the transaction without writing anything (dry runs, held imports)."""
        self.aborted = True
        self._changes = []

    def record(
        self,
        entity: EntityType,
        op: Operation,
        entity_id: str,
        schools: Iterable[str],
        state: dict[str, Any],
    ) -> None:
        if isinstance(schools, tuple | list) and len(schools) <= 1:
            scope = tuple(schools)  # the common case, without sorting
        else:
            scope = tuple(sorted(set(schools)))
        self._changes.append(changelog.PendingChange(entity, op, entity_id, scope, state))

    @property
    def pending(self) -> int:
        return len(self._changes)

    def flush_log(self) -> None:
        if self._changes:
            self.last_seq = changelog.append(self.conn, self._changes, self.actor, self.now)
            self._changes = []


@contextmanager
def unit_of_work(engine: sa.Engine, actor: str, now: dt.datetime) -> Iterator[UnitOfWork]:
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        tx = conn.begin()
        uow = UnitOfWork(conn, actor, now)
        try:
            yield uow
            if uow.aborted:
                tx.rollback()
            else:
                uow.flush_log()
                tx.commit()
        except BaseException:
            tx.rollback()
            raise
