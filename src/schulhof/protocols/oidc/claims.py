"""Which claims a client gets: least by default.

`sub` always (pairwise per client when registered so; services.release decides). Any
other claim only when the client's registration releases it (services.release leaves it
None otherwise) AND the sign-in asked for its scope (OIDC Core §5.4).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from schulhof.services.release import Release

# Scope -> the claims it stands for (OIDC Core §5.4, plus ours for schools).
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "given_name", "family_name", "preferred_username"),
    "email": ("email",),
    "roles": ("roles",),
    "schools": ("schools",),
    "groups": ("groups",),
}
# offline_access (OIDC Core §11) is accepted and changes nothing: every client gets a
# refresh token, which ends with the SSO session (docs/oidc.md).
SCOPES = ("openid", "offline_access", *SCOPE_CLAIMS)
# `--claims` may name a scope (profile) or the registry's release fields directly.
CLAIM_RELEASE = {
    "profile": ("name", "username"),
    "email": ("email",),
    "roles": ("roles",),
    "schools": ("schools",),
    "groups": ("groups",),
    "name": ("name",),
    "username": ("username",),
}


def release_fields(claims: Collection[str]) -> tuple[str, ...]:
    """The registry's release fields for a `--claims` list (ValueError names an unknown)."""
    out: list[str] = []
    for c in claims:
        if c not in CLAIM_RELEASE:
            raise ValueError(c)
        out.extend(f for f in CLAIM_RELEASE[c] if f not in out)
    return tuple(out)


def claims_for(release: Release, scopes: Collection[str]) -> dict[str, Any]:
    """The claims of `release` that `scopes` ask for; `sub` always."""
    values: dict[str, Any] = {
        "name": release.display_name,
        "given_name": release.given_name,
        "family_name": release.family_name,
        "preferred_username": release.username,
        "email": release.email,
        "roles": list(release.roles) if release.roles is not None else None,
        "schools": list(release.school_numbers) if release.school_numbers is not None else None,
        "groups": _groups(release),
    }
    out: dict[str, Any] = {"sub": release.subject}
    for scope in scopes:
        for claim in SCOPE_CLAIMS.get(scope, ()):
            if values[claim] is not None:
                out[claim] = values[claim]
    return out


def _groups(release: Release) -> list[str] | None:
    if release.classes is None and release.courses is None:
        return None
    return [*(release.classes or ()), *(release.courses or ())]
