"""The floor: plain Python reading the OneRoster CSV files and bulk-inserting the rows.

Standard library only (csv + sqlite3), nothing of schulhof: every `*.csv` file of the
folder becomes one table of TEXT columns (named after the header) in a fresh SQLite file
(WAL, synchronous=NORMAL), all rows inserted with `executemany` in one transaction.
The time runs from opening the first file to the commit.

    python bench/floor.py CSV_DIR DB_FILE

Prints one line `BENCH_RESULT {json}` with `seconds`, `rows` (per table) and `peak_rss_kib`.
"""

from __future__ import annotations

import csv
import json
import resource
import sqlite3
import sys
import time
from pathlib import Path

MARKER = "BENCH_RESULT "


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fresh_database(db_file: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    db_file.parent.mkdir(parents=True, exist_ok=True)


def load(csv_dir: Path, db_file: Path) -> tuple[float, dict[str, int]]:
    """Insert every CSV file of `csv_dir` into `db_file`; (seconds, rows per table)."""
    files = sorted(csv_dir.glob("*.csv"))
    if not files:
        raise SystemExit(f"floor: no CSV files in {csv_dir}")
    conn = sqlite3.connect(db_file, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    rows: dict[str, int] = {}
    started = time.perf_counter()
    conn.execute("BEGIN")
    for path in files:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header:
                continue
            table = _quote(path.stem)
            columns = ", ".join(f"{_quote(c)} TEXT" for c in header)
            conn.execute(f"CREATE TABLE {table} ({columns})")
            params = ", ".join("?" * len(header))
            cur = conn.executemany(f"INSERT INTO {table} VALUES ({params})", reader)
            rows[path.stem] = cur.rowcount
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, rows


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    csv_dir, db_file = Path(argv[0]), Path(argv[1])
    fresh_database(db_file)
    seconds, rows = load(csv_dir, db_file)
    result = {
        "kind": "floor",
        "seconds": seconds,
        "rows": rows,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print(MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
