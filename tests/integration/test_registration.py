"""Registration with e-mail and password, verification by a one-time link, re-sending it."""

from __future__ import annotations

import threading

from flask import Flask

from account.registration import RESEND_INTERVAL
from core.clock import FrozenClock
from tests.helpers import Citizen, Portal, without_csrf

PASSWORD = "Ein langer Satz als Passwort"


def test_a_new_citizen_registers_and_is_sent_a_verification_link(portal: Portal) -> None:
    response = portal.register("anna@example.org", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/registrieren/gesendet"
    assert "Postfach" in portal.browser.get("/registrieren/gesendet").text
    mail = portal.last_mail_to("anna@example.org")
    assert "bestätigen" in mail.subject
    assert portal.link_path(mail).startswith("/bestaetigen/")
    assert "http://portal.test/bestaetigen/" in mail.body, "links use the configured base URL"
    row = portal.citizen_row("anna@example.org")
    assert row is not None and row["email_verified_at"] is None
    assert row["password_hash"].startswith("$argon2id$")


def test_the_address_is_stored_in_one_normal_form(portal: Portal) -> None:
    assert portal.register("  Anna.Schmidt@Example.ORG ", PASSWORD).status_code == 303
    assert portal.citizen_row("anna.schmidt@example.org") is not None
    assert portal.register("anna.schmidt@example.org", PASSWORD).status_code == 303
    assert len(portal.mails_to("anna.schmidt@example.org")) == 2  # link, then "already"


def test_a_taken_address_gets_the_same_answer_and_its_owner_a_notice(
    portal: Portal, erika: Citizen
) -> None:
    mails_before = len(portal.mails_to(erika.email))
    newcomer = portal.new_browser("203.0.113.5")
    fresh = portal.register("new@example.org", PASSWORD, newcomer)
    taken = portal.register(erika.email, "Ein ganz anderes Passwort", newcomer)
    assert (fresh.status_code, fresh.headers["Location"]) == (
        taken.status_code,
        taken.headers["Location"],
    )
    assert without_csrf(newcomer.get(fresh.headers["Location"]).text) == without_csrf(
        newcomer.get(taken.headers["Location"]).text
    )
    notices = portal.mails_to(erika.email)[: len(portal.mails_to(erika.email)) - mails_before]
    assert len(notices) == 1
    assert "bereits ein Bürgerkonto" in notices[0].subject
    assert "/bestaetigen/" not in notices[0].body
    assert "/passwort-vergessen" in notices[0].body


def test_registering_a_taken_address_changes_nothing_about_the_account(
    portal: Portal, erika: Citizen
) -> None:
    before = portal.citizen_row(erika.email)
    portal.register(erika.email, "Ein ganz anderes Passwort", portal.new_browser("203.0.113.5"))
    assert portal.citizen_row(erika.email) == before
    assert portal.browser.login(erika.email, erika.password).status_code == 303


def test_the_owner_of_a_taken_address_is_not_flooded_with_notices(
    portal: Portal, erika: Citizen
) -> None:
    before = len(portal.mails_to(erika.email))
    for _ in range(5):
        portal.register(erika.email, "Ein ganz anderes Passwort")
    assert len(portal.mails_to(erika.email)) == before + 1


def test_the_verification_link_confirms_the_address(portal: Portal) -> None:
    portal.register("anna@example.org", PASSWORD)
    response = portal.verify_last_link("anna@example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/anmelden"
    assert "bestätigt" in portal.browser.get("/anmelden").text
    row = portal.citizen_row("anna@example.org")
    assert row is not None and row["email_verified_at"] is not None
    assert portal.browser.login("anna@example.org", PASSWORD).status_code == 303


def test_opening_the_link_does_not_use_it_mail_scanners_are_harmless(portal: Portal) -> None:
    portal.register("anna@example.org", PASSWORD)
    path = portal.link_path(portal.last_mail_to("anna@example.org"))
    scanner = portal.new_browser("198.51.100.99")
    for _ in range(3):
        page = scanner.get(path)
        assert page.status_code == 200
        assert "Jetzt bestätigen" in page.text
    row = portal.citizen_row("anna@example.org")
    assert row is not None and row["email_verified_at"] is None
    assert portal.browser.submit(path).status_code == 303


def test_the_link_works_only_once(portal: Portal) -> None:
    portal.register("anna@example.org", PASSWORD)
    path = portal.link_path(portal.last_mail_to("anna@example.org"))
    page = portal.browser.get(path)
    assert portal.browser.submit(path).status_code == 303
    from tests.helpers import csrf_token

    again = portal.browser.post(path, {"csrf_token": csrf_token(page.text)})
    assert again.status_code == 410
    assert "nicht mehr gültig" in again.text
    assert portal.browser.get(path).status_code == 410


def test_an_expired_link_is_refused(portal: Portal, clock: FrozenClock, app: Flask) -> None:
    portal.register("anna@example.org", PASSWORD)
    path = portal.link_path(portal.last_mail_to("anna@example.org"))
    page = portal.browser.get(path)
    assert page.status_code == 200
    clock.advance(app.extensions["settings"].email_verification_ttl + 1)
    assert portal.browser.get(path).status_code == 410
    late = portal.browser.submit(path, form_page="/registrieren")
    assert late.status_code == 410
    row = portal.citizen_row("anna@example.org")
    assert row is not None and row["email_verified_at"] is None


def test_a_forged_link_is_refused(portal: Portal) -> None:
    for token in ["x" * 43, "../../etc/passwd", "a"]:
        assert portal.browser.get(f"/bestaetigen/{token}").status_code in {404, 410}
    page = portal.browser.get("/registrieren")
    from tests.helpers import csrf_token

    forged = portal.browser.post("/bestaetigen/" + "y" * 43, {"csrf_token": csrf_token(page.text)})
    assert forged.status_code == 410


def test_an_unverified_citizen_cannot_log_in(portal: Portal) -> None:
    portal.register("anna@example.org", PASSWORD)
    response = portal.browser.login("anna@example.org", PASSWORD)
    assert response.status_code == 200
    assert "noch nicht bestätigt" in response.text
    assert not portal.is_logged_in()


def test_the_right_password_on_an_unverified_account_sends_a_fresh_link(portal: Portal) -> None:
    portal.register("anna@example.org", PASSWORD)
    before = len(portal.mails_to("anna@example.org"))
    portal.browser.login("anna@example.org", PASSWORD)
    assert len(portal.mails_to("anna@example.org")) == before + 1
    portal.browser.login("anna@example.org", "Ein falsches Passwort!")
    assert len(portal.mails_to("anna@example.org")) == before + 1, "wrong password: no mail"
    assert portal.verify_last_link("anna@example.org").status_code == 303


def test_the_link_can_be_sent_again(portal: Portal) -> None:
    portal.register("anna@example.org", PASSWORD)
    first = portal.link_path(portal.last_mail_to("anna@example.org"))
    response = portal.browser.submit("/bestaetigung-erneut", email="anna@example.org")
    assert response.status_code == 303
    second = portal.link_path(portal.last_mail_to("anna@example.org"))
    assert second != first
    assert portal.browser.submit(second).status_code == 303


def test_resending_is_limited_to_once_a_minute(portal: Portal) -> None:
    portal.register("anna@example.org", PASSWORD)
    before = len(portal.mails_to("anna@example.org"))
    for _ in range(4):
        assert (
            portal.browser.submit("/bestaetigung-erneut", email="anna@example.org").status_code
            == 303
        )
    assert len(portal.mails_to("anna@example.org")) == before + 1
    assert RESEND_INTERVAL == 60


def test_resending_answers_the_same_for_unknown_and_verified_addresses(
    portal: Portal, erika: Citizen
) -> None:
    before = len(portal.mailer.messages())
    unknown = portal.browser.submit("/bestaetigung-erneut", email="nobody@example.org")
    verified = portal.browser.submit("/bestaetigung-erneut", email=erika.email)
    assert unknown.status_code == verified.status_code == 303
    assert unknown.headers["Location"] == verified.headers["Location"]
    assert len(portal.mailer.messages()) == before


def test_resending_needs_a_valid_address(portal: Portal) -> None:
    response = portal.browser.submit("/bestaetigung-erneut", email="not-an-address")
    assert response.status_code == 400
    assert "gültige E-Mail-Adresse" in response.text


def test_a_password_that_is_too_short_is_refused_and_nothing_is_created(portal: Portal) -> None:
    response = portal.register("anna@example.org", "kurz")
    assert response.status_code == 400
    assert "mindestens 8 Zeichen" in response.text
    assert portal.citizen_row("anna@example.org") is None
    assert portal.mails_to("anna@example.org") == []


def test_a_common_password_is_refused(portal: Portal) -> None:
    response = portal.register("anna@example.org", "Passwort123")
    assert response.status_code == 400
    assert "sehr verbreitet" in response.text
    assert portal.citizen_row("anna@example.org") is None


def test_the_repeated_password_must_match(portal: Portal) -> None:
    response = portal.browser.submit(
        "/registrieren",
        email="anna@example.org",
        password=PASSWORD,
        password_repeat=PASSWORD + "!",
    )
    assert response.status_code == 400
    assert "stimmen nicht überein" in response.text
    assert portal.citizen_row("anna@example.org") is None


def test_an_invalid_address_is_refused(portal: Portal) -> None:
    for address in ["erika", "erika@", "@example.org", "erika@exa mple.org", ""]:
        response = portal.register(address, PASSWORD)
        assert response.status_code == 400, address
    assert portal.mailer.messages() == []


def test_errors_are_tied_to_their_fields(portal: Portal) -> None:
    response = portal.register("anna@example.org", "kurz")
    assert 'aria-invalid="true"' in response.text
    assert 'aria-describedby="' in response.text


def test_concurrent_registrations_of_one_address_create_one_account_and_no_error(
    portal: Portal,
) -> None:
    browsers = [portal.new_browser(f"198.51.100.{n}") for n in range(6)]
    pages = [b.get("/registrieren") for b in browsers]
    from tests.helpers import csrf_token

    barrier = threading.Barrier(len(browsers))
    statuses: list[int] = []
    lock = threading.Lock()

    def register(index: int) -> None:
        barrier.wait()
        response = browsers[index].post(
            "/registrieren",
            {
                "csrf_token": csrf_token(pages[index].text),
                "email": "race@example.org",
                "password": PASSWORD,
                "password_repeat": PASSWORD,
            },
        )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(len(browsers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [303] * len(browsers)
    assert portal.citizen_row("race@example.org") is not None
    links = [m for m in portal.mails_to("race@example.org") if "/bestaetigen/" in m.body]
    assert len(links) == 1, "one account, one verification link"
    assert portal.verify_last_link("race@example.org").status_code == 303


def test_mail_goes_to_the_address_typed_not_a_folded_lookalike(portal: Portal) -> None:
    """Lower case, yes; but ß is not ss: strasse@ is somebody else's mailbox."""
    assert portal.register("Straße@Example.org", PASSWORD).status_code == 303
    assert portal.mails_to("strasse@example.org") == []
    assert portal.verify_last_link("straße@example.org").status_code == 303
    assert portal.register("strasse@example.org", PASSWORD).status_code == 303
    assert portal.citizen_id("strasse@example.org") not in {
        None,
        portal.citizen_id("straße@example.org"),
    }
    assert portal.browser.login("STRASSE@example.org", PASSWORD).status_code == 200, "unverified"
    assert (
        portal.browser.login("STRASSE@example.org".replace("SS", "ß"), PASSWORD).status_code == 303
    )
