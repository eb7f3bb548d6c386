"""What an OIDC client's registration holds (`service_clients.config`), checked once.

Redirect URIs are compared exactly at sign-in, so they are checked here: absolute, no
fragment (RFC 6749 §3.1.2), https — or http only to a loopback address (RFC 8252 §7.3,
for tests and native apps).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from schulhof.domain.errors import ValidationError
from schulhof.protocols.oidc.claims import release_fields


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def check_uri(uri: str, field: str) -> str:
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        raise ValidationError(f"{uri}: no fragment allowed", field=field)
    if not parts.netloc or parts.scheme not in ("https", "http"):
        raise ValidationError(f"{uri}: an absolute https URL is expected", field=field)
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ValidationError(f"{uri}: http only for loopback addresses; use https", field=field)
    return uri


def client_config(
    *,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str] = (),
    backchannel_logout_uri: str | None = None,
    public: bool = False,
    pairwise: bool = False,
) -> dict[str, Any]:
    if not redirect_uris:
        raise ValidationError("at least one --redirect-uri", field="redirect_uri")
    return {
        "redirect_uris": [check_uri(u, "redirect_uri") for u in dict.fromkeys(redirect_uris)],
        "post_logout_redirect_uris": [
            check_uri(u, "post_logout_redirect_uri")
            for u in dict.fromkeys(post_logout_redirect_uris)
        ],
        "backchannel_logout_uri": check_uri(backchannel_logout_uri, "backchannel_logout_uri")
        if backchannel_logout_uri
        else None,
        "public": public,
        "pairwise": pairwise,
    }


def release_from_claims(claims: Sequence[str]) -> tuple[str, ...]:
    """`--claims profile,email,roles` as the registry's release fields."""
    try:
        return release_fields([c.strip() for c in claims if c.strip()])
    except ValueError as exc:
        raise ValidationError(
            f"unknown claim {exc}; known: profile, email, roles, schools, groups",
            field="claims",
        ) from None
