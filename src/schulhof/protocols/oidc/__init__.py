"""An OpenID Connect provider (docs/design/signin.md, "OIDC flows"; docs/oidc.md).

Rule: OAuth/OIDC vocabulary (grants, claims, JWTs, error codes) stays in this package, and
so does authlib. It decides nothing about people: who may sign in to which client and
what the client learns come from `services.release`; codes and refresh tokens are kept by
`services.oidc_grants`. The only I/O is the back-channel logout delivery (httpx).
"""
