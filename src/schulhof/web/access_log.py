"""Access logs without query strings: OIDC and SAML carry tokens, codes and signed requests
in URLs (`id_token_hint`, `SAMLRequest`, `code`), and logs are read by more people than the
directory. The path stays; everything after `?` becomes `?…`."""

from __future__ import annotations

import logging


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn.access: (client address, method, path with query, HTTP version, status)
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path = args[2]
            if "?" in path:
                record.args = (args[0], args[1], path.split("?", 1)[0] + "?…", *args[3:])
        return True


def install() -> None:
    log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in log.filters):
        log.addFilter(DropQueryStrings())
