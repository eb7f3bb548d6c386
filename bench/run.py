"""Import benchmark (`make bench`): prints figures and ratios, never asserts timings.

Generates the benchmark city with citygen (cached in `.bench/`), measures a floor (plain
Python: csv + sqlite3 bulk insert of the same OneRoster files) and a parse-only baseline
(`read_oneroster`), then runs each import in its own fresh process on SQLite and
PostgreSQL:

    fresh directory → OneRoster import (day 0) → re-import (same files) → day-5 delta
    fresh directory → school-office (sis/) import (day 0) → re-import (same files)

and prints a table (seconds, ratio, peak RSS, per-stage seconds, counts) plus the machine.
Results also go to `.bench/results.json`. See bench/README.md.

    python bench/run.py                 # the default city (99 schools, 52,007 people)
    python bench/run.py --quick         # 10 schools / 5,000 students / 500 teachers (dev)
    python bench/run.py --schools 20 --students 10000 --teachers 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / ".bench"
DB_DIR = BENCH_DIR / "db"
RESULTS = BENCH_DIR / "results.json"
HERE = Path(__file__).resolve().parent
IMPORT_SCRIPT = HERE / "import_bench.py"
FLOOR_SCRIPT = HERE / "floor.py"
DEFAULT_CITYGEN = ROOT.parent / "shared" / "bench" / "citygen.py"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "schulhof_bench"
MARKER = "BENCH_RESULT "

QUICK = {"schools": 10, "students": 5000, "teachers": 500}
# The default city, as citygen makes it without size arguments.
DEFAULT_CITY = {"schools": 99, "users": 52007, "classes": 7415, "enrollments": 187628}

FIRST_LIMIT, FIRST_AIM = 15.0, 5.0
REIMPORT_LIMIT = 5.0
RSS_LIMIT_MIB = 1024.0

# Counts that must all be zero when an import finds nothing to do.
CHANGE_COUNTS = (
    "created",
    "updated",
    "moved",
    "disabled",
    "enabled",
    "schools_created",
    "groups_created",
    "groups_renamed",
    "groups_deleted",
    "memberships_added",
    "memberships_removed",
    "memberships_changed",
)


@dataclass(slots=True)
class Step:
    """One measured import, as the table shows it."""

    backend: str
    name: str
    result: dict[str, Any] | None
    ratio: float | None = None
    ratio_to: str = ""
    limit: float | None = None
    aim: float | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.result is None else float(self.result["seconds"])

    @property
    def summary(self) -> dict[str, Any]:
        return {} if self.result is None else dict(self.result["summary"])

    @property
    def rss_mib(self) -> float | None:
        return None if self.result is None else self.result["peak_rss_kib"] / 1024


@dataclass(slots=True)
class Bench:
    console: Console
    timeout: float
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.console.print(f"WARNING: {message}", markup=False, highlight=False)

    def say(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)

    def run(self, label: str, cmd: list[str]) -> dict[str, Any] | None:
        """Run one measurement in a fresh process; its result line, or None on failure."""
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            self.warn(f"{label}: no result within {self.timeout:.0f} s (killed)")
            return None
        process_seconds = time.perf_counter() - started
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARKER)]
        if proc.returncode != 0 or not lines:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
            self.warn(f"{label}: failed (exit {proc.returncode})\n{tail}")
            return None
        result: dict[str, Any] = json.loads(lines[-1][len(MARKER) :])
        result["process_seconds"] = process_seconds
        rss = result["peak_rss_kib"] / 1024
        self.say(f"  {label}: {result['seconds']:.2f} s, peak RSS {rss:.0f} MiB")
        if rss > RSS_LIMIT_MIB:
            self.warn(f"{label}: peak RSS {rss:.0f} MiB is over the 1 GiB limit")
        return result


# ---------------------------------------------------------------------------- data


def citygen_args(args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    for name in ("schools", "students", "teachers", "seed"):
        value = getattr(args, name)
        if value is not None:
            out += [f"--{name}", str(value)]
    return out


def ensure_city(bench: Bench, citygen: Path, size: list[str], day: int) -> Path:
    """The city of `day` (with the delta from day 0 if day > 0), generated once per args."""
    extra = ["--day", str(day)] + (["--delta-from", "0"] if day else [])
    key = "".join(f"-{a.lstrip('-')}" for a in size)
    folder = BENCH_DIR / f"city{day}{key}"
    stamp = {
        "args": size + extra,
        "citygen_sha256": hashlib.sha256(citygen.read_bytes()).hexdigest(),
    }
    stamp_file = folder / ".citygen.json"
    if stamp_file.exists() and json.loads(stamp_file.read_text()) == stamp:
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [sys.executable, str(citygen), "--out", str(tmp), *size, *extra]
    bench.say(f"generating {folder.relative_to(ROOT)}: citygen {' '.join(size + extra)}")
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    (tmp / ".citygen.json").write_text(json.dumps(stamp))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


# ------------------------------------------------------------------------ machine


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def machine_info() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem = next(
        (
            int(line.split()[1]) // 1024
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        None,
    )
    dirty = _git("status", "--porcelain", "--", "src")
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu,
        "memory_mib": mem,
        "python": f"{platform.python_version()} ({sys.executable})",
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,
        "platform": platform.platform(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "src_uncommitted_files": len(dirty.splitlines()) if dirty else 0,
        "loadavg_start": list(os.getloadavg()),
    }


# ---------------------------------------------------------------------- databases


def sqlite_url(name: str) -> str:
    path = DB_DIR / f"{name}.sqlite"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    DB_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def pg_admin(server: str, *statements: str) -> str:
    """Run statements on the server's `postgres` database (autocommit); last row's value."""
    import psycopg

    value = ""
    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as conn:
        for sql in statements:
            cur = conn.execute(sql)
            if cur.description:
                row = cur.fetchone()
                value = str(row[0]) if row else ""
    return value


def pg_fresh(server: str) -> str:
    pg_admin(
        server,
        f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)",
        f"CREATE DATABASE {PG_DATABASE}",
    )
    return f"{server}/{PG_DATABASE}"


def pg_drop(server: str) -> None:
    pg_admin(server, f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


# ------------------------------------------------------------------------ figures


def best(bench: Bench, label: str, cmd: list[str], repeat: int) -> dict[str, Any] | None:
    """Run `cmd` `repeat` times (fresh process each); the fastest result, with all times."""
    results = [r for i in range(repeat) if (r := bench.run(f"{label} #{i + 1}", cmd))]
    if not results:
        return None
    fastest = min(results, key=lambda r: float(r["seconds"]))
    fastest["runs"] = [round(float(r["seconds"]), 3) for r in results]
    return fastest


def import_cmd(db: str, source: str, path: Path) -> list[str]:
    return [sys.executable, str(IMPORT_SCRIPT), "import", "--db", db, "--source", source, str(path)]


def check_full_import(bench: Bench, step: Step, expect: dict[str, int]) -> None:
    s = step.summary
    if not s:
        return
    where = f"{step.backend} {step.name}"
    if s.get("errors") or s.get("held") or not s.get("applied"):
        bench.warn(
            f"{where}: errors={s.get('errors')} held={s.get('held')} applied={s.get('applied')}"
            f" {s.get('held_reasons') or ''}"
        )
    for key, want in expect.items():
        if s.get(key) != want:
            bench.warn(f"{where}: {key} = {s.get(key)}, expected {want}")
    if s.get("review"):
        bench.warn(f"{where}: {s['review']} records held for review on an empty directory")


def check_reimport(bench: Bench, step: Step, before: Step) -> None:
    s = step.summary
    if not s:
        return
    where = f"{step.backend} {step.name}"
    changed = {k: s.get(k) for k in CHANGE_COUNTS if s.get(k)}
    if changed:
        bench.warn(f"{where}: expected no changes, got {changed}")
    if s.get("errors") or s.get("held"):
        bench.warn(f"{where}: errors={s.get('errors')} held={s.get('held')}")
    previous = before.summary.get("last_seq")
    if previous is not None and s.get("last_seq") != previous:
        bench.warn(
            f"{where}: change log moved from seq {previous} to {s.get('last_seq')}"
            " (something was written)"
        )
    if before.summary and s.get("unchanged") != before.summary.get("created"):
        bench.warn(
            f"{where}: unchanged = {s.get('unchanged')}, but the import before created"
            f" {before.summary.get('created')}"
        )


def check_delta(bench: Bench, step: Step) -> None:
    s = step.summary
    if not s:
        return
    where = f"{step.backend} {step.name}"
    if s.get("errors") or s.get("held"):
        bench.warn(f"{where}: errors={s.get('errors')} held={s.get('held')}")
    if s.get("mode") != "delta":
        bench.warn(f"{where}: read as mode {s.get('mode')!r}, expected 'delta'")
    if not any(s.get(k) for k in CHANGE_COUNTS):
        bench.warn(f"{where}: the delta changed nothing")


def run_backend(
    bench: Bench,
    backend: str,
    pg_server: str,
    city0: Path,
    city5: Path,
    expect: dict[str, Any],
    floor: float | None,
    parse: float | None,
) -> list[Step]:
    def fresh(name: str) -> str:
        return sqlite_url(name) if backend == "sqlite" else pg_fresh(pg_server)

    bench.say(f"{backend}:")
    steps: list[Step] = []
    db = fresh("oneroster")
    first = Step(
        backend,
        "OneRoster first import",
        bench.run(
            f"{backend} OneRoster first import", import_cmd(db, "oneroster", city0 / "oneroster")
        ),
        limit=FIRST_LIMIT,
        aim=FIRST_AIM,
        ratio_to="floor",
    )
    again = Step(
        backend,
        "OneRoster re-import",
        bench.run(
            f"{backend} OneRoster re-import", import_cmd(db, "oneroster", city0 / "oneroster")
        ),
        limit=REIMPORT_LIMIT,
        ratio_to="parse",
    )
    delta = Step(
        backend,
        "OneRoster day-5 delta",
        bench.run(
            f"{backend} OneRoster day-5 delta",
            import_cmd(db, "oneroster", city5 / "oneroster-delta"),
        ),
    )
    db = fresh("sis")
    sis = Step(
        backend,
        "school-office import",
        bench.run(f"{backend} school-office import", import_cmd(db, "sis", city0 / "sis")),
    )
    sis_again = Step(
        backend,
        "school-office re-import",
        bench.run(f"{backend} school-office re-import", import_cmd(db, "sis", city0 / "sis")),
    )
    if first.seconds is not None and floor:
        first.ratio = first.seconds / floor
    if again.seconds is not None and parse:
        again.ratio = again.seconds / parse
    steps = [first, again, delta, sis, sis_again]

    check_full_import(bench, first, expect["oneroster"])
    check_reimport(bench, again, first)
    check_delta(bench, delta)
    check_full_import(bench, sis, expect["sis"])
    check_reimport(bench, sis_again, sis)
    for step in steps:
        if step.ratio is not None and step.limit is not None and step.ratio > step.limit:
            bench.warn(
                f"{backend} {step.name}: {step.ratio:.1f}× {step.ratio_to} is over the"
                f" {step.limit:.0f}× limit"
            )
    if backend == "postgresql":
        pg_drop(pg_server)
    return steps


def expectations(city0: Path) -> dict[str, Any]:
    """What a first import of city0 must create, from citygen's summary.json."""
    summary = json.loads((city0 / "summary.json").read_text())
    roster = summary["oneroster"]
    people = summary["people"]
    return {
        "oneroster": {
            "created": roster["users"],
            "schools_created": summary["schools"],
            "groups_created": roster["classes"],
            "memberships_added": roster["enrollments"],
        },
        # The school-office files carry everyone: students, teachers, administrators.
        "sis": {
            "created": sum(people.values()),
            "schools_created": summary["schools"],
        },
        "city": {
            "schools": summary["schools"],
            "people": roster["users"],
            "classes": roster["classes"],
            "enrollments": roster["enrollments"],
        },
    }


