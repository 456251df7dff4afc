"""The SSO session through the pages: idle and absolute limits for level low (60 min idle,
12 h absolute; DESIGN.md), logout, the list of own sessions and "log out everywhere else"."""

from __future__ import annotations

from core.clock import FrozenClock
from tests.helpers import Browser, Citizen, Portal, csrf_token

MINUTE = 60
HOUR = 3600


def logged_in_browser(portal: Portal, citizen: Citizen, address: str, agent: str) -> Browser:
    browser = portal.new_browser(address, user_agent=agent)
    assert browser.login(citizen.email, citizen.password).status_code == 303
    return browser


def post_with_token(browser: Browser, path: str) -> int:
    page = browser.get("/konto/sicherheit")
    return browser.post(path, {"csrf_token": csrf_token(page.text)}).status_code


# --- idle and absolute limits ---------------------------------------------------------------


def test_59_minutes_idle_the_citizen_is_still_logged_in(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    portal.browser.login(erika.email, erika.password)
    clock.advance(59 * MINUTE)
    assert portal.is_logged_in()


def test_61_minutes_idle_the_citizen_is_logged_out(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    portal.browser.login(erika.email, erika.password)
    clock.advance(61 * MINUTE)
    response = portal.browser.get("/konto/profil")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/anmelden?next=")
    assert portal.sso_ids(portal.citizen_id(erika.email) or "") == set()


def test_activity_keeps_the_session_alive_but_not_beyond_12_hours(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    portal.browser.login(erika.email, erika.password)
    elapsed = 0
    while elapsed + 50 * MINUTE < 12 * HOUR:
        clock.advance(50 * MINUTE)
        elapsed += 50 * MINUTE
        assert portal.is_logged_in(), f"still active after {elapsed // MINUTE} min"
    clock.advance(12 * HOUR - elapsed)
    assert not portal.is_logged_in()


def test_after_the_absolute_limit_a_new_login_starts_a_new_session(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    portal.browser.login(erika.email, erika.password)
    clock.advance(12 * HOUR + 1)
    assert not portal.is_logged_in()
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    assert portal.is_logged_in()


# --- logout ---------------------------------------------------------------------------------


def test_logout_ends_the_server_side_session(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    citizen_id = portal.citizen_id(erika.email)
    assert citizen_id is not None
    assert len(portal.sso_ids(citizen_id)) == 1
    response = portal.browser.logout()
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "abgemeldet" in portal.browser.get("/").text
    assert portal.sso_ids(citizen_id) == set()
    assert not portal.is_logged_in()
    assert "logout" in [r.event for r in portal.audit_events(citizen_id)]


def test_logout_ends_only_this_browsers_session(portal: Portal, erika: Citizen) -> None:
    laptop = logged_in_browser(portal, erika, "192.0.2.10", "Laptop")
    phone = logged_in_browser(portal, erika, "192.0.2.11", "Phone")
    laptop.logout()
    assert not portal.is_logged_in(laptop)
    assert portal.is_logged_in(phone)


def test_logout_is_a_post_not_a_link(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    assert portal.browser.get("/abmelden").status_code == 405
    assert portal.is_logged_in()


# --- the list of own sessions ---------------------------------------------------------------


def test_the_security_page_lists_the_citizens_own_sessions_only(
    portal: Portal, erika: Citizen
) -> None:
    laptop = logged_in_browser(portal, erika, "192.0.2.10", "Erikas Laptop")
    logged_in_browser(portal, erika, "192.0.2.11", "Erikas Telefon")
    max_ = portal.registered_citizen("max@example.org", "Noch ein langer Satz als Passwort")
    logged_in_browser(portal, max_, "203.0.113.9", "Max Rechner")
    page = laptop.get("/konto/sicherheit")
    assert page.status_code == 200
    assert "Erikas Laptop" in page.text and "Erikas Telefon" in page.text
    assert "Max Rechner" not in page.text
    assert page.text.count("(dieses Gerät)") == 1
    assert "Überall sonst abmelden" in page.text


def test_log_out_everywhere_else_ends_the_others_but_not_this_one(
    portal: Portal, erika: Citizen
) -> None:
    laptop = logged_in_browser(portal, erika, "192.0.2.10", "Laptop")
    phone = logged_in_browser(portal, erika, "192.0.2.11", "Phone")
    tablet = logged_in_browser(portal, erika, "192.0.2.12", "Tablet")
    max_ = portal.registered_citizen("max@example.org", "Noch ein langer Satz als Passwort")
    max_browser = logged_in_browser(portal, max_, "203.0.113.9", "Max")
    assert post_with_token(laptop, "/konto/sitzungen/andere-beenden") == 303
    assert portal.is_logged_in(laptop)
    assert not portal.is_logged_in(phone)
    assert not portal.is_logged_in(tablet)
    assert portal.is_logged_in(max_browser)
    revoked = [
        r
        for r in portal.audit_events(portal.citizen_id(erika.email))
        if r.event == "session.revoked"
    ]
    assert len(revoked) == 1 and revoked[0].details == {"count": 2}


def test_a_citizen_ends_one_other_session_of_their_own(portal: Portal, erika: Citizen) -> None:
    laptop = logged_in_browser(portal, erika, "192.0.2.10", "Laptop")
    phone = logged_in_browser(portal, erika, "192.0.2.11", "Phone")
    tablet = logged_in_browser(portal, erika, "192.0.2.12", "Tablet")
    citizen_id = portal.citizen_id(erika.email)
    assert citizen_id is not None
    with portal.app.app_context():
        sessions = portal.app.extensions["account"].sessions.list_for(citizen_id)
    phone_sid = next(s.id for s in sessions if s.user_agent == "Phone")
    assert post_with_token(laptop, f"/konto/sitzungen/{phone_sid}/beenden") == 303
    assert not portal.is_logged_in(phone)
    assert portal.is_logged_in(laptop) and portal.is_logged_in(tablet)


def test_ending_someone_elses_session_is_refused(portal: Portal, erika: Citizen) -> None:
    laptop = logged_in_browser(portal, erika, "192.0.2.10", "Laptop")
    max_ = portal.registered_citizen("max@example.org", "Noch ein langer Satz als Passwort")
    max_browser = logged_in_browser(portal, max_, "203.0.113.9", "Max")
    max_id = portal.citizen_id(max_.email)
    assert max_id is not None
    (max_sid,) = portal.sso_ids(max_id)
    post_with_token(laptop, f"/konto/sitzungen/{max_sid}/beenden")
    assert portal.is_logged_in(max_browser)
    assert portal.sso_ids(max_id) == {max_sid}
    events = [r.event for r in portal.audit_events(portal.citizen_id(erika.email))]
    assert "session.revoked" not in events


def test_the_current_session_is_not_ended_through_the_list(portal: Portal, erika: Citizen) -> None:
    laptop = logged_in_browser(portal, erika, "192.0.2.10", "Laptop")
    citizen_id = portal.citizen_id(erika.email)
    assert citizen_id is not None
    (own_sid,) = portal.sso_ids(citizen_id)
    post_with_token(laptop, f"/konto/sitzungen/{own_sid}/beenden")
    assert portal.is_logged_in(laptop)


def test_the_session_pages_need_a_login(portal: Portal) -> None:
    assert portal.browser.get("/konto/sicherheit").status_code == 303
    page = portal.browser.get("/anmelden")
    for path in ["/konto/sitzungen/andere-beenden", "/konto/sitzungen/abc/beenden"]:
        response = portal.browser.post(path, {"csrf_token": csrf_token(page.text)})
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/anmelden")
