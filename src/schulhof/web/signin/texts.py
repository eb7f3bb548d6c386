"""Every word the sign-in pages say, in German (the default) and English.

One catalogue, so a school secretary can proofread the German in one place and nothing is
translated twice. Keys are the English meaning in snake case; `{name}` fields are filled by
`text()`. Choosing the language (query, cookie, Accept-Language) lives here too.
"""

from __future__ import annotations

import enum

from starlette.requests import Request


class Lang(enum.StrEnum):
    DE = "de"
    EN = "en"


DEFAULT = Lang.DE
LANG_COOKIE = "schulhof_lang"

_DE: dict[str, str] = {
    "brand": "Schulhof",
    "skip_to_content": "Zum Inhalt springen",
    "switch_to": "English",
    "switch_label": "Switch to English",
    "error_summary": "Bitte prüfen Sie Ihre Eingaben:",
    # sign-in
    "signin_title": "Anmelden",
    "signin_intro": "Melden Sie sich mit Ihrem Schulhof-Benutzernamen und Passwort an.",
    "username": "Benutzername",
    "password": "Passwort",
    "signin_button": "Anmelden",
    "signin_failed": (
        "Benutzername oder Passwort ist falsch. Bitte prüfen Sie Ihre Eingabe. "
        "Achten Sie auf Groß- und Kleinschreibung."
    ),
    "signin_missing": "Bitte geben Sie Benutzername und Passwort ein.",
    "throttled": "Zu viele Fehlversuche. Bitte warten Sie {wait}.",
    "forgot": (
        "Passwort vergessen? Ihre Lehrkraft oder das Sekretariat kann Ihnen ein neues "
        "Startpasswort geben."
    ),
    "signed_out_notice": "Sie haben sich abgemeldet.",
    "already_signed_in": "Sie sind bereits als {name} angemeldet.",
    "continue_as": "Weiter als {name}",
    "someone_else": "Sie sind nicht {name}? Dann melden Sie sich hier mit Ihrem eigenen Konto an.",
    "expired_notice": "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
    # password change
    "change_title": "Passwort ändern",
    "change_intro": "Wählen Sie ein neues Passwort, das nur Sie kennen.",
    "change_required": (
        "Sie haben sich mit einem Startpasswort angemeldet. Bitte wählen Sie jetzt ein "
        "eigenes Passwort."
    ),
    "current_password": "Bisheriges Passwort",
    "new_password": "Neues Passwort",
    "repeat_password": "Neues Passwort wiederholen",
    "change_button": "Passwort ändern",
    "change_rules": (
        "Mindestens {min_length} Zeichen. Nicht Ihr Name oder Benutzername. Ein langer Satz "
        "aus mehreren Wörtern ist leicht zu merken und schwer zu erraten."
    ),
    "current_wrong": "Das bisherige Passwort ist falsch.",
    "current_missing": "Bitte geben Sie Ihr bisheriges Passwort ein.",
    "new_missing": "Bitte geben Sie ein neues Passwort ein.",
    "repeat_mismatch": "Die beiden neuen Passwörter stimmen nicht überein.",
    "new_too_short": "Das neue Passwort muss mindestens {min_length} Zeichen lang sein.",
    "new_too_long": "Das neue Passwort darf höchstens {max_length} Zeichen lang sein.",
    "new_contains_name": ("Das neue Passwort darf Ihren Namen oder Benutzernamen nicht enthalten."),
    "new_too_simple": (
        "Ein Passwort mit weniger als {mixed_below} Zeichen muss neben Buchstaben auch "
        "Ziffern oder Sonderzeichen enthalten."
    ),
    "new_repeats": "Das neue Passwort besteht nur aus einem oder zwei verschiedenen Zeichen.",
    "new_invalid": "Dieses Passwort ist nicht erlaubt. Bitte wählen Sie ein anderes.",
    "new_same": "Das neue Passwort muss sich vom bisherigen unterscheiden.",
    "changed_notice": "Ihr Passwort wurde geändert.",
    # account
    "account_title": "Mein Konto",
    "signed_in_as": "Sie sind angemeldet als {name}.",
    "username_is": "Benutzername: {username}",
    "change_link": "Passwort ändern",
    "signout_link": "Abmelden",
    # sign-out
    "signout_title": "Abmelden",
    "signout_question": "Möchten Sie sich bei Schulhof und allen verbundenen Diensten abmelden?",
    "signout_button": "Abmelden",
    "cancel": "Abbrechen",
    "not_signed_in": "Sie sind nicht angemeldet.",
    "signin_link": "Anmelden",
    "shared_pc_hint": (
        "An einem gemeinsam genutzten Computer schließen Sie bitte zusätzlich alle Browserfenster."
    ),
    # CSRF
    "csrf_title": "Formular abgelaufen",
    "csrf_text": (
        "Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. Aus "
        "Sicherheitsgründen wurde nichts gespeichert. Bitte laden Sie die Seite neu und "
        "versuchen Sie es noch einmal."
    ),
    "back_to_form": "Zurück zum Formular",
    # durations
    "seconds_1": "1 Sekunde",
    "seconds_n": "{n} Sekunden",
    "minutes_1": "1 Minute",
    "minutes_n": "{n} Minuten",
}

