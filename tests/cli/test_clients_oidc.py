"""`schulhof clients add oidc | list | show | remove` and `schulhof keys rotate` through the
installed script, on both backends."""

from __future__ import annotations

from schulhof.services import clients, keys
from schulhof.services.runtime import open_services
from tests.cli.runner import run, run_json


def test_register_list_show_and_remove_an_oidc_client(db_url: str) -> None:
    assert run(db_url, "schools", "add", "91007", "Gymnasium", "--type", "GY").returncode == 0
    made = run_json(
        db_url, "clients", "add", "oidc", "--name", "Lernplattform",
        "--redirect-uri", "https://lms.example/cb", "--redirect-uri", "http://127.0.0.1:5000/cb",
        "--post-logout-redirect-uri", "https://lms.example/bye",
        "--backchannel-logout-uri", "https://lms.example/logout",
        "--claims", "profile,email", "--schools", "91007", "--pairwise",
    )  # fmt: skip
    assert made["client_id"].startswith("lernplattform-")
    assert len(made["client_secret"]) >= 43
    assert made["release"] == ["username", "name", "email"]
    assert made["config"]["pairwise"] is True
    svc = open_services(db_url)
    try:
        assert clients.verify_secret(svc, made["client_id"], made["client_secret"])
    finally:
        svc.engine.dispose()
    public = run_json(
        db_url, "clients", "add", "oidc", "--name", "App", "--public",
        "--redirect-uri", "https://app.example/cb",
    )  # fmt: skip
    assert public["client_secret"] is None
    listed = run_json(db_url, "clients", "list")
    assert {c["id"] for c in listed} == {made["client_id"], public["client_id"]}
    shown = run_json(db_url, "clients", "show", made["client_id"])
    assert "client_secret" not in shown
    assert shown["schools"] == ["91007"]
    assert run_json(db_url, "clients", "remove", public["client_id"]) == {
        "removed": public["client_id"]
    }
    assert run(db_url, "clients", "show", public["client_id"]).returncode != 0


def test_bad_registrations_are_refused(db_url: str) -> None:
    for args in (
        ["--redirect-uri", "http://lms.example/cb"],  # http only for loopback
        ["--redirect-uri", "https://lms.example/cb#frag"],
        ["--redirect-uri", "https://lms.example/cb", "--claims", "password"],
        ["--redirect-uri", "https://lms.example/cb", "--schools", "99999"],
    ):
        done = run(db_url, "clients", "add", "oidc", "--name", "X", *args)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr


def test_keys_rotate_keeps_the_old_key_published(db_url: str) -> None:
    svc = open_services(db_url)
    try:
        old = keys.signing_key(svc, "oidc")
        rotated = run_json(db_url, "keys", "rotate", "--use", "oidc")
        keys.forget_cache(svc)
        assert rotated["kid"] != old.kid
        assert keys.signing_key(svc, "oidc").kid == rotated["kid"]
        assert {k.kid for k in keys.published_keys(svc, "oidc")} == {old.kid, rotated["kid"]}
    finally:
        svc.engine.dispose()
