"""`schulhof serve --public-url URL` as its own process: the URL reaches the app (an https
one makes the sign-in cookies Secure); a malformed one is refused before serving."""

from __future__ import annotations

import os
import subprocess
import time

import httpx
import pytest

from tests.cli.runner import SCHULHOF, run
from tests.web.signin.live import free_port


@pytest.mark.parametrize(
    "bad", ["konto.schulen.example", "ftp://konto.example", "https://", "https://x.example/?a=1"]
)
def test_a_malformed_public_url_is_refused(db_url: str, bad: str) -> None:
    done = run(db_url, "serve", "--port", str(free_port()), "--public-url", bad)
    assert done.returncode != 0, done.stderr
    assert "--public-url" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_an_https_public_url_makes_the_cookies_secure(db_url: str) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [SCHULHOF, "serve", "--port", str(port), "--public-url", "https://konto.schulen.example/"],
        env={**os.environ, "SCHULHOF_DB": db_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/signin", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "schulhof serve did not answer in 30 s"
                time.sleep(0.1)
        assert page.status_code == 200
        assert "Secure" in page.headers["set-cookie"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr:
            assert "Sign-in page at https://konto.schulen.example/signin" in proc.stderr.read()
            proc.stderr.close()
