"""ForceAuthn (SAML Core §3.4.1), and OIDC's prompt=login and max_age (OIDC Core §3.1.2.1):
the signed-in person proves it again with their password, through the same checks,
throttling and audit as any sign-in (channel "saml" or "oidc")."""

from __future__ import annotations

from schulhof.services import signin
from schulhof.services.runtime import Services
from schulhof.services.signin import SignInRefused, Verified
from schulhof.store import persons as person_store
from schulhof.store.database import read_connection


def confirm_password(
    svc: Services, person_id: str, password: str, *, address: str, channel: str = "saml"
) -> Verified:
    """The session's person with this password, or SignInRefused. `channel` names the
    asker in the audit log ("oidc" for prompt=login and max_age)."""
    with read_connection(svc.engine) as conn:
        person = person_store.load_one(conn, person_id)
    if person is None:
        raise SignInRefused("invalid")
    verified = signin.verify_password(
        svc, person.username, password, address=address, channel=channel
    )
    if verified.person.id != person_id:  # a username cannot change hands, but be sure
        raise SignInRefused("invalid")
    return verified
