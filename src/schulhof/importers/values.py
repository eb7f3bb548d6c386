"""Reading the values inside CSV fields: dates, booleans, lists.

Parsers remember what they have seen: a city has many people born on the same day, and
`strptime` is slow.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


def parse_bool(value: str) -> bool | None:
    """`true`/`TRUE`/`True` (also yes/1) and their opposites; None for anything else."""
    low = value.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return None


def split_list(value: str, separator: str = ",") -> list[str]:
    """The items of a multi-value field, stripped, empty items dropped."""
    if not value:
        return []
    if separator not in value:
        return [value]
    return [item for item in (part.strip() for part in value.split(separator)) if item]


class DateParser:
    """Parses dates of one format; returns None for anything that is not a real date.

    `fmt` None means ISO 8601 `yyyy-mm-dd` (OneRoster); otherwise a `strptime` format.
    """

    def __init__(self, fmt: str | None = None) -> None:
        self.fmt = fmt
        self._seen: dict[str, dt.date | None] = {}

    def __call__(self, text: str) -> dt.date | None:
        try:
            return self._seen[text]
        except KeyError:
            pass
        value: dt.date | None
        try:
            if self.fmt is None:
                # fromisoformat also takes `20150201` and week dates; the spec says yyyy-mm-dd.
                ok = len(text) == 10 and text[4] == "-" and text[7] == "-"
                value = dt.date.fromisoformat(text) if ok else None
            else:
                value = dt.datetime.strptime(text, self.fmt).date()
        except ValueError:
            value = None
        self._seen[text] = value
        return value

    @property
    def expected(self) -> str:
        """The format as people write it, for error messages."""
        if self.fmt is None:
            return "yyyy-mm-dd"
        return (
            self.fmt.replace("%d", "dd")
            .replace("%m", "mm")
            .replace("%Y", "yyyy")
            .replace("%y", "yy")
        )


def is_datetime(text: str) -> bool:
    """Whether `text` is an ISO 8601 date-time such as `2026-08-25T06:00:00.000Z` (a plain
    date is let through too)."""
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cycle collector while a reader builds millions of small objects.

    The rows and records hold no reference cycles; without this the collector walks the
    growing heap again and again, a third of the run time for a city-sized roster.
    The previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
