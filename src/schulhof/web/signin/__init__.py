"""The sign-in pages people see: sign in, change the password, the account page, sign out.

Rule: HTML in, service calls out. Whether a password is right, when to throttle and what a
session is belong to services (signin, sessions); this package only renders (German by
default, English on request), checks CSRF and sets cookies through `web.sso`. Every word
shown lives in `texts.py`; templates are autoescaped Jinja2; nothing is loaded from
elsewhere (no external assets, no script).
"""

from __future__ import annotations

from fastapi import APIRouter

from schulhof.web.signin import password, routes
from schulhof.web.signin.routes import sign_out

router = APIRouter(include_in_schema=False)
router.include_router(routes.router)
router.include_router(password.router)

__all__ = ["router", "sign_out"]
