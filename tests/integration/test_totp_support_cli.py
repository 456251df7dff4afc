"""``flask accounts second-factor-off`` through Flask's CLI runner, on both storage backends:
the support desk switches the factor off for a citizen who lost phone and recovery codes —
only with a reason, audited with it and the operator, every session ended (the relying
parties told by back-channel logout before the command returns), a notice mailed; refusals
are messages with nothing changed, never a traceback."""

from __future__ import annotations

import getpass
import threading

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select

from account.models import TotpCredential, TotpRecoveryCode
from core.audit import AuditRecord
from core.clock import FrozenClock
from core.db import db
from tests.helpers import Citizen, Portal
from tests.integration.oidc import flow
from tests.integration.oidc.support import register
from tests.integration.oidc.test_logout import Receiver
from tests.integration.test_totp import events
from tests.totp_support import CODE, App, enrol, log_in_with_code

REASON = "Anruf 2026-05-28, Rückruf unter der bekannten Nummer, Ausweis am Schalter geprüft"


def run(app: Flask, *args: str, answer: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=["accounts", *args], input=answer)


@pytest.fixture
def erika_app(portal: Portal, erika: Citizen, clock: FrozenClock) -> App:
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    app, _codes = enrol(portal.browser, clock)
    clock.advance(30)
    return app


def factor_rows(portal: Portal) -> tuple[int, int]:
    with portal.app.app_context():
        credentials = len(db.session.scalars(select(TotpCredential)).all())
        codes = len(db.session.scalars(select(TotpRecoveryCode)).all())
    return credentials, codes


def operator_records(portal: Portal) -> list[AuditRecord]:
    with portal.app.app_context():
        found = list(
            db.session.scalars(
                select(AuditRecord).where(AuditRecord.event == "totp.disabled_by_operator")
            )
        )
        for record in found:
            db.session.expunge(record)
    return found


