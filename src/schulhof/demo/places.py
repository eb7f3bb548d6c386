"""School names of the demo city: "Grundschule Am Lindener Markt", "Lise-Meitner-Gymnasium",
"Berufsbildende Schule 4 – Ernährung, Hauswirtschaft und Pflege". Unique within the city.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from schulhof.domain.model import SchoolType

PLACES = (
    "Am Lindener Markt", "An der Eilenriede", "Am Maschsee", "Im Kreuzkampe", "Am Welfenplatz",
    "Auf der Bult", "Am Ihmeufer", "Hinter der Burg", "In der Steintormasch", "Am Küchengarten",
    "An der Lutherkirche", "Am Friedrichswall", "Im Heidland", "Am Kronsberg", "Am Tiergarten",
    "Am Annateich", "An der Wasserstadt", "Am Pferdeturm", "Im Spargelfeld", "Am Fössebad",
    "An der Marktkirche", "Am Listholze", "Auf dem Emmerberg", "Am Hohen Ufer", "Im Wiesengrund",
    "An der Ihme", "Am Mittellandkanal", "Am Stadtwald", "In den Sieben Stücken", "Am Brabrinke",
    "Am Schiffgraben", "Am Kanalufer", "Im Grünen Winkel", "An der Apostelkirche", "Am Moorhof",
    "An der Strangriede", "Am Vahrenwalder Park", "Im Rehmer Feld", "Am Georgengarten",
    "An den Rehbockwiesen", "Am Rodelberg", "An der Fösse", "Im Lindenhofe", "Am Sonnenweg",
    "Am Holzgraben", "An der Wietze", "Am Benther Berg", "Im Haspelfelde", "An der Leinemasch",
    "Am Döhrener Turm", "Am Seelhorster Kreuz", "Im Büntefeld", "Auf der Horst", "Am Gleisdreieck",
    "Am Ricklinger Holz", "An der Wülfeler Brücke", "Im Nackenberg", "Am Große-Kurfürsten-Platz",
    "An der Vahrenheider Kirche", "Am Kleefelder Bahnhof", "Im Hägenfeld", "Am Mühlengraben",
    "Am Roderbruch", "An den Schollwiesen", "An der Kirchröder Masch", "Am Bornumer Holz",
    "An der Schwanenburg", "Im Kolonnenweg", "Am Stöckener Friedhof", "An der Ledeburg",
)  # fmt: skip
DISTRICTS = (
    "Vinnhorst", "Lahe", "Bult", "Zoo", "Mitte", "Marienwerder", "Bornum", "Ricklingen",
    "Vahrenwald", "Vahrenheide", "Sahlkamp", "Kleefeld", "Heideviertel", "Hainholz", "Nordhafen",
    "Leinhausen", "Linden-Nord", "Linden-Mitte", "Seelhorst", "Mittelfeld", "Wülferode",
    "Kronsberg", "Isernhagen-Süd", "Misburg-Nord", "Groß-Buchholz", "Bemerode", "Döhren",
    "Waldhausen", "Waldheim", "Calenberger Neustadt", "Zoo-Süd", "Sahlkamp-Mitte",
)  # fmt: skip
NAMESAKES = (
    "Lise-Meitner", "Käthe-Kollwitz", "Hannah-Arendt", "Ricarda-Huch", "Georg-Büchner",
    "Wilhelm-Raabe", "Sophie-Scholl", "Gottfried-Wilhelm-Leibniz", "Caroline-Herschel",
    "Hölty", "Elisabeth-Selbert", "Bertha-von-Suttner", "Kurt-Schwitters", "Theodor-Heuss",
)  # fmt: skip
SUPPORT_FOCUS = (
    "Lernen", "Sprache", "geistige Entwicklung", "emotionale und soziale Entwicklung",
    "körperliche und motorische Entwicklung", "Hören", "Sehen",
)  # fmt: skip
VOCATIONAL_FOCUS = (
    "Wirtschaft und Verwaltung", "Technik", "Gesundheit und Soziales",
    "Ernährung, Hauswirtschaft und Pflege", "Medien und Gestaltung", "Elektrotechnik",
    "Bau- und Holztechnik", "Handel", "Metalltechnik", "Sozialpädagogik",
)  # fmt: skip


def school_names(rng: random.Random, kinds: Sequence[tuple[SchoolType, str]]) -> list[str]:
    """One name for each (type, label) — label as "Grundschule" — all different."""
    places = _Drawer(rng, PLACES)
    districts = _Drawer(rng, DISTRICTS)
    used: set[str] = set()
    vocational = 0
    names: list[str] = []
    for school_type, label in kinds:
        if school_type is SchoolType.BBS:
            focus = VOCATIONAL_FOCUS[vocational % len(VOCATIONAL_FOCUS)]
            vocational += 1
            name = f"{label} {vocational} – {focus}"
        elif school_type is SchoolType.GY and rng.random() < 0.5:
            name = f"{rng.choice(NAMESAKES)}-Gymnasium"
        elif school_type is SchoolType.FOES:
            name = f"{label} {rng.choice(SUPPORT_FOCUS)} {places.next()}"
        elif school_type in (SchoolType.IGS, SchoolType.OBS):
            name = f"{label} {districts.next()}"
        else:
            name = f"{label} {places.next()}"
        names.append(_unique(name, used))
    return names


class _Drawer:
    """Draws without putting back, so names repeat only once the pool is used up."""

    def __init__(self, rng: random.Random, pool: Sequence[str]) -> None:
        self._rng = rng
        self._pool = pool
        self._left: list[str] = []

    def next(self) -> str:
        if not self._left:
            self._left = self._rng.sample(self._pool, len(self._pool))
        return self._left.pop()


def _unique(name: str, used: set[str]) -> str:
    """A second school of the same name gets a Roman numeral, as towns do it."""
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name} {_ROMAN[n] if n < len(_ROMAN) else n}"
    used.add(candidate)
    return candidate


_ROMAN = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