_EN: dict[str, str] = {
    "brand": "Schulhof",
    "skip_to_content": "Skip to the content",
    "switch_to": "Deutsch",
    "switch_label": "Auf Deutsch anzeigen",
    "error_summary": "Please check what you entered:",
    "signin_title": "Sign in",
    "signin_intro": "Sign in with your Schulhof username and password.",
    "username": "Username",
    "password": "Password",
    "signin_button": "Sign in",
    "signin_failed": (
        "The username or password is wrong. Please check what you entered; upper and "
        "lower case matter."
    ),
    "signin_missing": "Please enter your username and password.",
    "throttled": "Too many failed attempts. Please wait {wait}.",
    "forgot": (
        "Forgotten your password? Your teacher or the school office can give you a new "
        "initial password."
    ),
    "signed_out_notice": "You have signed out.",
    "already_signed_in": "You are already signed in as {name}.",
    "continue_as": "Continue as {name}",
    "someone_else": "Not {name}? Then sign in here with your own account.",
    "expired_notice": "Your session has expired. Please sign in again.",
    "change_title": "Change password",
    "change_intro": "Choose a new password that only you know.",
    "change_required": (
        "You signed in with an initial password. Please choose a password of your own now."
    ),
    "current_password": "Current password",
    "new_password": "New password",
    "repeat_password": "Repeat the new password",
    "change_button": "Change password",
    "change_rules": (
        "At least {min_length} characters. Not your name or username. A long sentence of "
        "several words is easy to remember and hard to guess."
    ),
    "current_wrong": "The current password is wrong.",
    "current_missing": "Please enter your current password.",
    "new_missing": "Please enter a new password.",
    "repeat_mismatch": "The two new passwords do not match.",
    "new_too_short": "The new password must be at least {min_length} characters long.",
    "new_too_long": "The new password may have at most {max_length} characters.",
    "new_contains_name": "The new password must not contain your name or username.",
    "new_too_simple": (
        "A password shorter than {mixed_below} characters must mix letters with digits or "
        "other characters."
    ),
    "new_repeats": "The new password uses only one or two different characters.",
    "new_invalid": "This password is not allowed. Please choose another one.",
    "new_same": "The new password must differ from the current one.",
    "changed_notice": "Your password has been changed.",
    "account_title": "My account",
    "signed_in_as": "You are signed in as {name}.",
    "username_is": "Username: {username}",
    "change_link": "Change password",
    "signout_link": "Sign out",
    "signout_title": "Sign out",
    "signout_question": "Do you want to sign out of Schulhof and all connected services?",
    "signout_button": "Sign out",
    "cancel": "Cancel",
    "not_signed_in": "You are not signed in.",
    "signin_link": "Sign in",
    "shared_pc_hint": "On a shared computer, please also close all browser windows.",
    "csrf_title": "Form expired",
    "csrf_text": (
        "The form has expired or was not sent from this page. For your safety nothing was "
        "saved. Please reload the page and try again."
    ),
    "back_to_form": "Back to the form",
    "seconds_1": "1 second",
    "seconds_n": "{n} seconds",
    "minutes_1": "1 minute",
    "minutes_n": "{n} minutes",
}

CATALOGUE: dict[Lang, dict[str, str]] = {Lang.DE: _DE, Lang.EN: _EN}


def text(lang: Lang, key: str, **fields: object) -> str:
    """The sentence `key` in `lang`; a key missing in one language is a bug the catalogue
    test catches, so no fallback here."""
    template = CATALOGUE[lang][key]
    return template.format(**fields) if fields else template


def duration(lang: Lang, seconds: int) -> str:
    """A wait in words: seconds up to two minutes, whole minutes (rounded up) beyond."""
    if seconds <= 120:
        return text(lang, "seconds_1") if seconds == 1 else text(lang, "seconds_n", n=seconds)
    minutes = -(-seconds // 60)
    return text(lang, "minutes_1") if minutes == 1 else text(lang, "minutes_n", n=minutes)


def parse(value: str | None) -> Lang | None:
    if value is None:
        return None
    try:
        return Lang(value.strip().lower())
    except ValueError:
        return None


def from_accept_language(header: str) -> Lang | None:
    """The first language in an Accept-Language header (RFC 9110 §12.5.4) that we speak,
    by quality; `de-AT` counts as `de`."""
    ranked: list[tuple[float, int, Lang]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        lang = parse(tag.split("-")[0])
        if lang is not None and quality > 0:
            ranked.append((-quality, position, lang))
    return min(ranked)[2] if ranked else None


def choose(request: Request) -> tuple[Lang, bool]:
    """The page's language and whether it was asked for just now (`?lang=`), in which case
    the caller remembers it in the `schulhof_lang` cookie. Order: query, cookie,
    Accept-Language, German."""
    asked = parse(request.query_params.get("lang"))
    if asked is not None:
        return asked, True
    remembered = parse(request.cookies.get(LANG_COOKIE))
    if remembered is not None:
        return remembered, False
    return from_accept_language(request.headers.get("accept-language", "")) or DEFAULT, False
