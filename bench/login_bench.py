"""Sign-in benchmark: password sign-ins per second through the whole OIDC code flow, per CPU
core, with the production argon2id costs; and token refreshes per second.

One full sign-in is what a student's browser and the learning platform do together:

    GET  /oidc/authorize?…        → 303 to the sign-in page (no session yet)
    GET  /signin?next=…           → the form with its CSRF token
    POST /signin                  → argon2id check, session cookie, 303 back to authorize
    GET  /oidc/authorize?…        → 302 to the redirect URI with a code
    POST /oidc/token (PKCE)       → ID token, access token, refresh token

The server (`schulhof serve`, one process) is pinned to CPU 0 with `taskset`, the load
generator (asyncio + httpx, in this process) to CPU 1, so "per core" means what it says.
Anchor: Keycloak sizes 15 password sign-ins per second per vCPU; the issue aims for 30.
Figures only, never an assertion.

    python bench/login_bench.py [--seconds 15] [--concurrency 8] [--people 300]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from schulhof.access.actors import OPERATOR
from schulhof.domain.model import Role
from schulhof.services import passwords
from schulhof.services.runtime import open_services
from schulhof.store.database import read_connection
from schulhof.store.tables import contexts, persons

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".bench" / "login"
DB = WORK / "city.sqlite"
CITY = ROOT / ".bench" / "api" / "demo.sqlite"  # the API benchmark's demo city, if built
SCHULHOF = str(Path(sys.executable).parent / "schulhof")
PASSWORD = "Kastanie-Herbst-2026"  # noqa: S105 - the benchmark's test people
REDIRECT = "http://127.0.0.1:9/callback"  # never called: the code is read from Location
KEYCLOAK_PER_CORE = 15.0
AIM_PER_CORE = 30.0
CSRF = re.compile(r'name="csrf"\s+value="([^"]+)"')


def cli(*args: str) -> str:
    env = {**os.environ, "SCHULHOF_DB": f"sqlite:///{DB}"}
    done = subprocess.run([SCHULHOF, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def prepare(console: Console, people: int) -> list[str]:
    """A city with `people` students who have a password (production argon2 costs)."""
    WORK.mkdir(parents=True, exist_ok=True)
    marker = WORK / f"users-{people}.json"
    if DB.exists() and marker.exists():
        return list(json.loads(marker.read_text()))
    if CITY.exists():
        shutil.copy(CITY, DB)
    else:
        console.print("building the demo city (once) …")
        cli("demo", "--no-serve")  # writes the city into DB (SCHULHOF_DB)
    svc = open_services(f"sqlite:///{DB}")
    with read_connection(svc.engine) as conn:
        names = [
            r.username
            for r in conn.execute(
                sa.select(persons.c.username)
                .join(contexts, contexts.c.person_id == persons.c.id)
                .where(contexts.c.role == Role.STUDENT.value, persons.c.state == "active")
                .order_by(persons.c.username)
                .limit(people)
            )
        ]
    console.print(f"setting {len(names)} passwords (argon2id, production costs) …")
    for name in names:
        passwords.set_password(svc, OPERATOR, name, PASSWORD, temporary=False)
    marker.write_text(json.dumps(names))
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SCHULHOF_DB": f"sqlite:///{DB}", "AUTHLIB_INSECURE_TRANSPORT": "1"}
    cmd = [SCHULHOF, "serve", "--host", "127.0.0.1", "--port", str(port),
           "--public-url", f"http://127.0.0.1:{port}"]  # fmt: skip
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Flow:
    def __init__(self, base: str, conf: dict[str, str], client_id: str, secret: str) -> None:
        self.base = base
        self.conf = conf
        self.auth = (client_id, secret)
        self.client_id = client_id

    async def sign_in(self, http: httpx.AsyncClient, username: str) -> str:
        """One full sign-in; returns the refresh token."""
        http.cookies.clear()
        verifier, challenge = pkce()
        query = urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": REDIRECT,
            "scope": "openid profile", "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8), "code_challenge": challenge,
            "code_challenge_method": "S256",
        })  # fmt: skip
        r = await http.get(f"{self.conf['authorization_endpoint']}?{query}")
        assert r.status_code in (302, 303), r.status_code
        r = await http.get(self._abs(r.headers["location"]))
        m = CSRF.search(r.text)
        assert m, "no CSRF token on the sign-in page"
        nxt = parse_qs(urlsplit(str(r.url)).query).get("next", ["/account"])[0]
        r = await http.post(
            f"{self.base}/signin",
            data={"username": username, "password": PASSWORD, "csrf": m.group(1), "next": nxt},
        )
        assert r.status_code == 303, (r.status_code, r.text[:200])
        r = await http.get(self._abs(r.headers["location"]))
        assert r.status_code in (302, 303), r.status_code
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
        r = await http.post(
            self.conf["token_endpoint"],
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                  "code_verifier": verifier},
            auth=self.auth,
        )  # fmt: skip
        assert r.status_code == 200, r.text
        return str(r.json()["refresh_token"])

    async def refresh(self, http: httpx.AsyncClient, token: str) -> str:
        r = await http.post(
            self.conf["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": token},
            auth=self.auth,
        )
        assert r.status_code == 200, r.text
        return str(r.json()["refresh_token"])

    def _abs(self, location: str) -> str:
        return location if location.startswith("http") else self.base + location


async def drive(
    flow: Flow, users: list[str], seconds: float, concurrency: int, what: str
) -> tuple[int, list[float]]:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []

    async def worker(i: int) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            n = i
            token = await flow.sign_in(http, users[i % len(users)]) if what == "refresh" else ""
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                if what == "signin":
                    await flow.sign_in(http, users[n % len(users)])
                else:
                    token = await flow.refresh(http, token)
                latencies.append(time.perf_counter() - t0)
                n += concurrency

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return len(latencies), latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--people", type=int, default=300)
    args = ap.parse_args()
    console = Console()
    users = prepare(console, args.people)
    name = f"bench-{secrets.token_hex(3)}"
    made = json.loads(
        cli("clients", "add", "oidc", "--name", name, "--redirect-uri", REDIRECT, "--json")
    )
    port = free_port()
    server = start_server(port)
    try:
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {1})  # the load generator on the other core
        base = f"http://127.0.0.1:{port}"
        conf = httpx.get(f"{base}/.well-known/openid-configuration").json()
        flow = Flow(base, conf, made["client_id"], made["client_secret"])
        asyncio.run(drive(flow, users, 2, 2, "signin"))  # warm up
        results = {}
        for what in ("signin", "refresh"):
            count, lat = asyncio.run(drive(flow, users, args.seconds, args.concurrency, what))
            lat.sort()
            results[what] = {
                "count": count,
                "per_s": count / args.seconds,
                "p50_ms": statistics.median(lat) * 1000,
                "p95_ms": lat[int(len(lat) * 0.95) - 1] * 1000,
            }
    finally:
        server.terminate()
        server.wait(10)
    table = Table(title="sign-in through the OIDC code flow (server on 1 core)")
    for col in ("", "per second", "p50 ms", "p95 ms", "count"):
        table.add_column(col, justify="right")
    for what, label in (("signin", "password sign-in (5 requests)"), ("refresh", "refresh")):
        r = results[what]
        table.add_row(label, f"{r['per_s']:.1f}", f"{r['p50_ms']:.0f}", f"{r['p95_ms']:.0f}",
                      str(r["count"]))  # fmt: skip
    console.print(table)
    per_core = results["signin"]["per_s"]
    console.print(
        f"sign-ins per core: {per_core:.1f}/s — {per_core / KEYCLOAK_PER_CORE:.1f}× Keycloak's "
        f"sizing of {KEYCLOAK_PER_CORE:.0f}/s per vCPU (aim: {AIM_PER_CORE:.0f}/s)"
    )


if __name__ == "__main__":
    main()
