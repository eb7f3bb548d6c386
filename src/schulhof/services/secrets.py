"""Server-side random secrets (pairwise subjects, CSRF), made on first use and shared by every
worker through the database. Kept per process once read: they never change."""

from __future__ import annotations

import base64
import secrets as random
import threading

from schulhof.services.runtime import Services
from schulhof.store import signin as signin_store
from schulhof.store.database import read_connection, write_connection

_lock = threading.Lock()


def server_secret(svc: Services, name: str) -> bytes:
    """32 random bytes named `name`, the same on every worker of this database."""
    key = ("secret", name)
    cached: bytes | None = svc.memo.get(key)
    if cached is not None:
        return cached
    with _lock:
        with read_connection(svc.engine) as conn:
            value = signin_store.get_secret(conn, name)
        if value is None:
            with write_connection(svc.engine) as conn:
                signin_store.put_secret_once(conn, name, random.token_urlsafe(32), svc.clock())
                value = signin_store.get_secret(conn, name)
        assert value is not None
        secret = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        svc.memo[key] = secret
        return secret
