"""`schulhof clients show` for a SAML SP: a few lines for people, the whole registration
(metadata XML included) with --json."""

from __future__ import annotations

from pathlib import Path

from tests.cli.runner import run, run_json
from tests.protocols.saml.sp import ServiceProvider


def test_show_sums_up_an_sp_and_json_keeps_everything(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "wiki.xml"
    xml = ServiceProvider("wiki.example", "http://127.0.0.1:1", "").metadata()
    path.write_text(xml, encoding="utf-8")
    added = run_json(db_url, "clients", "add", "saml", "--metadata", str(path),
                     "--attributes", "uid,mail", "--name", "Wiki")  # fmt: skip
    entity = added["entity_id"]
    done = run(db_url, "clients", "show", entity)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == [
        f"id: {entity}",
        "protocol: saml",
        "name: Wiki",
        f"entity_id: {entity}",
        "acs_urls: https://wiki.example/saml/acs",
        "single_logout: yes (https://wiki.example/saml/sls)",
        "attributes: uid, mail",
        "schools: all",
    ]
    assert "<" not in done.stdout  # no XML
    full = run_json(db_url, "clients", "show", entity)
    assert full["config"]["metadata"] == xml
    assert full["config"]["attributes"] == ["uid", "mail"]
