"""A browser's part, played by httpx: cookies, redirects within the IdP, the sign-in form
(its CSRF token read from the page) and the auto-submitting SAML form."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from tests.web.signin.people import csrf_token


@dataclass(frozen=True, slots=True)
class SamlForm:
    action: str
    fields: dict[str, str]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("action", ""), {}))
        elif tag == "input" and self.forms and "name" in a:
            self.forms[-1][1][a["name"]] = a.get("value", "")


def forms(page: httpx.Response) -> list[tuple[str, dict[str, str]]]:
    parser = _Forms()
    parser.feed(page.text)
    return parser.forms


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(follow_redirects=False, timeout=60)

    def close(self) -> None:
        self.http.close()

    def _ours(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.base).netloc

    def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow redirects while they stay at the IdP; a redirect elsewhere is returned."""
        for _ in range(10):
            if response.status_code not in (301, 302, 303, 307):
                return response
            target = urljoin(str(response.url), response.headers["location"])
            if not self._ours(target):
                return response
            response = self.http.get(target)
        raise AssertionError("too many redirects")

    def get(self, url: str) -> httpx.Response:
        return self.follow(self.http.get(urljoin(self.base, url)))

    def post(self, url: str, data: dict[str, str]) -> httpx.Response:
        return self.follow(self.http.post(urljoin(self.base, url), data=data))

    def sign_in(self, page: httpx.Response, username: str, password: str) -> httpx.Response:
        """Fill in the sign-in page the IdP showed."""
        assert urlsplit(str(page.url)).path == "/signin", page.url
        fields = next(f for a, f in forms(page) if "password" in f)
        fields.update(username=username, password=password, csrf=csrf_token(page))
        return self.post("/signin", fields)

    def saml_form(self, page: httpx.Response) -> SamlForm:
        """The auto-submitting form that carries a SAML message to the SP."""
        assert page.status_code == 200, (page.status_code, page.text[:500])
        found = [(a, f) for a, f in forms(page) if "SAMLResponse" in f or "SAMLRequest" in f]
        assert len(found) == 1, page.text[:500]
        return SamlForm(found[0][0], found[0][1])
