"""What authlib's server handles, over our services: the request, clients, the person a
grant is for, stored codes and refresh tokens (authlib's ClientMixin, AuthorizationCodeMixin
and TokenMixin duck types)."""

from __future__ import annotations

import base64
import datetime as dt
import hmac
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    OAuth2Payload,
    OAuth2Request,
    scope_to_list,
)

from schulhof.domain.errors import NotFoundError
from schulhof.protocols.oidc.claims import SCOPES
from schulhof.services import clients, release
from schulhof.services.clients import ServiceClient
from schulhof.services.oidc_grants import CodeRow, RefreshRow
from schulhof.services.release import Release
from schulhof.services.runtime import Services
from schulhof.services.secrets import server_secret

# --- requests: built by the web layer from plain values ---


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for k, v in pairs:
            self._datalist[k].append(v)
        self._data = {k: v[0] for k, v in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class Request(OAuth2Request):  # type: ignore[misc]
    """An HTTP request as authlib reads it: the query (`args`) and the form body."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],  # case-insensitive (authlib asks for "Authorization")
        args: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(args)
        self._form = dict(form)
        self.payload = _Payload(args + form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


# --- what authlib handles: clients, people, codes, refresh tokens ---


class Client:
    """authlib's ClientMixin over a registration (config: docs/oidc.md)."""

    def __init__(self, svc: Services, registered: ServiceClient) -> None:
        self.svc = svc
        self.registered = registered
        self.public = not registered.confidential

    @property
    def client_id(self) -> str:
        return self.registered.id

    def get_client_id(self) -> str:
        return self.registered.id

    def get_default_redirect_uri(self) -> None:
        return None  # OIDC Core §3.1.2.1: redirect_uri is required

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(s for s in scope_to_list(scope or "") or [] if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string matching (OAuth 2.0 Security BCP §4.1.1): no prefixes, no patterns.
        return redirect_uri in self.registered.config.get("redirect_uris", [])

    def check_client_secret(self, client_secret: str) -> bool:
        return clients.verify_secret(self.svc, self.registered.id, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass(frozen=True, slots=True)
class Grantee:
    """The person a code or token is for, as this client may know them."""

    person_id: str
    sid: str  # the SSO session's own id (kept with codes and tokens, for revocation)
    auth_time: dt.datetime
    family_id: str  # the refresh-token family this sign-in's tokens belong to
    release: Release
    client_sid: str  # the `sid` this client is told (see `sid_for`)


class AuthCode:
    """authlib's AuthorizationCodeMixin over a stored code."""

    def __init__(self, row: CodeRow) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


class RefreshCredential:
    def __init__(self, row: RefreshRow) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return hmac.compare_digest(self.row.client_id, client.client_id)

    def get_scope(self) -> str:
        return self.row.scope


def grantee(
    svc: Services, client: Client, person_id: str, sid: str, auth_time: dt.datetime, family: str
) -> Grantee | None:
    """The person as `client` may see them; None if it may not (other school, inactive)."""
    try:
        found = release.release_for(svc, client.registered, person_id)
    except NotFoundError:
        return None
    return Grantee(person_id, sid, auth_time, family, found, sid_for(svc, client.registered, sid))


def sid_for(svc: Services, client: ServiceClient, sid: str) -> str:
    """The session id as `client` sees it (ID token, logout token). A pairwise client gets
    one of its own, so two services cannot join their pairwise subjects on a shared `sid`."""
    if not client.config.get("pairwise"):
        return sid
    mac = hmac.new(server_secret(svc, "oidc-sid"), f"{client.id}\x00{sid}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()[:16]).rstrip(b"=").decode()
