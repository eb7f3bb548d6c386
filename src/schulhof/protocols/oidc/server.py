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

import hmac
import secrets
from collections.abc import Callable
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    AuthorizationServer,
    InvalidRequestError,
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

from schulhof.protocols.oidc import jwt
from schulhof.protocols.oidc.claims import SCOPES, claims_for
from schulhof.protocols.oidc.models import (
    AuthCode,
    Client,
    Grantee,
    RefreshCredential,
    Request,
    grantee,
)
from schulhof.services import clients, keys, oidc_grants
from schulhof.services.oidc_grants import CodeRequest
from schulhof.services.runtime import Services

ACCESS_TOKEN_SECONDS = 600
ID_TOKEN_SECONDS = 3600
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


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
