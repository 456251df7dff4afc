"""German first, English available: ?lang= (remembered in a cookie), then the cookie, then
the browser's Accept-Language. English texts may still be missing; the language is what counts."""

from __future__ import annotations

import re

from tests.helpers import Portal


def page_language(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)">', html)
    assert match, "the page declares its language"
    return match.group(1)


def test_pages_are_german_by_default(portal: Portal) -> None:
    page = portal.browser.get("/anmelden")
    assert page_language(page.text) == "de"
    assert "Anmelden" in page.text
    assert portal.browser.cookie("bp_lang") is None


def test_lang_en_switches_to_english_and_is_remembered(portal: Portal) -> None:
    page = portal.browser.get("/anmelden?lang=en")
    assert page_language(page.text) == "en"
    cookie = [c for c in page.headers.getlist("Set-Cookie") if c.startswith("bp_lang=")]
    assert cookie and "bp_lang=en" in cookie[0]
    assert "SameSite=Lax" in cookie[0] and "Max-Age=" in cookie[0]
    assert page_language(portal.browser.get("/registrieren").text) == "en"
    assert page_language(portal.browser.get("/").text) == "en"


def test_lang_de_switches_back(portal: Portal) -> None:
    portal.browser.get("/?lang=en")
    assert page_language(portal.browser.get("/?lang=de").text) == "de"
    assert page_language(portal.browser.get("/anmelden").text) == "de"


def test_the_browsers_preference_picks_english(portal: Portal) -> None:
    page = portal.browser.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.3"})
    assert page_language(page.text) == "en"
    assert "bp_lang" not in page.headers.get("Set-Cookie", ""), "only a choice is remembered"


def test_an_unoffered_language_falls_back_to_german(portal: Portal) -> None:
    page = portal.browser.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert page_language(page.text) == "de"


def test_an_explicit_choice_beats_the_browsers_preference(portal: Portal) -> None:
    portal.browser.get("/?lang=de")
    page = portal.browser.get("/", headers={"Accept-Language": "en"})
    assert page_language(page.text) == "de"


def test_unknown_languages_are_ignored(portal: Portal) -> None:
    page = portal.browser.get("/?lang=xx")
    assert page_language(page.text) == "de"
    assert "bp_lang" not in page.headers.get("Set-Cookie", "")
    portal.browser.client.set_cookie("bp_lang", "<script>")
    assert page_language(portal.browser.get("/").text) == "de"


def test_the_language_link_keeps_the_pages_parameters(portal: Portal) -> None:
    page = portal.browser.get("/anmelden?next=%2Fkonto%2Fsicherheit")
    link = re.search(r'<a href="([^"]+)" hreflang="en"', page.text)
    assert link
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith("/anmelden?")
    assert "next=%2Fkonto%2Fsicherheit" in href and "lang=en" in href


def test_error_pages_speak_the_chosen_language(portal: Portal) -> None:
    portal.browser.get("/?lang=en")
    assert page_language(portal.browser.get("/gibt-es-nicht").text) == "en"


def test_a_citizen_registering_in_english_keeps_english_for_mails(portal: Portal) -> None:
    portal.browser.get("/?lang=en")
    portal.register("anna@example.org", "Ein langer Satz als Passwort")
    row = portal.citizen_row("anna@example.org")
    assert row is not None and row["preferred_locale"] == "en"
