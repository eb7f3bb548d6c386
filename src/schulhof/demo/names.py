"""Name pools of the demo city, as a German school office would write them down.

The pools carry the difficulties real data brings to a directory: umlauts and ß, Turkish
ı/ğ/ş, Polish ł/ż/ą and gendered family names (Kowalski / Kowalska), Ukrainian names in
the Latin transliteration of their passports (Oksana Shevchenko), Arabic names in Latin
letters with articles and spaces (Al-Masri, Abu Rashid), Vietnamese names with their
stacked diacritics (Nguyễn, Đức), double given names (Anna Lena), hyphenated family names
(Müller-Lüdenscheidt), name particles (von der Heide, de Vries) and apostrophes (D'Angelo).
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass


class NameOrigin(enum.StrEnum):
    """Where a name comes from; it decides the pools and which difficulties it brings."""

    GERMAN = "german"
    TURKISH = "turkish"
    POLISH = "polish"
    UKRAINIAN = "ukrainian"
    ARABIC = "arabic"
    VIETNAMESE = "vietnamese"
    SOUTHERN_EUROPEAN = "southern_european"  # Italian, Greek, Portuguese


def _pool(text: str) -> tuple[str, ...]:
    """Entries separated by commas (a name may hold spaces: "Abu Rashid")."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _gendered(text: str) -> tuple[tuple[str, str], ...]:
    """Family names as "masculine/feminine" (Polish -ski/-ska); one form serves both."""
    pairs = []
    for entry in _pool(text):
        male, _, female = entry.partition("/")
        pairs.append((male, female or male))
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class Pools:
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[tuple[str, str], ...]  # (masculine, feminine)
    double_given: float  # share of people with two given names
    # Hyphenated names and names with particles are rarer than a plain pool makes them.
    compound: tuple[tuple[str, str], ...] = ()
    compound_share: float = 0.0
    # Given names of the parents' generation: teachers have them, students do not.
    adult_female: tuple[str, ...] = ()
    adult_male: tuple[str, ...] = ()


