"""Deciding the review queue: is this source record that directory person, or someone new?

Accept: the record's key is linked to the chosen person and its roles are added; the next
import then matches by link. Reject: a new person is made from the record, and the pairs
are remembered so the next import does not ask again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from schulhof.access.actors import Actor
from schulhof.access.rules import may_manage_schools
from schulhof.domain import usernames
from schulhof.domain.changes import EntityType, Operation
from schulhof.domain.errors import (
    ConflictError,
    NotFoundError,
    ValidationError,
)
from schulhof.domain.model import Context, LifecycleState, Person, Role, SourceLink, new_id
from schulhof.services.persons import insert_new, record_person, with_primary
from schulhof.services.runtime import Services
from schulhof.services.snapshots import context_entity_id, context_state
from schulhof.store import persons as person_store
from schulhof.store import reviews as review_store
from schulhof.store import schools as school_store
from schulhof.store.database import read_connection
from schulhof.store.reviews import ReviewItem
from schulhof.store.unit_of_work import UnitOfWork, unit_of_work


def list_reviews(
    svc: Services, status: str | None = "pending"
) -> list[tuple[ReviewItem, list[Person]]]:
    with read_connection(svc.engine) as conn:
        items = review_store.list_items(conn, status)
        people = person_store.load(conn, [c for i in items for c in i.candidates])
    return [(i, [people[c] for c in i.candidates if c in people]) for i in items]


def _pending(uow: UnitOfWork, actor: Actor, item_id: str) -> ReviewItem:
    item = review_store.get(uow.conn, item_id)
    if item is None:
        raise NotFoundError(f"no review item {item_id}")
    if item.status != "pending":
        raise ConflictError(f"review item {item_id} was already decided ({item.status})")
    schools = {nr for nr, _ in item.record.get("roles", [])}
    if not may_manage_schools(actor, schools or {"*"}):
        raise NotFoundError(f"no review item {item_id}")
    return item


def _links(item: ReviewItem) -> list[SourceLink]:
    links = []
    for field in ("key", "local_key"):
        raw = item.record.get(field)
        if raw:
            system, _, source_id = str(raw).partition("/")
            links.append(SourceLink(system, source_id))
    return links


def _contexts(item: ReviewItem) -> list[Context]:
    return [Context(str(nr), Role(str(role))) for nr, role in item.record.get("roles", [])]


def accept(svc: Services, actor: Actor, item_id: str, person_id: str | None = None) -> Person:
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        item = _pending(uow, actor, item_id)
        chosen = person_id or (item.candidates[0] if len(item.candidates) == 1 else None)
        if chosen is None or chosen not in item.candidates:
            raise ValidationError("name one of the candidates", field="person")
        person = person_store.load_one(uow.conn, chosen)
        if person is None:
            raise NotFoundError(f"candidate {chosen} no longer exists")
        school_ids = school_store.ids_by_number(uow.conn)
        have = {(c.school_number, c.role) for c in person.contexts}
        new_ctx = [
            c
            for c in _contexts(item)
            if (c.school_number, c.role) not in have and c.school_number in school_ids
        ]
        links = [s for s in _links(item) if s not in person.sources]
        person_store.add_sources(uow.conn, [(person.id, s) for s in links])
        contexts = with_primary([*person.contexts, *new_ctx])
        person_store.add_contexts(
            uow.conn,
            [(person.id, c) for c in contexts if (c.school_number, c.role) not in have],
            school_ids,
        )
        updated = dataclasses.replace(
            person, sources=(*person.sources, *links), contexts=contexts, version=person.version + 1
        )
        if new_ctx and person.state is LifecycleState.DISABLED and not person.contexts:
            updated = dataclasses.replace(
                updated, state=LifecycleState.ACTIVE, disabled_at=None, delete_after=None
            )
        person_store.update(uow.conn, updated, uow.now, expected_version=person.version)
        for c in contexts:
            if (c.school_number, c.role) not in have:
                uow.record(
                    EntityType.CONTEXT,
                    Operation.CREATE,
                    context_entity_id(person.id, c),
                    [c.school_number],
                    context_state(person.id, c),
                )
        record_person(uow, Operation.UPDATE, updated)
        review_store.decide(uow.conn, item.id, "accepted", actor.label, person.id, uow.now)
    return updated


def reject(svc: Services, actor: Actor, item_id: str) -> Person:
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        item = _pending(uow, actor, item_id)
        r = item.record
        school_ids = school_store.ids_by_number(uow.conn)
        contexts = with_primary([c for c in _contexts(item) if c.school_number in school_ids])
        if not contexts:
            raise ValidationError("the record has no school known to the directory", field="roles")
        birth = dt.date.fromisoformat(str(r["birth_date"])) if r.get("birth_date") else None
        base = usernames.base_username(
            str(r["given_name"]),
            str(r["family_name"]),
            template=svc.settings.template_for(contexts[0].role),
            birth_date=birth,
        )
        name = usernames.pick_username(
            base, lambda n: person_store.is_username_taken(uow.conn, n, uow.now)
        )
        person = Person(
            new_id(),
            name,
            str(r["given_name"]),
            str(r["family_name"]),
            birth,
            r.get("email") or None,
            sources=tuple(_links(item)),
            contexts=contexts,
        )
        insert_new(uow, person, school_ids)
        review_store.reject_pairs(uow.conn, item.record_key, list(item.candidates))
        review_store.decide(uow.conn, item.id, "rejected", actor.label, person.id, uow.now)
    return person
