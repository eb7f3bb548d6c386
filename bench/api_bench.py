"""API benchmark: requests/s and latency of the REST API on the demo city (SQLite).

Builds the demo city once (`schulhof demo --no-serve`, cached in `.bench/api/`), starts
`schulhof serve` in its own process, and drives it with wrk from another process:

- a page of 100 students of one school (`GET /api/v1/users?school=…&role=student&limit=100`);
- one person by id (`GET /api/v1/users/{id}`);

each as a school admin (every read is written to the audit log) and as a service (not
audited). Prints requests/s and p50/p95/p99 latency; the issue's aim is p95 < 50 ms.
Figures only, never an assertion. Needs `wrk` (Debian package).

    python bench/api_bench.py [--duration 10] [--connections 8]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".bench" / "api"
DB = WORK / "demo.sqlite"
SCHULHOF = str(Path(sys.executable).parent / "schulhof")
AIM_P95_MS = 50.0

LUA = """
wrk.headers["Authorization"] = "Bearer %s"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


def cli(*args: str) -> str:
    env = {**os.environ, "SCHULHOF_DB": f"sqlite:///{DB}"}
    done = subprocess.run([SCHULHOF, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def ensure_city(console: Console) -> None:
    if DB.exists():
        return
    WORK.mkdir(parents=True, exist_ok=True)
    console.print("building the demo city (once) …")
    cli("demo", "--no-serve")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wrk(url: str, token: str, seconds: int, connections: int) -> dict[str, float]:
    script = WORK / "auth.lua"
    script.write_text(LUA % token, encoding="utf-8")
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    requests, errors, p50, p95, p99, duration = (float(v) for v in line.split()[1:])
    return {"requests": requests, "errors": errors, "rps": requests / duration,
            "p50_ms": p50, "p95_ms": p95, "p99_ms": p99}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    ap.add_argument("--connections", type=int, default=8)
    a = ap.parse_args()
    console = Console()
    if shutil.which("wrk") is None:
        console.print("wrk is missing: apt-get install wrk (scripts/install-system-deps)")
        sys.exit(1)
    ensure_city(console)
    school = json.loads(cli("schools", "list", "--json"))[0]["number"]
    students = json.loads(
        cli("users", "list", "--school", school, "--role", "student", "--limit", "1", "--json")
    )
    person = students[0]["id"]
    admin = json.loads(
        cli(
            "tokens",
            "create",
            "--role",
            "school_admin",
            "--school",
            school,
            "--name",
            "bench admin",
            "--expires",
            "1",
            "--json",
        )
    )["token"]
    service = json.loads(
        cli(
            "tokens",
            "create",
            "--role",
            "service",
            "--school",
            school,
            "--name",
            "bench service",
            "--expires",
            "1",
            "--json",
        )
    )["token"]
    port = free_port()
    env = {**os.environ, "SCHULHOF_DB": f"sqlite:///{DB}"}
    server = subprocess.Popen(
        [SCHULHOF, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        page = f"{base}/api/v1/users?school={school}&role=student&limit=100"
        one = f"{base}/api/v1/users/{person}"
        check = httpx.get(page, headers={"Authorization": f"Bearer {admin}"}).json()
        assert len(check["items"]) == 100, "the page did not hold 100 students"
        results = {}
        for label, url, token in (
            ("page of 100 students, school admin", page, admin),
            ("one person by id, school admin", one, admin),
            ("page of 100 students, service", page, service),
            ("one person by id, service", one, service),
        ):
            wrk(url, token, 2, a.connections)  # warm-up
            results[label] = wrk(url, token, a.duration, a.connections)
    finally:
        server.terminate()
        server.wait(timeout=30)
    people = len(json.loads(cli("users", "list", "--json", "--limit", "100000")))
    table = Table(
        title=f"REST API on the demo city ({people:,} people, SQLite, 1 worker, "
        f"wrk {a.connections} connections, {a.duration} s each)"
    )
    for col in (
        "scenario",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        f"p95 < {AIM_P95_MS:g} ms",
    ):
        table.add_column(col)
    for label, r in results.items():
        table.add_row(
            label,
            f"{r['rps']:.0f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            f"{r['errors']:.0f}",
            "yes" if r["p95_ms"] < AIM_P95_MS else "NO",
        )
    console.print(table)
    (WORK / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
