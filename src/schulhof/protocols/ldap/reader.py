"""What one bound client sees: entries and attribute values, decided by `access.rules`.

Nothing here grants by itself: people are shown if `rules.may_read_person` says so, their
attributes if `rules.visible_attributes` grants the person field each LDAP attribute comes
from (`AttributeType.grant`), groups if their school is readable. Values of `member`,
`memberUid` and `memberOf` are trimmed to entries the reader can see, so a group does not
leak who else is in it; school numbers, roles and affiliations to the reader's schools, as
the API's views are (a school's service does not learn that a teacher also works
elsewhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schulhof.access import rules
from schulhof.access.actors import Actor
from schulhof.protocols.ldap.directory import Directory
from schulhof.protocols.ldap.entries import AFFILIATIONS, Entry, EntryKind
from schulhof.protocols.ldap.schema import AttributeType

_PER_SCHOOL = frozenset({"schulhofschoolnumber", "schulhofrole", "edupersonaffiliation"})


@dataclass(frozen=True, slots=True)
class Reader:
    actor: Actor
    schools: frozenset[str] | None  # readable schools; None: all
    fields: frozenset[str] | None  # visible person fields; None: all

    @classmethod
    def of(cls, actor: Actor) -> Reader:
        return cls(actor, rules.readable_schools(actor), rules.visible_attributes(actor))

    @property
    def unrestricted(self) -> bool:
        return self.schools is None and self.fields is None

    def sees(self, entry: Entry) -> bool:
        kind = entry.kind
        if kind is EntryKind.PERSON:
            return entry.person is not None and (
                self.schools is None or rules.may_read_person(self.actor, entry.person)
            )
        if kind is EntryKind.GROUP:
            return self.sees_group_school(entry.school)
        return True  # the base and the organisational units

    def sees_group_school(self, school: str | None) -> bool:
        if self.schools is None:
            return True
        return school is not None and school in self.schools

    def may_see(self, entry: Entry, attr: AttributeType) -> bool:
        if attr.secret:  # granted by name only, never to a person reading themselves
            return entry.kind is EntryKind.PERSON and rules.may_read_nt_hashes(self.actor)
        if entry.kind is not EntryKind.PERSON or self.fields is None:
            return True
        return attr.grant <= self.fields

    def values(self, d: Directory, entry: Entry, attr: AttributeType) -> Sequence[str]:
        """The values of `attr` on `entry` as this reader may see them ([] if hidden)."""
        raw = entry.attrs.get(attr.key)
        if raw is None or not self.may_see(entry, attr):
            return ()
        if self.schools is None:
            return raw
        key = attr.key
        person = entry.person
        if person is not None and key in _PER_SCHOOL and person.id != self.actor.person_id:
            mine = [c for c in person.contexts if c.school_number in self.schools]
            if key == "schulhofschoolnumber":
                return list(dict.fromkeys(c.school_number for c in mine))
            if key == "schulhofrole":
                return sorted({f"{c.school_number}:{c.role.value}" for c in mine})
            return sorted({a for c in mine for a in AFFILIATIONS[c.role]})
        if key in ("member", "memberuid"):
            keep = []
            for i, pid in enumerate(entry.member_ids):
                person_entry = d.person_entry(pid)
                if person_entry is not None and self.sees(person_entry):
                    keep.append(raw[i])
            return keep
        if key == "memberof":
            own = entry.person is not None and entry.person.id == self.actor.person_id
            if own:
                return raw
            return [
                raw[i]
                for i, gk in enumerate(entry.group_keys)
                if self.sees_group_school(d.group_school(gk))
            ]
        return raw
