"""The second factor through the pages, on both storage backends: enrolment (only after a fresh
login, only with a right code), the code after the password, replay refused, ±1 time step,
throttling, recovery codes once, switching it off, and the level it reaches. The citizen's
app is pyotp reading the otpauth:// URI the hub shows (tests/totp_support.py)."""

from __future__ import annotations

import base64
import re
import threading
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from account.models import EidLink, TotpCredential, TotpRecoveryCode, citizen_by_email
from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.helpers import Browser, Citizen, Portal, csrf_token
from tests.totp_support import CODE, ENROL, App, app_from, enrol, log_in_with_code, post_code

DISABLE = "/konto/sicherheit/app/ausschalten"


@pytest.fixture
def erika_app(portal: Portal, erika: Citizen, clock: FrozenClock) -> App:
    """Erika switched the second factor on in the portal's browser (which stays logged in)."""
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    app, _codes = enrol(portal.browser, clock)
    return app


def session_of(portal: Portal, email: str) -> tuple[list[str], str]:
    citizen_id = portal.citizen_id(email)
    assert citizen_id is not None
    with portal.app.app_context():
        sessions = portal.app.extensions["account"].sessions.list_for(citizen_id)
    newest = max(sessions, key=lambda s: s.created_at)
    return newest.methods, newest.level


def events(portal: Portal, email: str) -> list[str]:
    return [r.event for r in portal.audit_events(portal.citizen_id(email))]


def link_a_card(portal: Portal, email: str) -> None:
    """Arrange an account whose identity was verified by eID (the card link itself is tested
    with the real eID flow in tests/flows/test_totp_step_up.py)."""
    with portal.app.app_context():
        citizen = citizen_by_email(email)
        assert citizen is not None
        db.session.add(
            EidLink(
                citizen_id=citizen.id,
                restricted_id_digest="ab" * 32,
                document_type="ID",
                linked_at=datetime.now(UTC),
            )
        )
        db.session.commit()


# --- enrolment -------------------------------------------------------------------------------


