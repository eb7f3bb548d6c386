"""Finding the directory's person for a source record: link, exact name, near name.

Exact: given name + family name + birth date, ignoring case and spacing — the same person
(a school change). Near: the same after transliteration (`Lukasz`/`Łukasz`), or the same
names with a birth date one typo away — never merged, only offered for review.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from schulhof.domain.model import Person
from schulhof.domain.transliteration import fold

ExactKey = tuple[str, str, dt.date | None]


def exact_key(given: str, family: str, birth: dt.date | None) -> ExactKey:
    return (" ".join(given.split()).casefold(), " ".join(family.split()).casefold(), birth)


def folded_key(given: str, family: str, birth: dt.date | None) -> ExactKey:
    return (fold(given), fold(family), birth)


def birth_typo(a: dt.date | None, b: dt.date | None) -> bool:
    """One digit different, or day and month swapped."""
    if a is None or b is None or a == b:
        return False
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return True
    sa, sb = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    return sum(x != y for x, y in zip(sa, sb, strict=True)) == 1


class PersonIndex:
    """Lookups over the directory's people, built once per import."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.exact: dict[ExactKey, list[str]] = defaultdict(list)
        self.folded: dict[ExactKey, list[str]] = defaultdict(list)
        self.by_names: dict[tuple[str, str], list[tuple[str, dt.date | None]]] = defaultdict(list)
        for p in people:
            key = exact_key(p.given_name, p.family_name, p.birth_date)
            self.exact[key].append(p.id)
            self.folded[folded_key(p.given_name, p.family_name, p.birth_date)].append(p.id)
            self.by_names[(key[0], key[1])].append((p.id, p.birth_date))

    def exact_matches(self, given: str, family: str, birth: dt.date | None) -> list[str]:
        if birth is None:  # without a birth date a name alone is no proof
            return []
        return list(self.exact.get(exact_key(given, family, birth), ()))

    def near_matches(self, given: str, family: str, birth: dt.date | None) -> list[str]:
        found: dict[str, None] = {}
        exact = set(self.exact_matches(given, family, birth))
        for pid in self.folded.get(folded_key(given, family, birth), ()):
            if pid not in exact:
                found[pid] = None
        key = exact_key(given, family, birth)
        for pid, other in self.by_names.get((key[0], key[1]), ()):
            if birth_typo(birth, other):
                found[pid] = None
        return list(found)
