from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from schulhof.domain.errors import ValidationError
from schulhof.domain.usernames import (
    DEFAULT_TEMPLATE,
    MAX_LENGTH,
    base_username,
    is_valid_username,
    pick_username,
    validate_template,
    with_counter,
)

CITYGEN = Path(__file__).resolve().parents[3] / "shared" / "bench" / "citygen.py"
BORN = dt.date(2012, 3, 4)


# ---------------------------------------------------------------- base_username


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        ("Anna", "Müller", "anna.mueller"),
        ("ANNA", "MÜLLER", "anna.mueller"),
        # Only the first of several given names; a hyphenated given name is one name.
        ("Anna Lena", "Schmidt", "anna.schmidt"),
        ("Lea Sophie", "Fischer", "lea.fischer"),
        ("  Anna   Lena ", "Schmidt", "anna.schmidt"),
        ("Anna-Lena", "Schmidt", "anna-lena.schmidt"),
        ("Marie-Luise", "Weber", "marie-luise.weber"),
        ("Jan-Philipp Karl", "Koch", "jan-philipp.koch"),
        # Particles stay, spaces go.
        ("Jan", "von der Heide", "jan.vonderheide"),
        ("Lea", "de Vries", "lea.devries"),
        ("Tom", "van den Berg", "tom.vandenberg"),
        ("Paul", "von Bülow", "paul.vonbuelow"),
        ("Ole", "ter Horst", "ole.terhorst"),
        ("Karim", "Ben Ali", "karim.benali"),
        ("Omar", "Al-Hassan", "omar.al-hassan"),
        # Apostrophes vanish, hyphens stay.
        ("Emma", "D'Angelo", "emma.dangelo"),
        ("Finn", "O'Connor", "finn.oconnor"),
        ("Finn", "O’Connor", "finn.oconnor"),
        ("Tom", "Meyer-Landrut", "tom.meyer-landrut"),
        ("Ida", "Schulze-Wehninck", "ida.schulze-wehninck"),
        # Letter families.
        ("Jürgen", "Groß", "juergen.gross"),
        ("Łukasz", "Wiśniewski", "lukasz.wisniewski"),
        ("Elif", "Yıldırım", "elif.yildirim"),
        ("Çağan", "Doğan", "cagan.dogan"),
        ("Ömer", "Öztürk", "oemer.oeztuerk"),
        ("Đức", "Nguyễn", "duc.nguyen"),
        ("Thảo", "Trần", "thao.tran"),
        ("Ngọc", "Phạm", "ngoc.pham"),
        ("Søren", "Kjær", "soren.kjaer"),
        ("Chloé", "Lefèvre", "chloe.lefevre"),
        ("Björn", "Möller", "bjoern.moeller"),
        ("Mykola", "Шевченко", "mykola.shevchenko"),
    ],
)
def test_base_username(given: str, family: str, expected: str) -> None:
    assert base_username(given, family) == expected


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        # Family part first, cut from the end.
        ("Tim", "Müller-Lüdenscheidt", "tim.mueller-luedensc"),
        ("Maximilian", "Schumacher", "maximilian.schumache"),
        # A cut never leaves a hyphen at the end ("schulze-" → "schulze").
        ("Maximiliana", "Schulze-Wehninck", "maximiliana.schulze"),
        # Leading particles go before any letter is cut.
        ("Maximilian", "von der Heide", "maximilian.heide"),
        ("Maximilian", "van den Berg", "maximilian.berg"),
        # Then the given part, once the family part is down to its initial.
        ("Wolfgang-Amadeus-Maximilian", "Schmidt", "wolfgang-amadeus-m.s"),
        ("Wolfgang-Amadeus-Maximilian", "Schulze-Wehninck", "wolfgang-amadeus-m.s"),
    ],
)
def test_too_long_names_are_shortened(given: str, family: str, expected: str) -> None:
    assert base_username(given, family) == expected


