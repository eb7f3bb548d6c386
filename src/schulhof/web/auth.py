"""Bearer tokens → the acting `Actor` (a FastAPI dependency), with throttling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from schulhof.access.actors import Actor
from schulhof.services import tokens as token_service
from schulhof.services.runtime import Services
from schulhof.web.throttle import Throttle


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_actor(request: Request) -> Actor:
    throttle: Throttle = request.app.state.throttle
    address = _client(request)
    wait = throttle.retry_after(address)
    if wait:
        raise HTTPException(
            429, "too many failed sign-ins from this address", headers={"Retry-After": str(wait)}
        )
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise HTTPException(401, "a bearer token is required")
    actor = token_service.authenticate(services(request), presented.strip())
    if actor is None:
        throttle.failed(address)
        raise HTTPException(401, "the token is unknown, expired or revoked")
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
ServicesDep = Annotated[Services, Depends(services)]
