"""Consistency checks over the whole store: what foreign keys would catch, and more.

Each check is one anti-join; on a city they take well under a second together. They run in
the test suite after imports and on demand (`schulhof db check`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

CHECKS: dict[str, str] = {
    "person source without person": (
        "SELECT count(*) FROM person_sources s LEFT JOIN persons p ON p.id = s.person_id "
        "WHERE p.id IS NULL"
    ),
    "context without person": (
        "SELECT count(*) FROM contexts c LEFT JOIN persons p ON p.id = c.person_id "
        "WHERE p.id IS NULL"
    ),
    "context without school": (
        "SELECT count(*) FROM contexts c LEFT JOIN schools s ON s.id = c.school_id "
        "WHERE s.id IS NULL"
    ),
    "membership without group": (
        "SELECT count(*) FROM memberships m LEFT JOIN groups g ON g.id = m.group_id "
        "WHERE g.id IS NULL"
    ),
    "membership without person": (
        "SELECT count(*) FROM memberships m LEFT JOIN persons p ON p.id = m.person_id "
        "WHERE p.id IS NULL"
    ),
    "member without a role at the group's school": (
        "SELECT count(*) FROM memberships m JOIN groups g ON g.id = m.group_id "
        "WHERE NOT EXISTS (SELECT 1 FROM contexts c WHERE c.person_id = m.person_id "
        "AND c.school_id = g.school_id)"
    ),
    "group source without group": (
        "SELECT count(*) FROM group_sources s LEFT JOIN groups g ON g.id = s.group_id "
        "WHERE g.id IS NULL"
    ),
    "guardian link without person": (
        "SELECT count(*) FROM guardian_links l LEFT JOIN persons a ON a.id = l.guardian_id "
        "LEFT JOIN persons b ON b.id = l.student_id WHERE a.id IS NULL OR b.id IS NULL"
    ),
    "person with several primary contexts": (
        "SELECT count(*) FROM (SELECT person_id FROM contexts WHERE is_primary "
        "GROUP BY person_id HAVING count(*) > 1) x"
    ),
    "person with contexts but no primary": (
        "SELECT count(*) FROM (SELECT person_id FROM contexts GROUP BY person_id "
        "HAVING sum(CASE WHEN is_primary THEN 1 ELSE 0 END) = 0) x"
    ),
    "change log gaps": (
        "SELECT (SELECT value FROM counters WHERE name = 'change_log') - count(*) FROM change_log"
    ),
}


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    count: int


def check(conn: sa.Connection) -> list[Finding]:
    """Every check with a non-zero count (an empty list: all consistent)."""
    found = []
    for name, sql in CHECKS.items():
        count = int(conn.exec_driver_sql(sql).scalar_one() or 0)
        if count:
            found.append(Finding(name, count))
    return found
