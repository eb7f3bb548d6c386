"""Tokens in URLs never reach the access log."""

from __future__ import annotations

import logging

from schulhof.web.access_log import DropQueryStrings


def test_query_strings_are_cut_from_access_log_lines() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5555", "GET", "/oidc/logout?id_token_hint=eyJhbGciOi.secret", "1.1", 302),
        None,
    )
    assert DropQueryStrings().filter(record)
    line = record.getMessage()
    assert "eyJhbGciOi" not in line
    assert '"GET /oidc/logout?… HTTP/1.1" 302' in line
    plain = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", ("x",), None)
    assert DropQueryStrings().filter(plain)
    assert plain.getMessage() == "x"
