"""The ASGI application, wired explicitly: services in, routers listed here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from schulhof import __version__
from schulhof.services.runtime import Services
from schulhof.web import access_log, inputs, oidc, problems, saml, signin
from schulhof.web.routes import audit, changes, groups, guardians, health, imports, schools, users
from schulhof.web.throttle import Throttle
from schulhof.web.worker import lifespan as worker_lifespan

API = "/api/v1"


def create_app(
    services: Services, *, worker: bool = True, public_url: str | None = None
) -> FastAPI:
    """`worker`: run queued jobs (imports) in a thread of this process while it serves.
    `public_url`: where people reach this server (`serve --public-url`; the OIDC issuer).
    `schulhof serve` always passes one; None (in-process tests) takes it from the request."""
    app = FastAPI(
        title="Schulhof API",
        version=__version__,
        description="The directory of a school authority: schools, people, groups.",
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
        lifespan=worker_lifespan(services) if worker else None,
        dependencies=[Depends(inputs.reject_nul)],
    )
    app.state.services = services
    app.state.throttle = Throttle()
    app.state.public_url = public_url.rstrip("/") if public_url else None
    # Called with each ended SSO session; the OIDC and SAML parts append their logouts.
    app.state.on_signout = []
    problems.install(app)
    access_log.install()
    app.include_router(health.router)
    # Routes are matched in order, one by one (FastAPI 0.16x: a fifth of a sign-in's event
    # loop time was route matching): the browser-facing pages come before the API's.
    app.include_router(signin.router)
    oidc.install(app)
    saml.install(app)
    api = APIRouter(prefix=API)
    for module in (users, guardians, schools, groups, imports, audit, changes):
        api.include_router(module.router)
    app.include_router(api)
    return app
