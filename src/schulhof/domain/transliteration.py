"""Fold a person's name into lowercase ASCII, the raw material of usernames.

Contract of `fold(text)`:

- The result contains only `a-z`, `0-9`, the hyphen `-` and the single space ` `.
- A space marks a word boundary ("Anna Lena" → "anna lena"), a hyphen a hyphen
  ("Anna-Lena" → "anna-lena"; every dash variant counts as a hyphen). Runs of separators
  collapse to one, a run that contains a hyphen becomes a hyphen ("Müller - Lüdenscheidt"
  → "mueller-luedenscheidt"); the result never starts or ends with a separator.
- Apostrophes vanish without a boundary ("D'Angelo" → "dangelo", "O’Connor" → "oconnor").
- Every other punctuation mark, symbol or whitespace is a word boundary.
- Letters of scripts without a table here (Arabic, Hebrew, CJK, …) are dropped, so a name
  written only in such a script folds to "". Callers must cope with the empty string
  (`usernames.base_username` falls back).
- Deterministic and idempotent: `fold(fold(x)) == fold(x)`.

How: the text is composed (NFC) and lowercased, then each character is looked up in
`_SPECIAL` (German rules first, then letters that have no Unicode decomposition, Cyrillic,
Greek, apostrophes, dashes); anything else is decomposed (NFKD) and its marks dropped, so
"é" → "e", "ğ" → "g", "ễ" → "e", "ﬁ" → "fi", "Ａ" → "a".

Why ö → "oe" but ø → "o": "oe" is the established German substitute for "ö" (and "ae",
"ue", "ss" for "ä", "ü", "ß"), the one a German school office, a German parent and German
school IT all expect: Müller is "mueller", never "muller". It applies to every name, so the
Turkish "Öztürk" becomes "oeztuerk" too — that is the convention of German school IT, and
it keeps one rule per letter instead of guessing a name's language. "ø" is not a German
letter; the issue that defined these rules asks for "ø" → "o" (Søren → "soren"), so that is
what we do, although Danish/Norwegian practice (and ICAO 9303) would write "oe". Change
the table entry, not the code, if that decision is revisited.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

# German rules: the reason this table is consulted before decomposition. NFKD would turn
# "ä" into "a" + combining diaeresis and lose the German "ae".
_GERMAN: Final[dict[str, str]] = {
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "ß": "ss",  # "ẞ" lowercases to "ß"
}

# Latin letters that have no Unicode decomposition, so NFKD alone would drop them.
_LATIN_UNDECOMPOSABLE: Final[dict[str, str]] = {
    "ł": "l",  # Polish
    "ı": "i",  # Turkish dotless i ("İ" lowercases to "i" + combining dot, handled by NFKD)
    "đ": "d",  # Vietnamese, Croatian, Serbian
    "ø": "o",  # Danish, Norwegian: the rule, see the module docstring
    "æ": "ae",
    "œ": "oe",
    "þ": "th",  # Icelandic
    "ð": "d",  # Icelandic
    "ħ": "h",  # Maltese
    "ŧ": "t",  # Sami
    "ŋ": "ng",  # Sami
    "ə": "a",  # Azerbaijani: Əliyev is written Aliyev in Latin documents
    "ĸ": "k",
    "ƒ": "f",
}

# Cyrillic (Russian, Ukrainian, Belarusian, Serbian, Macedonian), a practical romanisation
# of the kind used in everyday German and English text. One letter, one rule: "г" is "g"
# (Russian reading) although Ukrainian romanisation writes "h", and "и" is "i" although
# Ukrainian writes "y" — a letter table cannot know the language, and in practice the
# school office already holds the Latin spelling from the passport; this is the fallback.
# "ё" is "e" because Russian print mostly writes it as "е": both spellings of a name fold
# alike.
_CYRILLIC: Final[dict[str, str]] = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ґ": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "є": "ye",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "і": "i",
    "ї": "yi",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ў": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ђ": "dj",
    "ј": "j",
    "љ": "lj",
    "њ": "nj",
    "ћ": "c",
    "џ": "dz",
    "ѓ": "gj",
    "ќ": "kj",
    "ѕ": "dz",
}

# Greek, letter by letter after ELOT 743 in its simplest form. The one digraph that a
# letter table gets visibly wrong, "ου" → "ou", is handled in `_GREEK_DIGRAPHS`.
_GREEK: Final[dict[str, str]] = {
    "α": "a",
    "β": "v",
    "γ": "g",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "i",
    "θ": "th",
    "ι": "i",
    "κ": "k",
    "λ": "l",
    "μ": "m",
    "ν": "n",
    "ξ": "x",
    "ο": "o",
    "π": "p",
    "ρ": "r",
    "σ": "s",
    "ς": "s",
    "τ": "t",
    "υ": "y",
    "φ": "f",
    "χ": "ch",
    "ψ": "ps",
    "ω": "o",
}
_GREEK_DIGRAPHS: Final[re.Pattern[str]] = re.compile("ο[υύ]")

# Apostrophes and look-alikes join the parts around them: D'Angelo is one word.
_APOSTROPHES: Final[dict[str, str]] = dict.fromkeys("'’‘ʼʻ`´′", "")

# Every dash is a hyphen (names typed in word processors arrive with en dashes).
_DASHES: Final[dict[str, str]] = dict.fromkeys("-‐‑‒–—―−﹣－", "-")

_SPECIAL: Final[dict[str, str]] = {
    **_GERMAN,
    **_LATIN_UNDECOMPOSABLE,
    **_CYRILLIC,
    **_GREEK,
    **_APOSTROPHES,
    **_DASHES,
}

_SEPARATOR_RUN: Final[re.Pattern[str]] = re.compile("[ -]+")


@functools.lru_cache(maxsize=65536)  # names repeat a lot: a city has ~300 given names
def fold(text: str) -> str:
    """Return `text` as lowercase ASCII letters and digits, with " " and "-" as separators."""
    # NFC first so that a decomposed "a" + U+0308 meets the German rule as "ä".
    lowered = unicodedata.normalize("NFC", text).lower()
    lowered = _GREEK_DIGRAPHS.sub("ou", lowered)
    out: list[str] = []
    for char in lowered:
        special = _SPECIAL.get(char)
        if special is not None:
            out.append(special)
            continue
        for part in unicodedata.normalize("NFKD", char):
            out.append(_fold_decomposed(part))
    return _tidy_separators("".join(out))


def _fold_decomposed(char: str) -> str:
    """Fold one character of an NFKD decomposition; "" drops it, " " makes a boundary."""
    special = _SPECIAL.get(char)
    if special is not None:  # e.g. Greek "ά" decomposes to "α" + tonos
        return special
    if char.isascii():
        # Compatibility forms can decompose to capitals ("ℌ" → "H").
        return char.lower() if char.isalnum() else " "
    category = unicodedata.category(char)
    if category.startswith("M"):
        return ""  # accents, tone marks, the dot of "İ"
    if category.startswith("L"):
        return ""  # a script without a table here; see the module docstring
    if category == "Nd":
        return str(unicodedata.decimal(char))  # Arabic-Indic and other decimal digits
    return " "


def _tidy_separators(text: str) -> str:
    def collapse(match: re.Match[str]) -> str:
        return "-" if "-" in match.group() else " "

    return _SEPARATOR_RUN.sub(collapse, text).strip(" -")