def test_the_enrolment_page_shows_uri_secret_and_qr_code_accessibly(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    portal.browser.login(erika.email, erika.password)
    page = portal.browser.get(ENROL)
    assert page.status_code == 200
    app = app_from(page, clock)
    assert app.totp.digits == 6 and app.totp.interval == 30
    assert app.totp.digest().name == "sha1"
    assert app.totp.issuer == "Bürgerportal" and app.totp.name == erika.email
    assert len(app.totp.secret) == 32  # 160 bits
    grouped = " ".join(app.totp.secret[i : i + 4] for i in range(0, 32, 4))
    assert grouped in page.text
    assert '<svg aria-hidden="true"' in page.text and "<script" not in page.text
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", page.text)
    assert field is not None
    tag = field.group(0)
    assert 'autocomplete="one-time-code"' in tag and 'inputmode="numeric"' in tag
    assert '<label for="code">' in page.text
    assert app_from(portal.browser.get(ENROL), clock).totp.secret == app.totp.secret  # reload


def test_a_wrong_code_does_not_switch_it_on(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    portal.browser.login(erika.email, erika.password)
    page = portal.browser.get(ENROL)
    app = app_from(page, clock)
    wrong = f"{(int(app.code()) + 1) % 1_000_000:06d}"
    answer = post_code(portal.browser, ENROL, page, wrong)
    assert answer.status_code == 400
    assert "Der Code ist nicht richtig" in answer.text
    assert app_from(answer, clock).totp.secret == app.totp.secret  # still the same secret
    with portal.app.app_context():
        assert db.session.scalars(select(TotpCredential)).all() == []
    assert "login.totp.failed" in events(portal, erika.email)
    assert "totp.enabled" not in events(portal, erika.email)
    assert portal.browser.logout().status_code == 303
    assert portal.browser.login(erika.email, erika.password).headers["Location"] != CODE


def test_a_right_code_switches_it_on_with_ten_recovery_codes_shown_once(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    other = portal.new_browser("198.51.100.7")
    other.login(erika.email, erika.password)
    portal.browser.login(erika.email, erika.password)
    app, codes = enrol(portal.browser, clock)
    assert len(set(codes)) == 10
    assert portal.is_logged_in() and not portal.is_logged_in(other)  # others ended
    assert "totp.enabled" in events(portal, erika.email)
    assert "Code aus der App ist eingeschaltet" in portal.last_mail_to(erika.email).subject
    security = portal.browser.get("/konto/sicherheit")
    assert "Eingeschaltet seit" in security.text and "Wiederherstellungscodes: 10" in security.text
    assert not any(code in security.text for code in codes)
    assert portal.browser.get(ENROL).status_code == 303  # nothing shown again
    with portal.app.app_context():
        stored = db.session.scalars(select(TotpRecoveryCode.digest)).all()
        (credential,) = db.session.scalars(select(TotpCredential)).all()
        raw = app.totp.byte_secret()
        assert app.totp.secret.encode() not in credential.sealed_secret
        assert raw not in credential.sealed_secret
    assert len(stored) == 10
    assert not {c.replace("-", "") for c in codes} & set(stored)


def test_enrolment_needs_a_fresh_login(portal: Portal, erika: Citizen, clock: FrozenClock) -> None:
    portal.browser.login(erika.email, erika.password)
    clock.advance(11 * 60)
    answer = portal.browser.get(ENROL)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/anmelden?next=%2Fkonto%2Fsicherheit%2Fapp")
    assert "erneut=1" in answer.headers["Location"]
    again = portal.browser.submit(
        answer.headers["Location"], email=erika.email, password=erika.password
    )
    assert again.headers["Location"] == ENROL
    assert portal.browser.get(ENROL).status_code == 200


def test_a_code_without_a_waiting_secret_starts_the_enrolment_anew(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    portal.browser.login(erika.email, erika.password)
    page = portal.browser.get("/")  # the enrolment page was never opened in this session
    answer = portal.browser.post(ENROL, {"csrf_token": csrf_token(page.text), "code": "123456"})
    assert answer.status_code == 400 and "Die Einrichtung ist abgelaufen" in answer.text
    app_from(answer, clock)  # a new secret to set up
    with portal.app.app_context():
        assert db.session.scalars(select(TotpCredential)).all() == []


# --- login with the code -----------------------------------------------------------------------


def test_the_password_alone_gives_no_session(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    browser = portal.new_browser("203.0.113.5")
    first = browser.login(erika.email, erika.password)
    assert first.status_code == 303 and first.headers["Location"] == CODE
    assert not portal.is_logged_in(browser)
    page = browser.get(CODE)
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.text
    assert browser.get("/konto/sicherheit").status_code == 303


def test_password_and_code_log_in_with_methods_pwd_and_totp_at_level_low_without_card(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    browser = portal.new_browser("203.0.113.5")
    answer = log_in_with_code(
        browser, erika.email, erika.password, erika_app.next_code(), "/konto/aktivitaet"
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/konto/aktivitaet"
    assert portal.is_logged_in(browser)
    assert session_of(portal, erika.email) == (["pwd", "totp"], "low")
    assert "login.totp.succeeded" in events(portal, erika.email)
    assert "Anmeldung mit Passwort und Code aus der App" in browser.get("/konto/aktivitaet").text


def test_with_a_linked_card_password_and_code_reach_substantial(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    link_a_card(portal, erika.email)
    browser = portal.new_browser("203.0.113.5")
    answer = log_in_with_code(browser, erika.email, erika.password, erika_app.next_code())
    assert answer.status_code == 303
    assert session_of(portal, erika.email) == (["pwd", "totp"], "substantial")


def test_the_same_code_is_refused_a_second_time(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    code = erika_app.next_code()
    assert (
        log_in_with_code(portal.new_browser(), erika.email, erika.password, code).status_code == 303
    )
    again = log_in_with_code(portal.new_browser(), erika.email, erika.password, code)
    assert again.status_code == 400 and "jeder Code gilt nur einmal" in again.text


def test_the_enrolment_code_is_used_up_as_well(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    answer = log_in_with_code(portal.new_browser(), erika.email, erika.password, erika_app.code())
    assert answer.status_code == 400


def test_codes_one_step_either_side_are_accepted_two_steps_are_not(
    portal: Portal, erika: Citizen, erika_app: App, clock: FrozenClock
) -> None:
    clock.advance(300)
    too_early = erika_app.code(-2)
    assert (
        log_in_with_code(portal.new_browser(), erika.email, erika.password, too_early).status_code
        == 400
    )
    too_late = erika_app.code(+2)
    assert (
        log_in_with_code(portal.new_browser(), erika.email, erika.password, too_late).status_code
        == 400
    )
    behind = erika_app.code(-1)
    assert (
        log_in_with_code(portal.new_browser(), erika.email, erika.password, behind).status_code
        == 303
    )
    ahead = erika_app.code(+1)
    assert (
        log_in_with_code(portal.new_browser(), erika.email, erika.password, ahead).status_code
        == 303
    )
    # the current step comes before the one just accepted: a verifier never goes back
    now = erika_app.code()
    assert (
        log_in_with_code(portal.new_browser(), erika.email, erika.password, now).status_code == 400
    )


def test_two_concurrent_uses_of_one_time_step_have_one_winner(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    from account.totp.credential import claim_step

    citizen_id = portal.citizen_id(erika.email)
    assert citizen_id is not None
    step = int(portal.clock.now()) // 30 + 5
    results: list[bool] = []
    start = threading.Barrier(2)

    def use() -> None:
        with portal.app.app_context():
            start.wait()
            results.append(claim_step(citizen_id, step, portal.clock.now()))
            db.session.commit()

    threads = [threading.Thread(target=use) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]


def test_five_wrong_codes_end_the_waiting_login(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    browser = portal.new_browser("203.0.113.5")
    browser.login(erika.email, erika.password)
    for _ in range(4):
        page = browser.get(CODE)
        assert post_code(browser, CODE, page, "000000").status_code == 400
    last = post_code(browser, CODE, browser.get(CODE), "000000")
    assert last.status_code == 303 and last.headers["Location"].startswith("/anmelden")
    assert browser.get(CODE).status_code == 303  # the password is asked again
    assert not portal.is_logged_in(browser)


def test_wrong_codes_are_throttled_like_the_password(
    portal: Portal, erika: Citizen, erika_app: App, clock: FrozenClock
) -> None:
    browser = portal.new_browser("203.0.113.5")
    right = erika_app.next_code()
    browser.login(erika.email, erika.password)
    for _ in range(5):
        post_code(browser, CODE, browser.get(CODE), "000000")
    browser.login(erika.email, erika.password)
    page = browser.get(CODE)
    throttled = post_code(browser, CODE, page, right)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert "Zu viele fehlgeschlagene Anmeldungen" in throttled.text
    assert not portal.is_logged_in(browser)
    assert "login.throttled" in events(portal, erika.email)
    clock.advance(int(throttled.headers["Retry-After"]))
    assert post_code(browser, CODE, browser.get(CODE), erika_app.code()).status_code == 303


def test_guessing_from_many_addresses_does_not_lock_out_the_owners_browser(
    portal: Portal, erika: Citizen, erika_app: App, clock: FrozenClock
) -> None:
    owner = portal.new_browser("192.0.2.99")
    assert (
        log_in_with_code(owner, erika.email, erika.password, erika_app.next_code()).status_code
        == 303
    )
    owner.logout()
    for n in range(4):  # 20 wrong codes an hour: the account's cap for untrusted browsers
        attacker = portal.new_browser(f"203.0.113.{n + 20}")
        attacker.login(erika.email, erika.password)
        for _ in range(5):
            post_code(attacker, CODE, attacker.get(CODE), "000000")
    late = portal.new_browser("203.0.113.50")
    answer = log_in_with_code(late, erika.email, erika.password, erika_app.next_code())
    assert answer.status_code == 429
    assert log_in_with_code(owner, erika.email, erika.password, erika_app.code()).status_code == 303


# --- recovery codes ----------------------------------------------------------------------------


def test_a_recovery_code_logs_in_once_at_level_low_and_tells_by_mail(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    portal.browser.login(erika.email, erika.password)
    _app, codes = enrol(portal.browser, clock)
    link_a_card(portal, erika.email)
    browser = portal.new_browser("203.0.113.5")
    browser.login(erika.email, erika.password)
    page = browser.get(CODE + "?wiederherstellung=1")
    assert 'autocomplete="off"' in page.text and "Wiederherstellungscode" in page.text
    answer = browser.post(
        CODE + "?wiederherstellung=1",
        {"csrf_token": csrf_token(page.text), "code": codes[3].upper().replace("-", " ")},
    )
    assert answer.status_code == 303
    assert session_of(portal, erika.email) == (["pwd"], "low")  # a fall-back, not the app
    assert "Ihnen bleiben 9" in portal.last_mail_to(erika.email).body
    assert "totp.recovery_code_used" in events(portal, erika.email)
    again = portal.new_browser("203.0.113.6")
    again.login(erika.email, erika.password)
    page = again.get(CODE + "?wiederherstellung=1")
    used = again.post(
        CODE + "?wiederherstellung=1", {"csrf_token": csrf_token(page.text), "code": codes[3]}
    )
    assert used.status_code == 400 and "gilt nicht (mehr)" in used.text
    assert "Wiederherstellungscodes: 9" in browser.get("/konto/sicherheit").text


# --- switching it off --------------------------------------------------------------------------


def test_switching_off_needs_a_fresh_login_and_a_right_code(
    portal: Portal, erika: Citizen, erika_app: App, clock: FrozenClock
) -> None:
    clock.advance(11 * 60)
    stale = portal.browser.get(DISABLE)
    assert stale.status_code == 303 and "erneut=1" in stale.headers["Location"]
    login = portal.browser.submit(
        stale.headers["Location"], email=erika.email, password=erika.password
    )
    assert login.headers["Location"] == CODE
    relogin = post_code(portal.browser, CODE, portal.browser.get(CODE), erika_app.next_code())
    assert relogin.headers["Location"] == DISABLE
    page = portal.browser.get(DISABLE)
    assert post_code(portal.browser, DISABLE, page, "123 45").status_code == 400
    assert post_code(portal.browser, DISABLE, page, erika_app.code()).status_code == 400  # used
    done = post_code(portal.browser, DISABLE, page, erika_app.next_code())
    assert done.status_code == 303
    assert "totp.disabled" in events(portal, erika.email)
    assert "ausgeschaltet" in portal.last_mail_to(erika.email).subject
    with portal.app.app_context():
        assert db.session.scalars(select(TotpCredential)).all() == []
        assert db.session.scalars(select(TotpRecoveryCode)).all() == []
    fresh = portal.new_browser("203.0.113.5")
    assert fresh.login(erika.email, erika.password).headers["Location"] == "/konto/profil"


def test_switching_off_with_a_recovery_code(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    portal.browser.login(erika.email, erika.password)
    _app, codes = enrol(portal.browser, clock)
    path = DISABLE + "?wiederherstellung=1"
    page = portal.browser.get(path)
    assert "Ihnen bleiben 10 Wiederherstellungscodes" in page.text
    answer = portal.browser.post(path, {"csrf_token": csrf_token(page.text), "code": codes[0]})
    assert answer.status_code == 303
    with portal.app.app_context():
        assert db.session.scalars(select(TotpCredential)).all() == []


def test_deleting_the_account_removes_the_second_factor(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    answer = portal.browser.submit("/konto/loeschen", password=erika.password, confirm="y")
    assert answer.status_code == 303
    with portal.app.app_context():
        assert db.session.scalars(select(TotpCredential)).all() == []
        assert db.session.scalars(select(TotpRecoveryCode)).all() == []


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["", " ", "12345", "1234567", "12345a", "١٢٣٤٥٦", "x" * 5000, "<script>", "000000\x00", "%s"],
)
def test_bad_codes_are_refused_plainly(
    portal: Portal, erika: Citizen, erika_app: App, code: str
) -> None:
    browser = portal.new_browser("203.0.113.5")
    browser.login(erika.email, erika.password)
    for path in (CODE, CODE + "?wiederherstellung=1"):
        answer = post_code(browser, path, browser.get(path), code)
        assert answer.status_code == 400, (path, answer.status_code)
    assert not portal.is_logged_in(browser)
    page = portal.browser.get(DISABLE)
    assert post_code(portal.browser, DISABLE, page, code).status_code == 400
    with portal.app.app_context():
        assert len(db.session.scalars(select(TotpCredential)).all()) == 1


def test_pages_without_their_precondition_answer_without_error(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    nobody = portal.new_browser("203.0.113.5")
    assert nobody.get(CODE).status_code == 303
    assert nobody.post(CODE, {"code": "123456"}).status_code in {303, 400}
    assert nobody.get(ENROL).status_code == 303
    assert nobody.get(DISABLE).status_code == 303
    assert nobody.get("/anmelden/code/bestaetigen").status_code == 303
    portal.browser.login(erika.email, erika.password)
    assert portal.browser.get(DISABLE).status_code == 303  # not switched on
    step_up = portal.browser.get("/anmelden/code/bestaetigen?next=//evil.example")
    assert step_up.status_code == 303 and step_up.headers["Location"] == "/konto/profil"
    page = portal.browser.get(ENROL)
    missing_csrf = portal.browser.post(ENROL, {"code": app_from(page, clock).code()})
    assert missing_csrf.status_code == 400
    with portal.app.app_context():
        assert db.session.scalars(select(TotpCredential)).all() == []


def test_an_account_without_password_gets_an_explanation(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    with portal.app.app_context():
        citizen = citizen_by_email(erika.email)
        assert citizen is not None
        citizen.password_hash = None
        db.session.commit()
    answer = portal.browser.get(ENROL)
    assert answer.status_code == 409 and "kein Passwort" in answer.text


def test_pages_read_in_english(portal: Portal, erika: Citizen, erika_app: App) -> None:
    browser = portal.new_browser("203.0.113.5")
    browser.login(erika.email, erika.password)
    page = browser.get(CODE + "?lang=en")
    assert "authenticator app" in page.text.lower()
    assert "Code aus der App" not in page.text


def test_step_up_with_the_code_raises_a_password_session_of_a_verified_account(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    link_a_card(portal, erika.email)
    path = "/anmelden/code/bestaetigen?" + urlencode({"next": "/konto/aktivitaet"})
    page = portal.browser.get(path)  # the browser's session: password only, level low
    assert page.status_code == 200 and 'inputmode="numeric"' in page.text
    assert post_code(portal.browser, path, page, "000000").status_code == 400
    done = post_code(portal.browser, path, page, erika_app.next_code())
    assert done.status_code == 303 and done.headers["Location"] == "/konto/aktivitaet"
    assert session_of(portal, erika.email) == (["pwd", "totp"], "substantial")
    assert "login.totp.step_up" in events(portal, erika.email)
    assert portal.browser.get(path).status_code == 303  # nothing left to raise


def test_without_a_card_the_code_raises_nothing(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    path = "/anmelden/code/bestaetigen?" + urlencode({"next": "/konto/aktivitaet"})
    answer = portal.browser.get(path)
    assert answer.status_code == 303 and answer.headers["Location"] == "/konto/aktivitaet"
    page = portal.browser.get("/")  # any page with a token
    posted = portal.browser.post(
        path, {"csrf_token": csrf_token(page.text), "code": erika_app.next_code()}
    )
    assert posted.status_code == 303
    assert session_of(portal, erika.email) == (["pwd"], "low")


def test_a_kek_rotation_reseals_the_secrets_and_codes_still_work(
    portal: Portal, erika: Citizen, erika_app: App, settings: Settings, store: KeyValueStore
) -> None:
    from certs.kek import DEV_KEK_FILE
    from tests.integration.test_certs_lifecycle import another_app

    old_kek = (settings.var_dir / DEV_KEK_FILE).read_text().strip()
    new_kek = base64.b64encode(bytes(range(100, 132))).decode()
    clock = portal.clock
    with another_app(settings, clock, store, certs_kek=new_kek, certs_kek_previous=old_kek) as both:
        result = both.test_cli_runner().invoke(args=["certs", "rekey"])
        assert result.exit_code == 0 and "re-sealed 1 TOTP secrets" in result.output
        again = both.test_cli_runner().invoke(args=["certs", "rekey"])
        assert "re-sealed 0 TOTP secrets" in again.output
    with another_app(settings, clock, store, certs_kek=new_kek) as rotated:
        browser = Browser(rotated.test_client(), "203.0.113.5")
        code = erika_app.next_code()
        assert log_in_with_code(browser, erika.email, erika.password, code).status_code == 303


def test_the_export_says_the_factor_is_on_without_its_secret(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    page = portal.browser.get("/konto/daten")
    answer = portal.browser.post("/konto/daten", {"csrf_token": csrf_token(page.text)})
    data = answer.get_json(force=True)
    factor = data["second_factor"]
    assert factor["method"] == "totp" and factor["recovery_codes_left"] == 10
    assert factor["enabled_at"]
    assert erika_app.totp.secret not in answer.text
