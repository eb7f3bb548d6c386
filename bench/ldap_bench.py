"""LDAP benchmark: Schulhof's LDAP server beside slapd, both with the demo city (52k people).

The city is the API benchmark's (`.bench/api/demo.sqlite`, copied) or is built once with
`schulhof demo --no-serve`. `schulhof export ldif` is loaded into a throwaway slapd; then
the same load generator (python-ldap, in worker processes) drives both servers:

- bind + search by uid per second (a service account on Schulhof, the rootdn on slapd);
- a paged dump (`ldapsearch -E pr=500/noprompt`) of every student;
- a read of the authority-wide `students` group (47k members).

Figures only, never an assertion. Anchor: slapd. Aims (issue 6): at least half of slapd's
bind+search rate; the all-students group read in under a second.

    python bench/ldap_bench.py [--duration 10] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import ldap
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.protocols.ldap.slapd import ROOT_DN, ROOT_PASSWORD, running_slapd  # noqa: E402

WORK = ROOT / ".bench" / "ldap"
DB = WORK / "city.sqlite"
API_CITY = ROOT / ".bench" / "api" / "demo.sqlite"
SCHULHOF = str(Path(sys.executable).parent / "schulhof")
BASE = "dc=schulhof,dc=local"


def cli(*args: str) -> str:
    env = {**os.environ, "SCHULHOF_DB": f"sqlite:///{DB}"}
    done = subprocess.run([SCHULHOF, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def ensure_city(console: Console) -> None:
    if DB.exists():
        return
    WORK.mkdir(parents=True, exist_ok=True)
    if API_CITY.exists():
        shutil.copy(API_CITY, DB)
        return
    console.print("building the demo city (once) …")
    cli("demo", "--no-serve")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(port: int, proc: subprocess.Popen[bytes], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"nothing listens on {port}") from None
            time.sleep(0.2)


def _worker(args: tuple[str, str, str, list[str], float]) -> int:
    url, dn, password, uids, seconds = args
    conn = ldap.initialize(url)
    conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
    rng = random.Random(os.getpid())
    done = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn.simple_bind_s(dn, password)
        found = conn.search_s(
            BASE, ldap.SCOPE_SUBTREE, f"(uid={rng.choice(uids)})", ["uid", "uidNumber"]
        )
        assert len(found) == 1
        done += 1
    conn.unbind_s()
    return done


def bind_search_rate(
    url: str, dn: str, password: str, uids: list[str], seconds: float, workers: int
) -> float:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        counts = pool.map(_worker, [(url, dn, password, uids, seconds)] * workers)
    return sum(counts) / seconds


def timed_search(url: str, bind: tuple[str, str] | None, *args: str) -> tuple[float, int]:
    auth = ["-D", bind[0], "-w", bind[1]] if bind else []
    start = time.perf_counter()
    done = subprocess.run(
        ["ldapsearch", "-x", "-H", url, "-LLL", "-o", "ldif-wrap=no", *auth, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    lines = done.stdout.splitlines()
    return seconds, sum(1 for line in lines if line.startswith(("dn: ", "member: ")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    opts = parser.parse_args()
    console = Console()
    ensure_city(console)
    name = f"bench-{int(time.time())}"
    client = json.loads(cli("clients", "add", "ldap", "--name", name, "--json"))
    ldif = WORK / "city.ldif"
    cli("export", "ldif", str(ldif))
    uids = [line[5:] for line in ldif.read_text().splitlines() if line.startswith("uid: ")]
    sample = random.Random(1).sample(uids, min(2000, len(uids)))
    port = free_port()
    server = subprocess.Popen(
        [SCHULHOF, "serve", "--port", str(free_port()), "--ldap-port", str(port),
         "--ldap-anonymous"],
        env={**os.environ, "SCHULHOF_DB": f"sqlite:///{DB}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    results: dict[str, dict[str, float]] = {}
    slapd_dir = WORK / "slapd"
    shutil.rmtree(slapd_dir, ignore_errors=True)
    try:
        started = time.perf_counter()
        wait_for(port, server)
        results["schulhof"] = {"start_s": time.perf_counter() - started}
        ours = f"ldap://127.0.0.1:{port}"
        with running_slapd(slapd_dir, ldif) as theirs:
            for label, url, bind, anonymous in (
                ("schulhof", ours, (client["bind_dn"], client["password"]), None),
                ("slapd", theirs, (ROOT_DN, ROOT_PASSWORD), (ROOT_DN, ROOT_PASSWORD)),
            ):
                row = results.setdefault(label, {})
                console.print(f"{label}: bind + search by uid for {opts.duration:.0f} s …")
                row["bind_search_per_s"] = bind_search_rate(
                    url, bind[0], bind[1], sample, opts.duration, opts.workers
                )
                seconds, count = timed_search(
                    url, bind, "-E", "pr=500/noprompt", "-b", BASE,
                    "(eduPersonAffiliation=student)", "1.1",
                )  # fmt: skip
                row["students_paged_s"], row["students"] = seconds, count
                seconds, members = timed_search(
                    url, anonymous, "-b", f"cn=students,ou=groups,{BASE}", "-s", "base", "member"
                )
                row["students_group_s"], row["students_group_members"] = seconds, members - 1
    finally:
        server.terminate()
        server.wait(30)
    table = Table(title=f"LDAP, {len(uids)} people, {opts.workers} client processes")
    table.add_column("")
    for label in results:
        table.add_column(label, justify="right")
    table.add_column("schulhof / slapd", justify="right")
    for key in ("bind_search_per_s", "students_paged_s", "students", "students_group_s",
                "students_group_members"):  # fmt: skip
        a, b = results["schulhof"].get(key, 0.0), results["slapd"].get(key, 0.0)
        table.add_row(key, f"{a:,.2f}", f"{b:,.2f}", f"{a / b:.2f}" if b else "-")
    table.add_row(
        "schulhof start (load + index)", f"{results['schulhof']['start_s']:.1f} s", "", ""
    )
    console.print(table)
    (WORK / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