POOLS: dict[NameOrigin, Pools] = {
    NameOrigin.GERMAN: Pools(
        female=_pool("""Mathilda, Helene, Carla, Romy, Jule, Lisa, Annika, Friederike, Tabea,
            Hedda, Luise, Marlene, Antonia, Rieke, Malin, Enna, Thea, Ronja, Ylvi, Käthe,
            Leni, Anna, Lena, Marie, Sophie, Hanna-Lou, Lisa-Marie, Henrike, Insa, Merle"""),
        male=_pool("""Hannes, Lennart, Jannik, Malte, Henrik, Mattis, Bennet, Carl, Friedrich,
            Georg, Konstantin, Leopold, Vincent, Johann, Fiete, Hinnerk, Kai, Lasse, Piet,
            Arne, Jan-Hendrik, Benedikt, Tjark, Enno, Frederik, Jonte, Bruno, Anton"""),
        adult_female=_pool("""Sabine, Ulrike, Birte, Anke, Svenja, Wiebke, Jördis, Gesa,
            Mareike, Franziska, Kerstin, Heike, Dörte, Silke, Anne-Kathrin, Maren"""),
        adult_male=_pool("""Torben, Jörg, Jens, Sönke, Ansgar, Wolfgang, Ulf, Detlef, Rüdiger,
            Hans-Jürgen, Matthias, Gerrit, Bastian, Dirk, Uwe, Kai-Uwe, Björn, Thorsten"""),
        family=_gendered("""Brinkmann, Meinecke, Oltmanns, Lüders, Heitmann, Grüneberg, Wöhler,
            Rieckhoff, Sievers, Thiele, Strauß, Voß, Kloß, Nußbaum, Großmann, Weißenborn,
            Bußmann, Dreßler, Janßen, Ahrens, Bührmann, Timmermann, Kötter, Hüsing, Hölscher,
            Döring, Rübenkamp, Stührenberg, Lütjens, Fröhlich, Büttner, Jürgens, Köster,
            Wendt, Harms, Behrens, Tönnies, Reinecke, Gerdes, Meyer, Müller, Schulte, Bode,
            Niemeyer, Wilkening, Oetjen, Hagedorn, Flügge, Kruse, Böttcher, Rohde"""),
        compound=_gendered("""Müller-Lüdenscheidt, Brinkmann-Oltrogge, Schulte-Bockholt,
            Voß-Andreae, Wöhler-Gutzeit, Meyer-Thölken, Kaya-Brinkmann, Nowak-Jürgens,
            von der Heide, de Vries, von Hagen, zu Klampen, van Dyk, ten Brink,
            von Alvensleben, de Boer, zur Mühlen, auf dem Kampe, van der Linde"""),
        compound_share=0.07,
        double_given=0.08,
    ),
    NameOrigin.TURKISH: Pools(
        female=_pool("""Gizem, Sıla, İpek, Merve, Tuğba, Özge, Şeyma, Nisa, Irmak, Beren,
            Ceren, Dilara, Eylül, Asya, Öykü, Nazlı"""),
        male=_pool("""Barış, Oğuz, Burak, Doğukan, Eren, İsmail, Yiğit, Uğur, Alper, Efe,
            Görkem, Arda, Kaan, Çınar"""),
        adult_female=_pool("Ebru, Hülya, Gülşen, Çiğdem, Sevgi, Nurten"),
        adult_male=_pool("Serkan, Hakan, Kadir, Tolga, Selçuk, İlker"),
        family=_gendered("""Güneş, Koç, Kurt, Özkan, Polat, Erdoğan, Aktaş, Karaca, Şimşek,
            Bulut, Korkmaz, Tekin, Akgül, Uçar, Ünal, Işık, Gündoğdu, Altıntaş, Kılınç,
            Bozkurt, Sarıkaya, Ateş, Çakır, Duman"""),
        double_given=0.03,
    ),
    NameOrigin.POLISH: Pools(
        female=_pool("""Zuzanna, Oliwia, Magdalena, Katarzyna, Joanna, Aleksandra, Kinga,
            Izabela, Weronika, Ilona"""),
        male=_pool("""Szymon, Kacper, Bartłomiej, Mikołaj, Jarosław, Krzysztof, Paweł, Tomasz,
            Maciej, Dawid, Radosław"""),
        adult_female=_pool("Dorota, Jadwiga, Bożena, Grażyna, Urszula"),
        adult_male=_pool("Grzegorz, Przemysław, Zbigniew, Stanisław"),
        family=_gendered("""Dąbrowski/Dąbrowska, Jabłoński/Jabłońska, Grabowski/Grabowska,
            Mazur, Krawczyk, Piotrowski/Piotrowska, Górski/Górska, Sikora, Wróbel, Stępień,
            Żak, Przybylski/Przybylska, Kaczmarek, Pawłowski/Pawłowska, Michalak,
            Błaszczyk, Zając, Król, Wieczorek, Jankowski/Jankowska"""),
        double_given=0.02,
    ),
    NameOrigin.UKRAINIAN: Pools(
        female=_pool("""Oksana, Yuliia, Kateryna, Olena, Iryna, Khrystyna, Anastasiia,
            Yevheniia, Daryna, Solomiia, Viktoriia, Zlata"""),
        male=_pool("""Oleksandr, Andrii, Dmytro, Serhii, Yurii, Mykhailo, Bohdan, Taras,
            Yaroslav, Maksym, Illia"""),
        adult_female=_pool("Nataliia, Tetiana, Liudmyla, Halyna"),
        adult_male=_pool("Vitalii, Oleh, Volodymyr, Hryhorii"),
        family=_gendered("""Shevchenko, Bondar, Kravchuk, Hrytsenko, Lysenko, Moroz, Savchuk,
            Romanenko, Tkachuk, Kovalchuk, Marchenko, Boiko, Yatsenko, Zhuk, Oliinyk,
            Pavlenko, Kovalskyi/Kovalska, Zelinskyi/Zelinska, Khomenko, Yurchenko,
            Shcherbak, Prykhodko"""),
        double_given=0.0,
    ),
    NameOrigin.ARABIC: Pools(
        female=_pool("""Rania, Dalia, Huda, Nour, Salma, Amira, Rasha, Ghazal, Lamis, Rahaf,
            Sidra, Batoul, Hiba, Joudi, Shahd"""),
        male=_pool("""Khaled, Bilal, Samir, Tarek, Yassin, Anas, Mahmoud, Hussam, Abdullah,
            Ziad, Mohamad, Ayham, Majd, Obada, Mustafa"""),
        family=_gendered("""Al-Masri, Hamdan, Darwish, Youssef, Ibrahim, El-Zein, Abu Rashid,
            Qasim, Sabbagh, Barakat, Al-Khatib, Hussein, Omeirat, Aziz, Abdel Rahman,
            Al Hamwi, Shaaban, El Khoury, Abou Chakra, Jaber"""),
        double_given=0.05,
    ),
    NameOrigin.VIETNAMESE: Pools(
        female=_pool("""Thu Hà, Hương, Phương, Ngọc Ánh, Lan Anh, Thúy, Hằng, Diệu Linh,
            Minh Thư, Bảo Ngọc, Khánh Vy, Quỳnh"""),
        male=_pool("""Đức, Quang Minh, Văn Hùng, Khánh, Thắng, Bảo, Duy, Phúc, Hoàng Long,
            Tiến Đạt, Gia Huy, Việt"""),
        family=_gendered("""Nguyễn, Trần, Lê, Đặng, Bùi, Đỗ, Ngô, Dương, Lý, Võ, Đinh, Trương"""),
        double_given=0.0,  # the pools hold the two-part given names as one
    ),
    NameOrigin.SOUTHERN_EUROPEAN: Pools(
        female=_pool("""Giulia, Chiara, Francesca, Eleni, Inês, Sofía, Vasiliki, Beatriz,
            Alessia, Despina"""),
        male=_pool("""Giuseppe, Luca, Nikolaos, João, Niccolò, Dimitrios, Gonçalo, Andrea,
            Stavros, Rui"""),
        family=_gendered("""D'Angelo, D'Alessandro, Dell'Orto, De Luca, Papadopoulos,
            Oliveira da Silva, dos Santos, Dall'Acqua, Esposito, Karagiannis, Lo Bianco,
            Conceição, Pereira"""),
        double_given=0.04,
    ),
}

