"""New recovery codes, and what a card login may do for the second factor, through the pages on
both storage backends: new codes only after a fresh login and a right code from the app, all
old codes replaced in one transaction, the new ones shown once and stored as digests; the card
page without the Online-Ausweis or without a linked card. The card itself is read through the
real eID flow in tests/flows/test_totp_card.py."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import select
from werkzeug.test import TestResponse

from account.models import TotpRecoveryCode
from account.sso import SsoSession
from account.totp import flows
from core.audit import AuditRecord
from core.clock import FrozenClock
from core.db import db
from tests.helpers import Browser, Citizen, Portal, csrf_token
from tests.integration.test_totp import events, link_a_card
from tests.totp_support import CODE, RECOVERY_RE, App, enrol, log_in_with_code, post_code

RENEW = "/konto/sicherheit/app/wiederherstellungscodes"
CARD_OFF = "/konto/sicherheit/app/ausschalten/ausweis"
SECURITY = "/konto/sicherheit"


@pytest.fixture
def erika_codes(portal: Portal, erika: Citizen, clock: FrozenClock) -> tuple[App, list[str]]:
    """Erika switched the second factor on in the portal's browser (which stays logged in)."""
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    app, codes = enrol(portal.browser, clock)
    clock.advance(30)  # the enrolment used the current code up
    return app, codes


def digests(portal: Portal) -> set[str]:
    with portal.app.app_context():
        return set(db.session.scalars(select(TotpRecoveryCode.digest)))


def recovery_login(portal: Portal, erika: Citizen, code: str) -> TestResponse:
    browser = portal.new_browser("203.0.113.20")
    assert browser.login(erika.email, erika.password).headers["Location"] == CODE
    path = CODE + "?wiederherstellung=1"
    page = browser.get(path)
    return browser.post(path, {"csrf_token": csrf_token(page.text), "code": code})


def renew(portal: Portal, code: str, browser: Browser | None = None) -> TestResponse:
    b = browser or portal.browser
    return post_code(b, RENEW, b.get(RENEW), code)


# --- new recovery codes ------------------------------------------------------------------------


def test_the_security_page_offers_new_codes_and_counts_the_unused_ones(
    portal: Portal, erika: Citizen, erika_codes: tuple[App, list[str]]
) -> None:
    _app, codes = erika_codes
    page = portal.browser.get(SECURITY)
    assert "Unbenutzte Wiederherstellungscodes: 10" in page.text
    assert f'href="{RENEW}"' in page.text and "Neue Wiederherstellungscodes erzeugen" in page.text
    assert "nur noch wenige" not in page.text
    for code in codes[:7]:
        assert recovery_login(portal, erika, code).status_code == 303
    page = portal.browser.get(SECURITY)
    assert "Unbenutzte Wiederherstellungscodes: 3" in page.text
    assert "nur noch wenige Wiederherstellungscodes" in page.text


def test_a_right_code_replaces_all_old_codes_with_ten_new_ones_shown_once(
    portal: Portal, erika: Citizen, erika_codes: tuple[App, list[str]]
) -> None:
    app, old = erika_codes
    assert recovery_login(portal, erika, old[0]).status_code == 303  # nine unused ones left
    before = digests(portal)
    page = portal.browser.get(RENEW)
    assert page.status_code == 200
    assert "Unbenutzte Wiederherstellungscodes: 9" in page.text
    assert '<label for="code">' in page.text and 'autocomplete="one-time-code"' in page.text
    assert "<script" not in page.text
    shown = post_code(portal.browser, RENEW, page, app.code())
    assert shown.status_code == 200, shown.text[:300]
    assert shown.headers["Cache-Control"] == "no-store"
    assert "Ihre neuen Wiederherstellungscodes" in shown.text
    new = RECOVERY_RE.findall(shown.text)
    assert len(new) == len(set(new)) == 10 and not set(new) & set(old)
    after = digests(portal)
    assert len(after) == 10 and not after & before  # every old one went, the used one too
    assert not {c.replace("-", "") for c in new} & after  # digests, never the codes
    assert "totp.recovery_codes_renewed" in events(portal, erika.email)
    mail = portal.last_mail_to(erika.email)
    assert mail.subject == "Neue Wiederherstellungscodes für Ihr Bürgerkonto"
    assert not any(code in mail.body for code in new)
    again = portal.browser.get(RENEW)  # a reload shows the form, not the codes
    assert again.status_code == 200 and not RECOVERY_RE.findall(again.text)
    assert "Unbenutzte Wiederherstellungscodes: 10" in portal.browser.get(SECURITY).text
    refused = recovery_login(portal, erika, old[5])
    assert refused.status_code == 400 and "gilt nicht (mehr)" in refused.text
    assert recovery_login(portal, erika, new[5]).status_code == 303


def test_a_wrong_used_or_recovery_code_changes_nothing(
    portal: Portal, erika: Citizen, erika_codes: tuple[App, list[str]]
) -> None:
    app, codes = erika_codes
    before = digests(portal)
    current = app.code()
    assert renew(portal, current).status_code == 200
    renewed = digests(portal)
    for code in (
        current,  # used a moment ago (RFC 6238 §5.2)
        f"{(int(app.code(1)) + 1) % 1_000_000:06d}",
        app.code(-2),  # too old
        codes[0],  # a recovery code is no code from the app
        "",
        "x" * 5000,
    ):
        answer = renew(portal, code)
        assert answer.status_code == 400, code
        assert not RECOVERY_RE.findall(answer.text)
    assert digests(portal) == renewed != before
    assert "login.totp.failed" in events(portal, erika.email)
    with portal.app.app_context():
        purposes = {
            r.details.get("purpose")
            for r in db.session.scalars(
                select(AuditRecord).where(AuditRecord.event == "login.totp.failed")
            )
        }
    assert purposes == {"recovery-codes"}


