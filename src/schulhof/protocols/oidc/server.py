"""authlib's authorization server, wired to our services (the thin glue).

authlib does the OAuth 2.0 / OIDC request rules: client authentication
(client_secret_basic, client_secret_post, none), exact redirect-URI matching, response and
grant types, scopes, PKCE and the ID token's standard claims. We supply what it asks for:
clients from `services.clients`, codes and refresh tokens from `services.oidc_grants`,
people from `services.release`, keys from `services.keys`.

Points done here rather than by authlib: PKCE is S256 only and required of public clients
at the authorization request already (authlib checks it only at the token endpoint); a
code is used up when it is looked up (so a wrong PKCE verifier burns it: RFC 9700 §4.8
fail-closed); refresh tokens are rotated by marking the old one used when it is presented
(reuse detection, services/oidc_grants.py); access tokens are our own RS256 JWTs.

authlib's hooks are synchronous and do database work: call them from a worker thread.
authlib ships no type hints, hence the `type: ignore` on its imports and subclasses.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import secrets
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    AuthorizationServer,
    InvalidRequestError,
    OAuth2Payload,
    OAuth2Request,
    scope_to_list,
)
from authlib.oauth2.rfc6749.grants import (  # type: ignore[import-untyped]
    AuthorizationCodeGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc7636 import (  # type: ignore[import-untyped]
    CodeChallenge,
    create_s256_code_challenge,
)
from authlib.oidc.core import OpenIDCode  # type: ignore[import-untyped]

from schulhof.domain.errors import NotFoundError
from schulhof.protocols.oidc import jwt
from schulhof.protocols.oidc.claims import SCOPES, claims_for
from schulhof.services import clients, keys, oidc_grants, release
from schulhof.services.clients import ServiceClient
from schulhof.services.oidc_grants import CodeRequest, CodeRow, RefreshRow
from schulhof.services.release import Release
from schulhof.services.runtime import Services
from schulhof.services.secrets import server_secret

ACCESS_TOKEN_SECONDS = 600
ID_TOKEN_SECONDS = 3600
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


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


# --- the grants ---


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def generate_authorization_code(self) -> str:
        return secrets.token_urlsafe(32)

    def save_authorization_code(self, code: str, request: Request) -> None:
        user: Grantee = request.user
        data = request.payload.data
        oidc_grants.save_code(
            self.server.svc,
            code,
            CodeRequest(
                client_id=request.client.client_id,
                person_id=user.person_id,
                sid=user.sid,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                auth_time=user.auth_time,
            ),
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthCode | None:
        row = oidc_grants.redeem_code(self.server.svc, code, client.client_id)
        return AuthCode(row) if row is not None else None

    def delete_authorization_code(self, authorization_code: AuthCode) -> None:
        pass  # used up when it was looked up

    def authenticate_user(self, authorization_code: AuthCode) -> Grantee | None:
        row = authorization_code.row
        family = oidc_grants.family_of_code(row.code_hash)
        return grantee(self.server.svc, self.request.client, row.person_id, row.sid,
                       row.auth_time, family)  # fmt: skip


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every use hands out a successor

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshCredential | None:
        client: Client = self.request.client
        row = oidc_grants.use_refresh(self.server.svc, refresh_token, client.client_id)
        return RefreshCredential(row) if row is not None else None

    def authenticate_user(self, refresh_token: RefreshCredential) -> Grantee | None:
        row = refresh_token.row
        return grantee(self.server.svc, self.request.client, row.person_id, row.sid,
                       row.auth_time, row.family_id)  # fmt: skip

    def revoke_old_credential(self, refresh_token: RefreshCredential) -> None:
        pass  # marked used when it was presented


def _s256_matches(verifier: str, challenge: str) -> bool:
    return hmac.compare_digest(create_s256_code_challenge(verifier), challenge)


class PKCE(CodeChallenge):  # type: ignore[misc]
    """RFC 7636 with S256 only; public clients must use it (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    CODE_CHALLENGE_METHODS: ClassVar[dict[str, Callable[[str, str], bool]]] = {
        "S256": _s256_matches
    }

    def validate_code_challenge(self, grant: CodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        if challenge is None and grant.request.client.public:
            raise InvalidRequestError(
                "a public client must send a PKCE code_challenge (S256)",
                redirect_uri=redirect_uri,
            )
        if challenge is not None and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(
                "code_challenge_method must be S256", redirect_uri=redirect_uri
            )
        super().validate_code_challenge(grant, redirect_uri)


class IDToken(OpenIDCode):  # type: ignore[misc]
    """The ID token (OIDC Core §2): our key and `kid`, `sid` for logout, released claims."""

    def __init__(self, server: Server) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: Request) -> bool:
        return False  # the relying party checks its nonce; codes are single-use anyway

    def resolve_client_private_key(self, client: Client) -> Any:
        return jwt.rsa_key(keys.signing_key(self.server.svc, "oidc"))

    def get_encode_header(self, client: Client) -> dict[str, str]:
        key = keys.signing_key(self.server.svc, "oidc")
        return {"alg": jwt.ALG, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(self.server.svc.clock().timestamp())
        return {"iss": self.server.issuer, "aud": client.client_id, "iat": now,
                "exp": now + ID_TOKEN_SECONDS}  # fmt: skip

    def generate_user_info(self, user: Grantee, scope: str) -> dict[str, Any]:
        return {**claims_for(user.release, scope_to_list(scope) or []), "sid": user.client_sid}


# --- the server ---


class Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, svc: Services, issuer: str) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.svc = svc
        self.issuer = issuer
        self.register_token_generator("default", self._bearer)
        self.register_grant(CodeGrant, [PKCE(required=True), IDToken(self)])
        self.register_grant(RefreshGrant)

    def query_client(self, client_id: str) -> Client | None:
        found = clients.get(self.svc, client_id)
        if found is None or found.protocol != "oidc":
            return None
        return Client(self.svc, found)

    def create_oauth2_request(self, request: Request) -> Request:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    def _bearer(
        self,
        grant_type: str,
        client: Client,
        user: Grantee,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        now = int(self.svc.clock().timestamp())
        claims = {
            "iss": self.issuer,
            "sub": user.release.subject,
            "aud": client.client_id,
            "client_id": client.client_id,
            "scope": scope or "",
            "sid": user.client_sid,
            "grant": user.family_id,
            "iat": now,
            "exp": now + ACCESS_TOKEN_SECONDS,
            "jti": secrets.token_urlsafe(16),
        }
        token = jwt.sign(keys.signing_key(self.svc, "oidc"), claims, typ="at+jwt")
        return {"token_type": "Bearer", "access_token": token,
                "expires_in": ACCESS_TOKEN_SECONDS, "scope": scope or ""}  # fmt: skip

    def save_token(self, token: dict[str, Any], request: Request) -> None:
        """Rotation: each token response carries a new refresh token of the same family."""
        user: Grantee = request.user
        token["refresh_token"] = oidc_grants.issue_refresh(
            self.svc,
            family_id=user.family_id,
            client_id=request.client.client_id,
            person_id=user.person_id,
            sid=user.sid,
            scope=token.get("scope", ""),
            auth_time=user.auth_time,
        )