# Shares of origins in the demo city: students mirror a large German city's schools,
# teachers its staff rooms (fewer recent arrivals).
STUDENT_ORIGINS: dict[NameOrigin, int] = {
    NameOrigin.GERMAN: 60,
    NameOrigin.TURKISH: 11,
    NameOrigin.POLISH: 6,
    NameOrigin.UKRAINIAN: 6,
    NameOrigin.ARABIC: 9,
    NameOrigin.VIETNAMESE: 3,
    NameOrigin.SOUTHERN_EUROPEAN: 5,
}
TEACHER_ORIGINS: dict[NameOrigin, int] = {
    NameOrigin.GERMAN: 84,
    NameOrigin.TURKISH: 5,
    NameOrigin.POLISH: 3,
    NameOrigin.UKRAINIAN: 2,
    NameOrigin.ARABIC: 2,
    NameOrigin.VIETNAMESE: 1,
    NameOrigin.SOUTHERN_EUROPEAN: 3,
}


@dataclass(frozen=True, slots=True)
class Name:
    given: str
    family: str
    origin: NameOrigin


class NameMaker:
    """Draws names from the pools with one shared random generator; `adults` adds the
    given names of the parents' generation."""

    def __init__(self, rng: random.Random, shares: dict[NameOrigin, int], *, adults: bool) -> None:
        self._rng = rng
        self._given = {
            origin: (
                p.female + p.adult_female if adults else p.female,
                p.male + p.adult_male if adults else p.male,
            )
            for origin, p in POOLS.items()
        }
        self._origins = list(shares)
        self._cum_weights: list[int] = []
        total = 0
        for origin in self._origins:
            total += shares[origin]
            self._cum_weights.append(total)

    def name(self, female: bool) -> Name:
        rng = self._rng
        origin = rng.choices(self._origins, cum_weights=self._cum_weights)[0]
        pools = POOLS[origin]
        given_pool = self._given[origin][0 if female else 1]
        given = rng.choice(given_pool)
        if rng.random() < pools.double_given:
            second = rng.choice(given_pool)
            if second != given and "-" not in given and " " not in second:
                given = f"{given} {second}"
        compound = pools.compound and rng.random() < pools.compound_share
        male_form, female_form = rng.choice(pools.compound if compound else pools.family)
        return Name(given, female_form if female else male_form, origin)