def test_a_name_that_is_only_particles_keeps_its_last_word() -> None:
    assert base_username("Maximiliane", "de la Da Van") == "maximiliane.van"


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        ("محمد", "علي", "user"),  # nothing survives folding
        ("", "", "user"),
        ("123", "456", "user"),
        ("'", "-", "user"),
        ("محمد", "Haddad", "haddad"),  # the empty part and its separator are left out
        ("Ahmad", "علي", "ahmad"),
        ("Anna2", "Müller", "anna.mueller"),  # digits in names are dropped
        ("Anna", "Müller-2", "anna.mueller"),
    ],
)
def test_fallbacks(given: str, family: str, expected: str) -> None:
    assert base_username(given, family) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (DEFAULT_TEMPLATE, "anna.mueller"),
        ("{given_initial}{family}", "amueller"),
        ("{given}{family_initial}", "annam"),
        ("{family}.{given}", "mueller.anna"),
        ("{family}{yy}", "mueller12"),
        ("{given}.{family}.{birth_year}", "anna.mueller.2012"),
        ("s{yy}.{family}", "s12.mueller"),
        ("{given_initial}.{family_initial}{birth_year}", "a.m2012"),
        ("{given}-{family}", "anna-mueller"),
    ],
)
def test_templates(template: str, expected: str) -> None:
    assert base_username("Anna Lena", "Müller", template=template, birth_date=BORN) == expected


def test_two_digit_year_keeps_its_leading_zero() -> None:
    born = dt.date(2005, 1, 1)
    assert base_username("Anna", "Müller", template="{family}{yy}", birth_date=born) == "mueller05"


def test_cut_inside_a_template_leaves_no_dangling_hyphen() -> None:
    name = base_username("Maximiliana", "Schulze-Wehninck", template="{family}.{given}")
    assert name == "schulze.maximiliana"


def test_template_digits_survive_shortening() -> None:
    name = base_username(
        "Maximilian",
        "Schulze-Wehninck",
        template="{given}.{family}{birth_year}",
        birth_date=BORN,
    )
    assert name == "maximilian.schul2012"


def test_empty_part_in_template_with_year() -> None:
    name = base_username("محمد", "Haddad", template="{given}.{family}.{yy}", birth_date=BORN)
    assert name == "haddad.12"


@pytest.mark.parametrize(
    "template",
    [
        "",
        "anna",
        "{given",
        "given}",
        "{nope}",
        "{}",
        "{0}",
        "{given.upper}",
        "{given[0]}",
        "{given!r}",
        "{given:5}",
        "{given}_{family}",
        "{given} {family}",
        "{Given}.{family}",
        "Anna.{family}",
        "{yy}{family}",
        "{birth_year}",
        ".{family}",
        "-{family}",
        "1{family}",
        "{given}.{family}.",
        "{given}-",
        "{given}..{family}",
        "{given}.-{family}",
        "abcdefghijklmnopqrst{family}",
        "{given}{birth_year}{birth_year}{birth_year}{birth_year}{birth_year}",
    ],
)
def test_invalid_templates(template: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_template(template)
    assert excinfo.value.field == "template"
    with pytest.raises(ValidationError) as excinfo:
        base_username("Anna", "Müller", template=template, birth_date=BORN)
    assert excinfo.value.field == "template"


@pytest.mark.parametrize(
    "template",
    [DEFAULT_TEMPLATE, "{family}", "{given_initial}{family_initial}{birth_year}", "x{yy}{given}"],
)
def test_valid_templates(template: str) -> None:
    validate_template(template)  # raises if not


@pytest.mark.parametrize("template", ["{family}{yy}", "{given}.{family}.{birth_year}"])
def test_birth_date_required_by_template(template: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        base_username("Anna", "Müller", template=template)
    assert excinfo.value.field == "birth_date"


# ---------------------------------------------------------------- is_valid_username


@pytest.mark.parametrize(
    "name",
    ["anna.mueller", "a", "user", "user2", "anna-lena.schmidt", "s12.mueller", "a" * MAX_LENGTH],
)
def test_valid_usernames(name: str) -> None:
    assert is_valid_username(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Anna",
        "2anna",
        ".anna",
        "-anna",
        "anna.",
        "anna-",
        "anna..mueller",
        "anna--lena",
        "anna.-lena",
        "anna_mueller",
        "anna mueller",
        "anna\n",
        "müller",
        "а" + "nna",  # Cyrillic а
        "a" * (MAX_LENGTH + 1),
    ],
)
def test_invalid_usernames(name: str) -> None:
    assert not is_valid_username(name)


# ---------------------------------------------------------------- counters


@pytest.mark.parametrize(
    ("base", "n", "expected"),
    [
        ("anna.mueller", 1, "anna.mueller"),
        ("anna.mueller", 2, "anna.mueller2"),
        ("anna.mueller", 13, "anna.mueller13"),
        ("abcdefghijklmnopqrst", 2, "abcdefghijklmnopqrs2"),
        ("abcdefghijklmnopqrst", 10, "abcdefghijklmnopqr10"),
        # No "." or "-" right before the counter.
        ("abcdefghijklmnopqr.s", 2, "abcdefghijklmnopqr2"),
        ("abcdefghijklmnopq-rs", 10, "abcdefghijklmnopq10"),
        ("maximilian.schulze-w", 2, "maximilian.schulze2"),
    ],
)
def test_with_counter(base: str, n: int, expected: str) -> None:
    result = with_counter(base, n)
    assert result == expected
    assert is_valid_username(result)


@pytest.mark.parametrize("n", [0, -1])
def test_counter_starts_at_one(n: int) -> None:
    with pytest.raises(ValidationError):
        with_counter("anna", n)


def test_counter_needs_a_valid_base() -> None:
    with pytest.raises(ValidationError):
        with_counter("Anna Müller", 2)


@pytest.mark.parametrize("n", [10 ** (MAX_LENGTH - 1), 10**MAX_LENGTH, 10 ** (MAX_LENGTH + 5)])
def test_counter_longer_than_the_name_allows(n: int) -> None:
    with pytest.raises(ValidationError) as excinfo:
        with_counter("anna", n)
    assert excinfo.value.field == "n"


def test_longest_counter_that_fits() -> None:
    n = 10 ** (MAX_LENGTH - 2)
    assert with_counter("anna", n) == f"a{n}"


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        (set(), "anna.mueller"),
        ({"anna.mueller"}, "anna.mueller2"),
        ({"anna.mueller", "anna.mueller2"}, "anna.mueller3"),
        ({"anna.mueller", "anna.mueller3"}, "anna.mueller2"),  # lowest free counter
        ({"anna.mueller2"}, "anna.mueller"),
    ],
)
def test_pick_username(taken: set[str], expected: str) -> None:
    assert pick_username("anna.mueller", taken.__contains__) == expected


