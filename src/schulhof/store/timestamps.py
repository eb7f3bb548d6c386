"""Reading timestamps back: SQLite hands out naive datetimes; everything is stored in UTC."""

from __future__ import annotations

import datetime as dt
from typing import overload


@overload
def aware(value: dt.datetime) -> dt.datetime: ...
@overload
def aware(value: None) -> None: ...
@overload
def aware(value: dt.datetime | None) -> dt.datetime | None: ...
def aware(value: dt.datetime | None) -> dt.datetime | None:
    """`value` with its time zone (UTC where the driver dropped it); None stays None."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)
