"""The ASGI application, wired explicitly: services in, routers listed here."""

from __future__ import annotations

from fastapi import FastAPI

from schulhof import __version__
from schulhof.services.runtime import Services
from schulhof.web import problems
from schulhof.web.routes import health, users
from schulhof.web.throttle import Throttle

API = "/api/v1"


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="Schulhof API",
        version=__version__,
        description="The directory of a school authority: schools, people, groups.",
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
    )
    app.state.services = services
    app.state.throttle = Throttle()
    problems.install(app)
    app.include_router(health.router)
    app.include_router(users.router, prefix=API)
    return app
