"""End to end, as the acceptance checks do it: `schulhof tokens create … --json`, then
`SCHULHOF_DB=URL schulhof serve --port P` as its own process, spoken to over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from schulhof.services.runtime import Services
from tests.web.city import City, build

SCHULHOF = Path(sys.executable).parent / "schulhof"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def schulhof(*args: str) -> list[str]:
    return (
        [str(SCHULHOF), *args] if SCHULHOF.exists() else [sys.executable, "-m", "schulhof", *args]
    )


@pytest.fixture
def city(svc: Services) -> City:
    return build(svc)


@pytest.fixture
def server(db_url: str, city: City) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "SCHULHOF_DB": db_url}
    proc = subprocess.Popen(
        schulhof("serve", "--port", str(port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"schulhof serve ended: {err}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("schulhof serve did not answer /healthz within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


def token(db_url: str, *args: str) -> str:
    done = subprocess.run(
        schulhof("tokens", "create", *args, "--json"),
        env={**os.environ, "SCHULHOF_DB": db_url},
        capture_output=True,
        text=True,
        check=True,
    )
    made: dict[str, Any] = json.loads(done.stdout)
    value: str = made["token"]
    return value


def test_the_served_api_pages_reads_resets_and_denies(db_url: str, server: str, city: City) -> None:
    admin = {
        "Authorization": f"Bearer {token(db_url, '--role', 'school_admin', '--school', '91000')}"
    }
    with httpx.Client(base_url=server, headers=admin, timeout=10) as http:
        seen: list[dict[str, Any]] = []
        pages = 0
        answer = http.get("/api/v1/users", params={"school": "91000", "limit": 2})
        while True:
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert set(body) == {"items", "next"}
            assert len(body["items"]) <= 2
            seen += body["items"]
            pages += 1
            if body["next"] is None:
                break
            answer = http.get(
                "/api/v1/users", params={"school": "91000", "limit": 2, "cursor": body["next"]}
            )
        ids = [u["id"] for u in seen]
        expected = {city.anna, city.ben, city.carl, city.petra, city.jan, city.gabi}
        assert len(ids) == len(set(ids)) == len(expected)
        assert set(ids) == expected
        assert pages == 3
        assert {"id", "username", "given_name", "family_name", "state", "schools"} <= set(seen[0])

        one = http.get(f"/api/v1/users/{city.anna}")
        assert one.status_code == 200
        assert one.json()["username"] == "anna.mueller"
        reset = http.post(f"/api/v1/users/{city.anna}/password")
        assert reset.status_code == 200
        assert isinstance(reset.json()["password"], str)
        assert len(reset.json()["password"]) >= 10

        for denied in (
            http.get(f"/api/v1/users/{city.minh}"),
            http.post(f"/api/v1/users/{city.minh}/password"),
        ):
            assert denied.status_code in (403, 404)
            assert "username" not in denied.json()
            assert "password" not in denied.json()
