"""POSIX numbers for the LDAP view: one per person (uid) and per group key (gid), for good.

Numbers come from the counters 'ldap_uid'/'ldap_gid', taken with `UPDATE … RETURNING`:
the row lock serialises two allocating workers, and a counter never goes back, so a
number is never handed out twice — not even after the row of a deleted person is gone.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from schulhof.store.bulk import insert_rows
from schulhof.store.tables import counters, ldap_numbers

FIRST = 10_000  # below are the system's own users and groups


def existing(conn: sa.Connection, kind: str) -> dict[str, int]:
    rows = conn.execute(
        sa.select(ldap_numbers.c.entity_id, ldap_numbers.c.number).where(
            ldap_numbers.c.kind == kind
        )
    )
    return {r.entity_id: r.number for r in rows}


def allocate(conn: sa.Connection, kind: str, keys: Iterable[str]) -> dict[str, int]:
    """Numbers for `keys` that have none yet (in the order given); call in a write transaction."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    last: int = conn.execute(
        sa.update(counters)
        .where(counters.c.name == f"ldap_{kind}")
        .values(value=counters.c.value + len(wanted))
        .returning(counters.c.value)
    ).scalar_one()
    # Holding the counter's lock now: anything another worker allocated is committed.
    have = existing(conn, kind)
    first = last - len(wanted) + 1
    fresh = {k: FIRST + first + i for i, k in enumerate(wanted) if k not in have}
    insert_rows(
        conn,
        ldap_numbers,
        ("entity_id", "kind", "number"),
        [(k, kind, n) for k, n in fresh.items()],
    )
    return {k: have.get(k, fresh.get(k, 0)) for k in wanted}
