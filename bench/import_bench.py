"""One measured step of the import benchmark, in a fresh process (run by bench/run.py).

    python bench/import_bench.py import --db URL --source oneroster|sis PATH
    python bench/import_bench.py parse PATH          # read_oneroster(PATH) alone

`import` opens the directory (`open_services`, which migrates an empty database), then
times `import_path(..., approve=True)` as the system actor "bench". `parse` times
`read_oneroster` alone. Either prints one line `BENCH_RESULT {json}` with the wall time
of the measured call, the report summary (imports) or the feed's sizes (parse), and the
process's peak RSS (`ru_maxrss`, KiB on Linux).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

MARKER = "BENCH_RESULT "


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_import(db_url: str, source: str, path: Path) -> dict[str, Any]:
    from schulhof.access.actors import system
    from schulhof.importers.pipeline import import_path
    from schulhof.services.runtime import open_services

    t = time.perf_counter()
    services = open_services(db_url)
    open_seconds = time.perf_counter() - t
    try:
        t = time.perf_counter()
        report = import_path(services, system("bench"), source, path, approve=True)
        wall = time.perf_counter() - t
        summary = report.summary()
    finally:
        services.engine.dispose()
    # Keep the line short: the counts matter here, not the row-level detail.
    summary["errors"] = len(summary.get("errors", []))
    summary["notes"] = len(summary.get("notes", []))
    return {
        "kind": "import",
        "source": source,
        "path": str(path),
        "backend": services.backend,
        "open_seconds": open_seconds,
        "seconds": wall,
        "summary": summary,
        "peak_rss_kib": _peak_rss_kib(),
    }


def run_parse(path: Path) -> dict[str, Any]:
    from schulhof.importers.oneroster import read_oneroster

    t = time.perf_counter()
    feed = read_oneroster(path)
    wall = time.perf_counter() - t
    return {
        "kind": "parse",
        "path": str(path),
        "seconds": wall,
        "sizes": {
            "schools": len(feed.schools),
            "persons": len(feed.persons),
            "groups": len(feed.groups),
            "memberships": len(feed.memberships),
            "errors": len(feed.errors),
        },
        "peak_rss_kib": _peak_rss_kib(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="time import_path into a directory")
    imp.add_argument("--db", required=True, help="SQLAlchemy URL of the directory")
    imp.add_argument("--source", required=True, choices=["oneroster", "sis"])
    imp.add_argument("path", type=Path)
    parse = sub.add_parser("parse", help="time read_oneroster alone")
    parse.add_argument("path", type=Path)
    args = parser.parse_args(argv)

    if args.command == "import":
        result = run_import(args.db, args.source, args.path)
    else:
        result = run_parse(args.path)
    print(MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