def test_the_support_desk_switches_the_factor_off(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    other = portal.new_browser("203.0.113.30")
    assert log_in_with_code(other, erika.email, erika.password, erika_app.code()).status_code == 303
    result = run(portal.app, "second-factor-off", erika.email.upper(), "--reason", REASON, "--yes")
    assert result.exit_code == 0, result.output
    assert f"account {erika.email}: registered" in result.output
    assert "0 ID card(s) linked" in result.output
    assert f"second factor of {erika.email} switched off; 2 session(s) ended" in result.output
    assert factor_rows(portal) == (0, 0)
    assert not portal.is_logged_in() and not portal.is_logged_in(other)
    (record,) = operator_records(portal)
    assert record.citizen_id == portal.citizen_id(erika.email)
    assert record.details["reason"] == REASON
    assert record.details["via"] == "cli:" + getpass.getuser()
    assert record.details["recovery_codes_left"] == 10
    mail = portal.last_mail_to(erika.email)
    assert mail.subject == "Der Bürgerservice hat die Anmeldung mit Code ausgeschaltet"
    assert "http://portal.test/konto/sicherheit" in mail.body and REASON not in mail.body
    login = portal.browser.login(erika.email, erika.password)
    assert login.headers["Location"] == "/konto/profil"  # the password alone again
    activity = portal.browser.get("/konto/aktivitaet")
    assert "vom Bürgerservice ausgeschaltet" in activity.text and REASON not in activity.text


def test_the_operator_confirms_unless_told_yes(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    declined = run(portal.app, "second-factor-off", erika.email, "--reason", REASON, answer="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert "Switch the second factor off?" in declined.output
    assert factor_rows(portal) == (1, 10) and portal.is_logged_in()
    confirmed = run(portal.app, "second-factor-off", erika.email, "--reason", REASON, answer="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert factor_rows(portal) == (0, 0)


@pytest.mark.parametrize(
    ("args", "exit_code", "words"),
    [
        (["nobody@example.org", "--reason", REASON], 1, "no account nobody@example.org"),
        (["not an address", "--reason", REASON], 1, "no account not an address"),
        (["erika@example.org"], 2, "Missing option '--reason'"),
        (["erika@example.org", "--reason", ""], 1, "a reason is required"),
        (["erika@example.org", "--reason", " \t\n "], 1, "a reason is required"),
        (["erika@example.org", "--reason", "x" * 501], 1, "longer than 500 characters"),
        (["--reason", REASON], 2, "Missing argument 'EMAIL'"),
    ],
)
def test_refusals_are_messages_and_change_nothing(
    portal: Portal, erika: Citizen, erika_app: App, args: list[str], exit_code: int, words: str
) -> None:
    mails_before = len(portal.mails_to(erika.email))
    result = run(portal.app, "second-factor-off", *args, "--yes")
    assert result.exit_code == exit_code, result.output
    assert words in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert factor_rows(portal) == (1, 10)
    assert portal.is_logged_in()
    assert operator_records(portal) == []
    assert len(portal.mails_to(erika.email)) == mails_before


def test_an_account_without_the_factor_is_refused(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    result = run(portal.app, "second-factor-off", erika.email, "--reason", REASON, "--yes")
    assert result.exit_code == 1
    assert "has no second factor on (nothing changed)" in result.output
    assert portal.is_logged_in() and operator_records(portal) == []
    assert "totp.disabled_by_operator" not in events(portal, erika.email)


def test_the_reason_is_kept_on_one_line(portal: Portal, erika: Citizen, erika_app: App) -> None:
    reason = "Ausweis geprüft\n\x1b[31mam Schalter\t 3 "
    result = run(portal.app, "second-factor-off", erika.email, "--reason", reason, "--yes")
    assert result.exit_code == 0, result.output
    (record,) = operator_records(portal)
    assert record.details["reason"] == "Ausweis geprüft [31mam Schalter 3"


def test_a_second_run_changes_nothing_more(portal: Portal, erika: Citizen, erika_app: App) -> None:
    assert (
        run(portal.app, "second-factor-off", erika.email, "--reason", REASON, "--yes").exit_code
        == 0
    )
    again = run(portal.app, "second-factor-off", erika.email, "--reason", REASON, "--yes")
    assert again.exit_code == 1 and "no second factor" in again.output
    assert len(operator_records(portal)) == 1
    assert len(portal.mails_to(erika.email)) == 3  # verification, enabled, switched off


def test_deleting_the_account_erases_the_reason_and_keeps_the_record(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    assert (
        run(portal.app, "second-factor-off", erika.email, "--reason", REASON, "--yes").exit_code
        == 0
    )
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    answer = portal.browser.submit("/konto/loeschen", password=erika.password, confirm="y")
    assert answer.status_code == 303
    (record,) = operator_records(portal)
    assert "reason" not in record.details and record.details["via"].startswith("cli:")
    assert record.citizen_id is not None and record.client_address is None


@pytest.fixture
def clock() -> FrozenClock:
    """The real time: the relying party's client library checks token times by it."""
    return FrozenClock()


def test_relying_parties_are_told_before_the_command_returns(
    portal: Portal, erika: Citizen, erika_app: App
) -> None:
    """The command waits for the back-channel logout tokens of the sessions it ended (the
    sender delivers off the main thread, and the process ends with the command): while the
    relying party holds the token's request open, the command has not returned."""
    gate = threading.Event()
    receiver = Receiver(gate=gate)
    try:
        rp = register(portal.app, backchannel_logout_uri=receiver.url)
        browser = portal.new_browser("203.0.113.31")
        answer = log_in_with_code(browser, erika.email, erika.password, erika_app.code())
        assert answer.status_code == 303
        flow.authorize(flow.oauth_client(portal.app, rp), browser)
        results: list[Result] = []
        args = ("second-factor-off", erika.email, "--reason", REASON, "--yes")
        command = threading.Thread(target=lambda: results.append(run(portal.app, *args)))
        command.start()
        assert receiver.holding.wait(30)
        command.join(1.0)  # a bound for the wrong case only: it must still be waiting
        assert command.is_alive() and results == []
        gate.set()
        command.join(30)
        assert results and results[0].exit_code == 0, results
        assert len(receiver.tokens) == 1
        assert browser.get(CODE).status_code == 303
    finally:
        gate.set()
        receiver.close()
