"""Reading the whole directory for an export, as one consistent view.

The exporters (OneRoster CSV, later others) need every school, person, group and
membership with their source links at once; `store.snapshot` loads them in a few bulk
queries, so a city's export costs the same handful of queries as an import's plan.
"""

from __future__ import annotations

from schulhof.domain.snapshot import Snapshot
from schulhof.services.runtime import Services
from schulhof.store.snapshot import load_snapshot


def directory_snapshot(svc: Services) -> Snapshot:
    """Every school, person (with contexts and source links), group and membership.

    All of it is read in one transaction that sees one state of the data: SQLite's read
    transaction does so by itself (WAL); PostgreSQL's default READ COMMITTED gives each
    query its own view, so an import committing between two of the queries could leave
    memberships of people the export never saw. Hence REPEATABLE READ, read-only.
    """
    with svc.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            return load_snapshot(conn, svc.clock())
