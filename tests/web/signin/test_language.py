"""German by default, English on request: `?lang=`, the `schulhof_lang` cookie, and
Accept-Language; the switch link on every page; one catalogue for both."""

from __future__ import annotations

import re
import string

import pytest
from fastapi.testclient import TestClient

from schulhof.web.signin import texts
from schulhof.web.signin.texts import Lang
from tests.web.signin.people import LINA_PASSWORD, People, sign_in


def test_german_is_the_default(client: TestClient) -> None:
    page = client.get("/signin")
    assert '<html lang="de">' in page.text
    assert "<h1>Anmelden</h1>" in page.text
    assert page.headers["content-language"] == "de"
    assert 'lang="en"' in page.text  # the switch link, marked as English
    assert ">English</a>" in page.text


def test_the_switch_sets_a_cookie_and_keeps_next(client: TestClient) -> None:
    page = client.get("/signin?next=/oidc/authorize%3Fx%3D1")
    switch = re.search(r'class="lang" href="([^"]+)"', page.text)
    assert switch is not None
    href = switch.group(1).replace("&amp;", "&")
    assert href == "/signin?lang=en&next=%2Foidc%2Fauthorize%3Fx%3D1"
    english = client.get(href)
    assert '<html lang="en">' in english.text
    assert english.headers["content-language"] == "en"
    assert "<h1>Sign in</h1>" in english.text
    assert 'name="next" value="/oidc/authorize?x=1"' in english.text
    assert "schulhof_lang=en" in english.headers["set-cookie"]
    # Remembered: the next page is English without asking again.
    assert "<h1>Sign out</h1>" in client.get("/signout").text
    assert '<html lang="de">' in client.get("/signin?lang=de").text
    assert '<html lang="de">' in client.get("/signout").text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5, de;q=0.8", "de"),
        ("fr, en;q=0.1", "en"),
        ("tr, ar", "de"),
        ("", "de"),
        ("en;q=0, de-AT", "de"),
        ("EN-us;q=garbage, en", "en"),
    ],
)
def test_accept_language_when_no_cookie(client: TestClient, header: str, expected: str) -> None:
    page = client.get("/signin", headers={"Accept-Language": header})
    assert f'<html lang="{expected}">' in page.text


def test_the_cookie_wins_over_accept_language(client: TestClient) -> None:
    client.cookies.set(texts.LANG_COOKIE, "de")
    page = client.get("/signin", headers={"Accept-Language": "en"})
    assert '<html lang="de">' in page.text


def test_english_all_the_way_through(client: TestClient, people: People) -> None:
    client.get("/signin?lang=en")
    failed = sign_in(client, people.lina, "wrong-wrong-wrong")
    assert "The username or password is wrong." in failed.text
    sign_in(client, people.lina, LINA_PASSWORD)
    account = client.get("/account")
    assert "You are signed in as Lina Öztürk." in account.text


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_say_everything_with_the_same_blanks() -> None:
    de, en = texts.CATALOGUE[Lang.DE], texts.CATALOGUE[Lang.EN]
    assert de.keys() == en.keys()
    for key in de:
        assert _fields(de[key]) == _fields(en[key]), key
        assert de[key].strip(), key
        assert en[key].strip(), key


def test_waits_in_words() -> None:
    assert texts.duration(Lang.DE, 1) == "1 Sekunde"
    assert texts.duration(Lang.DE, 8) == "8 Sekunden"
    assert texts.duration(Lang.DE, 120) == "120 Sekunden"
    assert texts.duration(Lang.DE, 121) == "3 Minuten"
    assert texts.duration(Lang.DE, 900) == "15 Minuten"
    assert texts.duration(Lang.EN, 60) == "60 seconds"
    assert texts.duration(Lang.EN, 1800) == "30 minutes"