def test_pick_username_on_a_full_length_base() -> None:
    base = "maximilian.schumache"
    taken: set[str] = set()
    for _ in range(12):
        taken.add(pick_username(base, taken.__contains__))
    assert len(taken) == 12
    assert all(is_valid_username(name) for name in taken)
    assert "maximilian.schumach2" in taken
    assert "maximilian.schumac12" in taken


# ---------------------------------------------------------------- the city's names


def _name_pool(module: object, attribute: str) -> list[str]:
    pool: object = getattr(module, attribute)
    assert isinstance(pool, list)
    names = [name for name in pool if isinstance(name, str)]
    assert names, f"citygen.{attribute} is empty"
    assert len(names) == len(pool), f"citygen.{attribute} holds a non-string"
    return names


@pytest.fixture(scope="module")
def city_names() -> tuple[list[str], list[str]]:
    if not CITYGEN.is_file():
        pytest.skip(f"{CITYGEN} is missing: the city generator lives in the shared tree")
    spec = importlib.util.spec_from_file_location("citygen", CITYGEN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    given = _name_pool(module, "GIVEN_F") + _name_pool(module, "GIVEN_M")
    return given, _name_pool(module, "FAMILY")


def test_every_city_name_gives_a_valid_username(
    city_names: tuple[list[str], list[str]],
) -> None:
    given_names, family_names = city_names
    bad = []
    for given in given_names:
        for family in family_names:
            name = base_username(given, family)
            valid = is_valid_username(name) and name.isascii() and len(name) <= MAX_LENGTH
            # Every city name is in Latin script: none may need the fallback.
            if not valid or name == "user":
                bad.append((given, family, name))
    assert bad == []


def test_every_city_name_with_two_given_names(city_names: tuple[list[str], list[str]]) -> None:
    given_names, family_names = city_names
    for first, second in zip(given_names, reversed(given_names), strict=True):
        for family in family_names:
            assert base_username(f"{first} {second}", family) == base_username(first, family)


def test_city_usernames_are_unique(city_names: tuple[list[str], list[str]]) -> None:
    given_names, family_names = city_names
    taken: set[str] = set()
    picked: list[str] = []
    for given in given_names:
        for family in family_names:
            name = pick_username(base_username(given, family), taken.__contains__)
            taken.add(name)
            picked.append(name)
    assert len(picked) == len(given_names) * len(family_names)
    assert len(set(picked)) == len(picked)
    assert all(is_valid_username(name) for name in picked)
    # The pools repeat some given names ("Lea", "Jan"), so counters must have been used.
    assert any(name[-1].isdigit() for name in picked)
