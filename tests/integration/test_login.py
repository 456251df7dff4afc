"""Password login: 303 to a safe local page, one answer for every kind of failure, and a new
session id on every login (OWASP session fixation)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.helpers import Browser, Citizen, Portal, without_csrf


def login_path(next_value: str) -> str:
    return "/anmelden?" + urlencode({"next": next_value})


# --- success --------------------------------------------------------------------------------


def test_a_verified_citizen_logs_in_with_303_to_the_profile(portal: Portal, erika: Citizen) -> None:
    response = portal.browser.login(erika.email, erika.password)
    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/profil"
    assert portal.is_logged_in()


def test_the_address_may_be_typed_in_any_case(portal: Portal, erika: Citizen) -> None:
    assert portal.browser.login("  ERIKA@Example.org", erika.password).status_code == 303
    assert portal.is_logged_in()


def test_login_returns_to_the_requested_local_page(portal: Portal, erika: Citizen) -> None:
    response = portal.browser.submit(
        login_path("/konto/sicherheit?tab=1"), email=erika.email, password=erika.password
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/sicherheit?tab=1"


def test_a_protected_page_sends_the_visitor_to_the_login_and_back(
    portal: Portal, erika: Citizen
) -> None:
    response = portal.browser.get("/konto/aktivitaet")
    assert response.status_code == 303
    assert response.headers["Location"] == login_path("/konto/aktivitaet")
    login = portal.browser.submit(
        response.headers["Location"], email=erika.email, password=erika.password
    )
    assert login.headers["Location"] == "/konto/aktivitaet"


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.example/phish",
        "///evil.example",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        " //evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_the_next_parameter_cannot_redirect_elsewhere(
    portal: Portal, erika: Citizen, evil: str
) -> None:
    response = portal.browser.submit(login_path(evil), email=erika.email, password=erika.password)
    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/profil"


def test_a_logged_in_visitor_of_the_login_page_is_not_redirected_off_site(
    portal: Portal, erika: Citizen
) -> None:
    portal.browser.login(erika.email, erika.password)
    response = portal.browser.get(login_path("//evil.example"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/profil"


def test_a_login_is_recorded_with_time_and_address(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    citizen_id = portal.citizen_id(erika.email)
    events = [(r.event, r.client_address) for r in portal.audit_events(citizen_id)]
    assert ("login.password.succeeded", "192.0.2.10") in events
    row = portal.citizen_row(erika.email)
    assert row is not None and row["last_login_at"] is not None


def test_the_sso_session_says_who_how_and_how_sure(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    citizen_id = portal.citizen_id(erika.email)
    assert citizen_id is not None
    with portal.app.app_context():
        (sso,) = portal.app.extensions["account"].sessions.list_for(citizen_id)
    assert sso.methods == ["pwd"]
    assert sso.level == "low"
    assert sso.auth_time == portal.clock.now()


# --- no enumeration -------------------------------------------------------------------------


def _failed_login_page(browser: Browser, email: str, password: str) -> tuple[int, str]:
    response = browser.login(email, password)
    return response.status_code, without_csrf(response.text).replace(email, "EMAIL")


def test_unknown_wrong_and_unverified_get_the_identical_answer(
    portal: Portal, erika: Citizen
) -> None:
    portal.register("unverified@example.org", "Ein langer Satz als Passwort")
    browser = portal.new_browser("203.0.113.7")
    unknown = _failed_login_page(browser, "nobody@example.org", "Ein langer Satz als Passwort")
    wrong = _failed_login_page(browser, erika.email, "Ein falsches langes Passwort")
    unverified = _failed_login_page(
        browser, "unverified@example.org", "Ein langer Satz als Passwort"
    )
    assert unknown[0] == wrong[0] == unverified[0] == 200
    assert unknown[1] == wrong[1] == unverified[1]
    assert "E-Mail-Adresse oder Passwort sind nicht richtig" in unknown[1]
    assert not portal.is_logged_in(browser)


def test_an_unverified_account_with_a_wrong_password_answers_the_same_too(
    portal: Portal, erika: Citizen
) -> None:
    portal.register("unverified@example.org", "Ein langer Satz als Passwort")
    browser = portal.new_browser("203.0.113.7")
    wrong = _failed_login_page(browser, erika.email, "Ein falsches langes Passwort")
    other = _failed_login_page(browser, "unverified@example.org", "Ein falsches langes Passwort")
    assert wrong == other


def test_failed_logins_are_recorded_for_the_account(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, "Ein falsches langes Passwort")
    events = [r.event for r in portal.audit_events(portal.citizen_id(erika.email))]
    assert "login.password.failed" in events


def test_a_missing_password_is_a_failed_login_not_an_error(portal: Portal, erika: Citizen) -> None:
    response = portal.browser.login(erika.email, "")
    assert response.status_code == 200
    assert not portal.is_logged_in()


# --- session fixation -----------------------------------------------------------------------


def test_every_login_gives_the_browser_a_new_session_id(portal: Portal, erika: Citizen) -> None:
    portal.browser.get("/anmelden")
    before = portal.browser.cookie("bp_session")
    assert before
    portal.browser.login(erika.email, erika.password)
    after = portal.browser.cookie("bp_session")
    assert after and after != before


def test_a_session_id_planted_before_the_login_is_worthless_afterwards(
    portal: Portal, erika: Citizen
) -> None:
    attacker = portal.new_browser("203.0.113.66")
    attacker.get("/anmelden")
    planted = attacker.cookie("bp_session")
    assert planted
    victim = portal.new_browser()
    victim.client.set_cookie("bp_session", planted)
    assert victim.login(erika.email, erika.password).status_code == 303
    assert victim.cookie("bp_session") != planted
    assert portal.is_logged_in(victim)
    assert not portal.is_logged_in(attacker), "the attacker's copy of the old id gets nothing"


def test_a_copied_session_cookie_stops_working_at_logout(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    stolen = portal.browser.cookie("bp_session")
    assert stolen
    thief = portal.new_browser("203.0.113.66")
    thief.client.set_cookie("bp_session", stolen)
    assert portal.is_logged_in(thief), "the cookie is the session while it lasts"
    portal.browser.logout()
    assert not portal.is_logged_in(thief)


def test_a_made_up_session_id_is_not_adopted(portal: Portal) -> None:
    browser = portal.new_browser()
    browser.client.set_cookie("bp_session", "chosen-by-the-attacker")
    browser.get("/anmelden")
    assert browser.cookie("bp_session") != "chosen-by-the-attacker"


def test_logging_in_again_replaces_the_previous_sso_session(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    citizen_id = portal.citizen_id(erika.email)
    assert citizen_id is not None
    first = portal.sso_ids(citizen_id)
    response = portal.browser.submit(
        "/anmelden?erneut=1", email=erika.email, password=erika.password
    )
    assert response.status_code == 303
    second = portal.sso_ids(citizen_id)
    assert len(first) == len(second) == 1
    assert first != second


def test_the_device_cookie_is_random_and_hidden_from_scripts(
    portal: Portal, erika: Citizen
) -> None:
    response = portal.browser.login(erika.email, erika.password)
    cookies = response.headers.getlist("Set-Cookie")
    device = [c for c in cookies if c.startswith("bp_device=")]
    assert len(device) == 1
    assert "HttpOnly" in device[0]
    assert "SameSite=Lax" in device[0]
    value = device[0].split(";")[0].split("=", 1)[1]
    assert len(value) >= 30 and erika.email not in value