# ------------------------------------------------------------------------- output


def _f(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def verdict(step: Step) -> str:
    if step.result is None:
        return "FAILED"
    if step.ratio is None or step.limit is None:
        return ""
    if step.ratio > step.limit:
        return "OVER LIMIT"
    if step.aim is not None and step.ratio > step.aim:
        return "within limit, above aim"
    return "ok"


def render(
    console: Console,
    machine: dict[str, Any],
    city: dict[str, Any],
    floor: dict[str, Any] | None,
    parse: dict[str, Any] | None,
    steps: list[Step],
) -> None:
    console.print()
    console.print(
        f"Machine: {machine['nproc']} CPUs ({machine['cpu_model']}), "
        f"{machine['memory_mib']} MiB RAM; Python {machine['python']}; "
        f"SQLite {machine['sqlite']}; PostgreSQL {machine['postgresql'] or 'not measured'}",
        markup=False,
        highlight=False,
    )
    console.print(
        f"Code: commit {machine['commit']} with {machine['src_uncommitted_files']} uncommitted"
        f" file(s) under src/; load average {machine['loadavg_start'][0]:.2f} at start,"
        f" {machine['loadavg_end'][0]:.2f} at end",
        markup=False,
        highlight=False,
    )
    console.print(
        f"City: {city['schools']} schools, {city['people']:,} people, {city['classes']:,}"
        f" classes, {city['enrollments']:,} enrollments",
        markup=False,
        highlight=False,
    )

    base = Table(title="Baselines (best of the runs, each in a fresh process)")
    base.add_column("baseline")
    base.add_column("seconds", justify="right")
    base.add_column("runs", justify="right")
    base.add_column("peak RSS MiB", justify="right")
    for label, r in (
        ("floor: csv + sqlite3 executemany, one transaction", floor),
        ("parse: read_oneroster(city0/oneroster) alone", parse),
    ):
        base.add_row(
            label,
            _f(None if r is None else float(r["seconds"])),
            "—" if r is None else " ".join(f"{x:.2f}" for x in r["runs"]),
            _f(None if r is None else r["peak_rss_kib"] / 1024, 0),
        )
    console.print(base)

    main = Table(title="Imports (wall time of import_path, each in a fresh process)")
    for name, justify in (
        ("backend", "left"),
        ("import", "left"),
        ("seconds", "right"),
        ("ratio", "right"),
        ("target", "left"),
        ("verdict", "left"),
        ("peak RSS MiB", "right"),
        ("read", "right"),
        ("load", "right"),
        ("plan", "right"),
        ("apply", "right"),
    ):
        main.add_column(name, justify=justify)  # type: ignore[arg-type]
    for step in steps:
        sec = step.summary.get("seconds", {})
        rss = step.rss_mib
        target = ""
        if step.limit is not None:
            target = f"limit {step.limit:.0f}×" + (f", aim {step.aim:.0f}×" if step.aim else "")
        main.add_row(
            step.backend,
            step.name,
            _f(step.seconds),
            "—" if step.ratio is None else f"{step.ratio:.1f}× {step.ratio_to}",
            target,
            verdict(step),
            "—" if rss is None else f"{rss:.0f}" + (" OVER 1 GiB" if rss > RSS_LIMIT_MIB else ""),
            _f(sec.get("read")),
            _f(sec.get("load")),
            _f(sec.get("plan")),
            _f(sec.get("apply")),
        )
    console.print(main)

    counts = Table(title="What each import did (report.summary())")
    for name in (
        "backend",
        "import",
        "created",
        "updated",
        "moved",
        "disabled",
        "unchanged",
        "review",
        "groups +",
        "members +",
        "members −",
        "last seq",
    ):
        counts.add_column(name, justify="left" if name in ("backend", "import") else "right")
    for step in steps:
        s = step.summary
        if not s:
            counts.add_row(step.backend, step.name, *["—"] * 10)
            continue
        counts.add_row(
            step.backend,
            step.name,
            *(
                f"{s.get(k, 0):,}"
                for k in (
                    "created",
                    "updated",
                    "moved",
                    "disabled",
                    "unchanged",
                    "review",
                    "groups_created",
                    "memberships_added",
                    "memberships_removed",
                    "last_seq",
                )
            ),
        )
    console.print(counts)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Import benchmark: prints figures and ratios (never asserts timings).",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="development size: 10 schools / 5,000 students / 500 teachers",
    )
    p.add_argument("--schools", type=int, help="passed to citygen")
    p.add_argument("--students", type=int, help="passed to citygen")
    p.add_argument("--teachers", type=int, help="passed to citygen")
    p.add_argument("--seed", type=int, help="passed to citygen")
    p.add_argument(
        "--backends",
        default="sqlite,postgresql",
        help="comma-separated: sqlite, postgresql (default: both)",
    )
    p.add_argument(
        "--pg",
        default=os.environ.get("SCHULHOF_BENCH_PG", DEFAULT_PG),
        help="PostgreSQL server URL without a database; 'off' to skip"
        f" (default $SCHULHOF_BENCH_PG or {DEFAULT_PG})",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of the floor and of the parse-only baseline; the best counts (default 3)",
    )
    p.add_argument(
        "--timeout", type=float, default=600, help="seconds per measured process (default 600)"
    )
    p.add_argument("--keep-db", action="store_true", help="keep the directories afterwards")
    p.add_argument(
        "--citygen",
        type=Path,
        default=Path(os.environ.get("SCHULHOF_CITYGEN", DEFAULT_CITYGEN)),
        help=f"the generator (default $SCHULHOF_CITYGEN or {DEFAULT_CITYGEN})",
    )
    args = p.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    bench = Bench(console, timeout=args.timeout)
    started = time.perf_counter()
    if not args.citygen.exists():
        console.print(f"citygen not found at {args.citygen} (use --citygen)", markup=False)
        return 2
    machine = machine_info()

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        console.print(f"unknown backend(s): {', '.join(sorted(unknown))}", markup=False)
        return 2
    if "postgresql" in backends:
        if args.pg == "off":
            backends.remove("postgresql")
        else:
            try:
                machine["postgresql"] = pg_admin(args.pg, "SHOW server_version")
            except Exception as exc:  # any connection problem: measure SQLite only
                bench.warn(f"PostgreSQL at {args.pg} not reachable, skipped: {exc}")
                backends.remove("postgresql")

    size = citygen_args(args)
    city0 = ensure_city(bench, args.citygen, size, 0)
    city5 = ensure_city(bench, args.citygen, size, 5)
    expect = expectations(city0)
    city = expect["city"]
    if not size:
        got = {
            "schools": city["schools"],
            "users": city["people"],
            "classes": city["classes"],
            "enrollments": city["enrollments"],
        }
        if got != DEFAULT_CITY:
            bench.warn(f"citygen's default city is {got}, the issue's is {DEFAULT_CITY}")

    bench.say("baselines:")
    floor = best(
        bench,
        "floor",
        [sys.executable, str(FLOOR_SCRIPT), str(city0 / "oneroster"), str(DB_DIR / "floor.sqlite")],
        args.repeat,
    )
    parse = best(
        bench,
        "parse-only",
        [sys.executable, str(IMPORT_SCRIPT), "parse", str(city0 / "oneroster")],
        args.repeat,
    )
    if parse and parse["sizes"]["persons"] != city["people"]:
        bench.warn(
            f"parse-only read {parse['sizes']['persons']} persons, expected {city['people']}"
        )
    floor_s = None if floor is None else float(floor["seconds"])
    parse_s = None if parse is None else float(parse["seconds"])

    steps: list[Step] = []
    try:
        for backend in backends:
            steps += run_backend(bench, backend, args.pg, city0, city5, expect, floor_s, parse_s)
    finally:
        if not args.keep_db:
            shutil.rmtree(DB_DIR, ignore_errors=True)
    machine["loadavg_end"] = list(os.getloadavg())

    render(console, machine, city, floor, parse, steps)
    results = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "citygen_args": size,
        "city": city,
        "data": {"city0": str(city0), "city5": str(city5)},
        "floor": floor,
        "parse": parse,
        "imports": [
            {
                "backend": s.backend,
                "name": s.name,
                "seconds": s.seconds,
                "ratio": s.ratio,
                "ratio_to": s.ratio_to or None,
                "limit": s.limit,
                "aim": s.aim,
                "peak_rss_mib": s.rss_mib,
                "result": s.result,
            }
            for s in steps
        ],
        "warnings": bench.warnings,
        "bench_seconds": time.perf_counter() - started,
    }
    BENCH_DIR.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    for message in bench.warnings:
        console.print(f"WARNING: {message.splitlines()[0]}", markup=False, highlight=False)
    console.print(
        f"results: {RESULTS.relative_to(ROOT)} ({time.perf_counter() - started:.0f} s in all)",
        markup=False,
        highlight=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
