"""The review queue: near matches from imports that wait for a human decision."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from schulhof.store.tables import review_items, review_rejections


@dataclass(frozen=True, slots=True)
class ReviewItem:
    id: str
    created_at: dt.datetime
    record_key: str
    record: dict[str, Any]
    candidates: tuple[str, ...]
    reason: str
    status: str
    decided_by: str | None
    person_id: str | None


def upsert(
    conn: sa.Connection,
    item_id: str | None,
    record_key: str,
    record_json: str,
    candidates: list[str],
    reason: str,
    now: dt.datetime,
) -> None:
    values = {
        "record": record_json,
        "candidates": json.dumps(candidates),
        "reason": reason,
        "updated_at": now,
    }
    if item_id is not None:
        conn.execute(sa.update(review_items).where(review_items.c.id == item_id).values(**values))
    else:
        conn.execute(
            sa.insert(review_items).values(
                id=str(uuid.uuid4()),
                created_at=now,
                record_key=record_key,
                status="pending",
                **values,
            )
        )


def _item(r: Any) -> ReviewItem:
    created = r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=dt.UTC)
    return ReviewItem(
        r.id,
        created,
        r.record_key,
        json.loads(r.record),
        tuple(str(c) for c in json.loads(r.candidates)),
        r.reason,
        r.status,
        r.decided_by,
        r.person_id,
    )


def list_items(conn: sa.Connection, status: str | None = "pending") -> list[ReviewItem]:
    query = sa.select(review_items).order_by(review_items.c.created_at, review_items.c.record_key)
    if status is not None:
        query = query.where(review_items.c.status == status)
    return [_item(r) for r in conn.execute(query)]


def get(conn: sa.Connection, item_id: str) -> ReviewItem | None:
    row = conn.execute(sa.select(review_items).where(review_items.c.id == item_id)).first()
    return _item(row) if row else None


def decide(
    conn: sa.Connection,
    item_id: str,
    status: str,
    by: str,
    person_id: str,
    now: dt.datetime,
) -> None:
    conn.execute(
        sa.update(review_items)
        .where(review_items.c.id == item_id)
        .values(status=status, decided_by=by, decided_at=now, person_id=person_id, updated_at=now)
    )


def reject_pairs(conn: sa.Connection, record_key: str, person_ids: list[str]) -> None:
    existing = set(
        conn.execute(
            sa.select(review_rejections.c.person_id).where(
                review_rejections.c.record_key == record_key
            )
        ).scalars()
    )
    rows = [{"record_key": record_key, "person_id": p} for p in person_ids if p not in existing]
    if rows:
        conn.execute(sa.insert(review_rejections), rows)
