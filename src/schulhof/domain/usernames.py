"""Username rules: templates, the base username of a person, counters for collisions.

A username is lowercase ASCII: it starts with a letter, then letters and digits in groups
joined by single "." or "-", at most `MAX_LENGTH` characters (`is_valid_username`).
`base_username` always returns such a name, and `with_counter` keeps it one.

Templates are strings with the placeholders `{given}`, `{family}`, `{given_initial}`,
`{family_initial}`, `{birth_year}` (four digits) and `{yy}` (two digits), joined by
literal text of `a-z`, `0-9`, "." and "-" (`validate_template` names every rule).

How a base username is made:

1. Names are folded (`transliteration.fold`); digits in names are dropped, because digits
   in a username come only from the birth year and from collision counters.
2. Given name: only the first of several ("Anna Lena" → "anna"); a hyphenated given name
   is one name ("Anna-Lena" → "anna-lena").
3. Family name: all words are kept and the spaces dropped ("von der Heide" →
   "vonderheide", "Ben Ali" → "benali", "Al-Hassan" → "al-hassan"). We keep particles
   because they are part of the name as the family writes it, and no list of particles is
   right for every language ("Ben" is a given name too). Apostrophes vanish ("D'Angelo" →
   "dangelo"), hyphens stay ("Müller-Lüdenscheidt" → "mueller-luedenscheidt").
4. Too long: first leading particles of a family name of several words are dropped
   ("Maximilian von der Heide" → "maximilian.heide", not "maximilian.vonderhei"), then the
   family part is cut from the end down to its initial, then the given part down to its
   initial. A cut never leaves a "." or "-" at the end of a part.
5. Fallback: a name part that folds to nothing (a name only in Arabic script, say) is left
   out together with the separators next to it ("{given}.{family}" gives "haddad"). If
   nothing usable remains, the base is "user" — the admin sees at once that this person
   needs a hand-picked name, and counters keep these unique ("user", "user2", …).

Counters: `with_counter(base, n)` is the base for n == 1 and the base followed by n
otherwise, cutting the base so the whole fits; `pick_username` takes the lowest free n.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import string
from collections.abc import Callable
from typing import Final

from schulhof.domain.errors import ValidationError
from schulhof.domain.transliteration import fold

# sAMAccountName (Windows, Samba AD) allows 20 characters: the strictest consumer wins.
MAX_LENGTH: Final = 20
DEFAULT_TEMPLATE: Final = "{given}.{family}"
FALLBACK: Final = "user"

PLACEHOLDERS: Final = frozenset(
    {"given", "family", "given_initial", "family_initial", "birth_year", "yy"}
)
_NAME_PLACEHOLDERS: Final = frozenset({"given", "family", "given_initial", "family_initial"})
_BIRTH_PLACEHOLDERS: Final = frozenset({"birth_year", "yy"})

# Leading words dropped from a family name of several words when the username is too long.
_PARTICLES: Final = (
    frozenset({"von", "vom", "zu", "zum", "zur", "der", "den"})  # German
    | {"van", "de", "ter", "ten", "te"}  # Dutch
    | {"la", "le", "du", "des", "da", "das", "di", "del", "della", "do", "dos"}  # Romance
    | {"al", "el", "ben", "bin", "ibn", "abu"}  # Arabic, Hebrew, when written apart
)

_VALID: Final = re.compile(r"[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*")
_LITERAL: Final = re.compile(r"[a-z0-9.-]*")
_DOUBLE_SEPARATOR: Final = re.compile(r"[.-]{2,}")
_NOT_NAME: Final = re.compile(r"[^a-z -]")

# One element of a parsed template: ("literal", text) or ("field", placeholder name).
_Part = tuple[str, str]


def is_valid_username(name: str) -> bool:
    """True if `name` is a username as Schulhof makes them (see the module docstring)."""
    return len(name) <= MAX_LENGTH and _VALID.fullmatch(name) is not None


def validate_template(template: str) -> None:
    """Raise `ValidationError(field="template")` unless `template` is usable.

    Rules: only the placeholders named in `PLACEHOLDERS`, without conversions or format
    specs; literal text only of `a-z`, `0-9`, "." and "-", never two separators in a row;
    at least one name placeholder; starts with a letter or a name placeholder and ends
    with neither "." nor "-"; and its shortest rendering (one letter per name
    placeholder) fits into `MAX_LENGTH`, so that shortening names can always make it fit.
    """
    _parse_template(template)


def base_username(
    given_name: str,
    family_name: str,
    *,
    template: str = DEFAULT_TEMPLATE,
    birth_date: dt.date | None = None,
) -> str:
    """The username for a person before collisions are looked at; always valid.

    Raises `ValidationError(field="template")` for an unusable template and
    `ValidationError(field="birth_date")` if the template needs a birth date and none is
    given.
    """
    parts = _parse_template(template)
    fields = {value for kind, value in parts if kind == "field"}
    if fields & _BIRTH_PLACEHOLDERS and birth_date is None:
        raise ValidationError(f"template {template!r} needs a birth date", field="birth_date")
    given = _first_given_name(given_name)
    family_words = _name_words(family_name)
    if not given and not family_words:
        return FALLBACK
    family = "".join(family_words)
    if len(_render(parts, given, family, birth_date)) > MAX_LENGTH:
        family = "".join(_without_leading_particles(family_words))
    # Family first, then given, each down to its initial; the template check guarantees
    # that one letter per name placeholder fits.
    while len(rendered := _render(parts, given, family, birth_date)) > MAX_LENGTH:
        if len(family) > 1:
            family = _cut(family)
        elif len(given) > 1:
            given = _cut(given)
        else:
            break
    if not rendered:  # only a name part that folded to nothing, and digits
        return FALLBACK
    return rendered


def with_counter(base: str, n: int) -> str:
    """`base` for n == 1, else `base` + str(n), cutting `base` so the total fits."""
    if n < 1:
        raise ValidationError(f"counter must be at least 1, got {n}", field="n")
    if not is_valid_username(base):
        raise ValidationError(f"not a valid username: {base!r}", field="base")
    if n == 1:
        return base
    suffix = str(n)
    room = MAX_LENGTH - len(suffix)
    if room < 1:
        raise ValidationError(f"counter {n} leaves no room for the name", field="n")
    # A digit right after "." or "-" would be valid, but "anna.2" reads like a different
    # scheme: the counter always follows a letter or digit of the base. A valid base starts
    # with a letter, so the stem is never empty.
    return base[:room].rstrip(".-") + suffix


def pick_username(base: str, is_taken: Callable[[str], bool]) -> str:
    """The first of base, base2, base3, … that `is_taken` reports free."""
    n = 1
    while is_taken(candidate := with_counter(base, n)):
        n += 1
    return candidate


# ---------------------------------------------------------------- helpers


@functools.lru_cache(maxsize=64)
def _parse_template(template: str) -> tuple[_Part, ...]:
    def invalid(reason: str) -> ValidationError:
        return ValidationError(
            f"invalid username template {template!r}: {reason}", field="template"
        )

    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError as exc:  # unbalanced braces
        raise invalid(str(exc)) from None
    parts: list[_Part] = []
    for literal, field, spec, conversion in pieces:
        if literal:
            if _LITERAL.fullmatch(literal) is None:
                raise invalid('literal text may hold only a-z, 0-9, "." and "-"')
            parts.append(("literal", literal))
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            allowed = ", ".join(sorted(PLACEHOLDERS))
            raise invalid(f"unknown placeholder {{{field}}}; allowed: {allowed}")
        if spec or conversion:
            raise invalid(f"placeholder {{{field}}} takes no format spec or conversion")
        parts.append(("field", field))
    if not any(kind == "field" and value in _NAME_PLACEHOLDERS for kind, value in parts):
        raise invalid("needs at least one of {given}, {family}, {given_initial}, {family_initial}")
    first_kind, first_value = parts[0]
    if first_kind == "field" and first_value in _BIRTH_PLACEHOLDERS:
        raise invalid("must start with a letter or a name placeholder")
    if first_kind == "literal" and not first_value[0].isalpha():
        raise invalid("must start with a letter or a name placeholder")
    last_kind, last_value = parts[-1]
    if last_kind == "literal" and last_value[-1] in ".-":
        raise invalid('must not end with "." or "-"')
    shortest = _join(tuple(parts), "a", "a", dt.date(2000, 1, 1))
    if _DOUBLE_SEPARATOR.search(shortest):
        raise invalid('two separators ("." or "-") in a row')
    if len(shortest) > MAX_LENGTH:
        raise invalid(f"even one letter per name is longer than {MAX_LENGTH} characters")
    return tuple(parts)


def _name_words(name: str) -> list[str]:
    # Digits are not part of a name (see the module docstring); dropping them may leave a
    # hyphen dangling, hence the strip.
    words = _NOT_NAME.sub("", fold(name)).split(" ")
    return [w for w in (re.sub("-{2,}", "-", word).strip("-") for word in words) if w]


def _first_given_name(given_name: str) -> str:
    words = _name_words(given_name)
    return words[0] if words else ""


def _without_leading_particles(words: list[str]) -> list[str]:
    rest = list(words)
    while len(rest) > 1 and rest[0] in _PARTICLES:
        rest.pop(0)
    return rest


def _cut(part: str) -> str:
    return part[:-1].rstrip("-")


def _render(parts: tuple[_Part, ...], given: str, family: str, birth_date: dt.date | None) -> str:
    text = _join(parts, given, family, birth_date)
    # An empty name part leaves its separators behind ("{given}.{family}" with no given
    # name gives ".haddad"): keep one of a run, none at the ends, start with a letter.
    text = _DOUBLE_SEPARATOR.sub(lambda m: m.group()[0], text)
    return text.lstrip(".-0123456789").rstrip(".-")


def _join(parts: tuple[_Part, ...], given: str, family: str, birth_date: dt.date | None) -> str:
    values = {
        "given": given,
        "family": family,
        "given_initial": given[:1],
        "family_initial": family[:1],
        "birth_year": f"{birth_date.year:04d}" if birth_date else "",
        "yy": f"{birth_date.year % 100:02d}" if birth_date else "",
    }
    return "".join(values[value] if kind == "field" else value for kind, value in parts)