def test_new_codes_need_a_fresh_login(
    portal: Portal, erika: Citizen, erika_codes: tuple[App, list[str]], clock: FrozenClock
) -> None:
    app, _codes = erika_codes
    page = portal.browser.get(RENEW)
    before = digests(portal)
    clock.advance(11 * 60)
    stale = portal.browser.get(RENEW)
    assert stale.status_code == 303
    assert stale.headers["Location"].startswith("/anmelden?next=%2Fkonto%2Fsicherheit%2Fapp%2Fw")
    assert "erneut=1" in stale.headers["Location"]
    posted = post_code(portal.browser, RENEW, page, app.code())  # the form from before
    assert posted.status_code == 303 and "erneut=1" in posted.headers["Location"]
    assert digests(portal) == before
    login = portal.browser.submit(
        stale.headers["Location"], email=erika.email, password=erika.password
    )
    assert login.headers["Location"] == CODE
    back = post_code(portal.browser, CODE, portal.browser.get(CODE), app.code())
    assert back.headers["Location"] == RENEW
    assert renew(portal, app.next_code()).status_code == 200
    assert digests(portal) != before


def test_without_the_factor_or_a_login_the_page_sends_elsewhere(
    portal: Portal, erika: Citizen
) -> None:
    nobody = portal.new_browser("203.0.113.21")
    assert nobody.get(RENEW).headers["Location"].startswith("/anmelden?next=")
    assert nobody.post(RENEW, {"code": "123456"}).status_code in {303, 400}
    portal.browser.login(erika.email, erika.password)
    answer = portal.browser.get(RENEW)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("#app-code")
    page = portal.browser.get(SECURITY)
    assert RENEW not in page.text
    assert (
        portal.browser.post(RENEW, {"csrf_token": csrf_token(page.text), "code": "123456"})
        .headers["Location"]
        .endswith("#app-code")
    )


def test_a_missing_csrf_token_changes_nothing(
    portal: Portal, erika_codes: tuple[App, list[str]]
) -> None:
    app, _codes = erika_codes
    before = digests(portal)
    assert portal.browser.post(RENEW, {"code": app.code()}).status_code == 400
    assert digests(portal) == before


def test_two_renewals_at_once_leave_the_codes_of_one(
    portal: Portal, erika: Citizen, erika_codes: tuple[App, list[str]]
) -> None:
    """The same code posted twice at the same moment: one wins, and exactly its ten codes are
    stored (never old and new side by side, never twenty)."""
    app, _codes = erika_codes
    second = portal.new_browser("203.0.113.22")
    assert log_in_with_code(second, erika.email, erika.password, app.code()).status_code == 303
    code = app.next_code()
    pages = [(b, b.get(RENEW)) for b in (portal.browser, second)]
    answers: list[TestResponse] = []
    start = threading.Barrier(2)

    def post(browser: Browser, page: TestResponse) -> None:
        start.wait()
        answers.append(post_code(browser, RENEW, page, code))

    threads = [threading.Thread(target=post, args=pair) for pair in pages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 400]
    (won,) = [a for a in answers if a.status_code == 200]
    shown = RECOVERY_RE.findall(won.text)
    assert len(digests(portal)) == 10
    for code_shown in shown[:2]:
        assert recovery_login(portal, erika, code_shown).status_code == 303


def test_the_page_reads_in_english(portal: Portal, erika_codes: tuple[App, list[str]]) -> None:
    page = portal.browser.get(RENEW + "?lang=en")
    assert page.status_code == 200
    assert "Create new recovery codes" in page.text
    assert "Wiederherstellungscodes" not in page.text


# --- the card instead of a code --------------------------------------------------------------


def test_the_card_page_is_not_there_without_the_online_ausweis(
    portal: Portal, erika: Citizen, erika_codes: tuple[App, list[str]]
) -> None:
    link_a_card(portal, erika.email)
    assert portal.browser.get(CARD_OFF).status_code == 404
    page = portal.browser.get("/konto/sicherheit/app/ausschalten")
    assert CARD_OFF not in page.text  # and the switch-off page does not offer it


@pytest.mark.parametrize(
    ("methods", "level", "age", "proves"),
    [
        (["eid"], "high", 0, True),
        (["eid", "pwd"], "high", 9 * 60, True),
        (["eid"], "high", 11 * 60, False),  # not fresh
        (["eid"], "substantial", 0, False),  # a card login below high
        (["pwd", "totp"], "substantial", 0, False),
        (["pwd"], "high", 0, False),  # (no such session; the method decides)
    ],
)
def test_which_sessions_a_card_login_proves(
    portal: Portal, methods: list[str], level: str, age: int, proves: bool
) -> None:
    now = portal.clock.now()
    sso = SsoSession("sid", "cid", methods, level, now - age, now - age, now)
    with portal.app.app_context():
        assert flows.card_proves(sso) is proves
        assert flows.card_proves(replace(sso, auth_time=now)) is (
            "eid" in methods and level == "high"
        )
