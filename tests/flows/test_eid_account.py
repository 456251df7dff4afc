"""The Bürgerkonto with the Online-Ausweis, through the hub's pages and the simulator over real
HTTP (TLS with client certificates, WS-Security both ways, every SOAP message schema-checked):
registration with the card, login with the card, linking, a new card after the old one,
unlinking, the profile refreshed from the card, the activity log. Both storage backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from account.models import Citizen, EidLink, citizen_by_email
from core.audit import AuditRecord
from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.eid_harness import Pki
from tests.eid_hub import EidHub, eid_hub, follow, local, present_card
from tests.helpers import Browser, Portal, csrf_token

PASSWORD = "Ein langer Satz als Passwort"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@pytest.fixture
def hub(
    pki: Pki, tmp_path: Path, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> Iterator[EidHub]:
    with eid_hub(pki, tmp_path, settings, clock, store) as running:
        yield running


@pytest.fixture
def portal(hub: EidHub) -> Portal:
    return Portal(hub.app, hub.clock)


def register_with_card(
    hub: EidHub, browser: Browser, card: str = "erika", email: str = "erika@example.org", **how: str
) -> None:
    answer = present_card(hub, browser, "/anmelden/ausweis?registrieren=1", card, **how)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(
        "/registrieren/ausweis"
    )
    done = browser.submit("/registrieren/ausweis", email=email, password="", password_repeat="")
    assert done.status_code == 303, done.text[:800]


def profile_of(hub: EidHub, email: str) -> dict[str, tuple[str, str, str | None]]:
    with hub.app.app_context():
        citizen = citizen_by_email(email)
        assert citizen is not None
        return {
            v.attribute: (
                v.value,
                v.provenance,
                v.verified_on.isoformat() if v.verified_on else None,
            )
            for v in citizen.profile_values
        }


def links_of(hub: EidHub, email: str) -> list[EidLink]:
    with hub.app.app_context():
        citizen = citizen_by_email(email)
        assert citizen is not None
        found = list(citizen.eid_links)
        db.session.expunge_all()
        return found


def sessions_of(hub: EidHub, email: str) -> list[tuple[str, list[str]]]:
    """(level, methods) of the citizen's live SSO sessions."""
    with hub.app.app_context():
        citizen = citizen_by_email(email)
        assert citizen is not None
        sessions = hub.app.extensions["account"].sessions.list_for(citizen.id)
        return [(s.level, s.methods) for s in sessions]


def events_of(hub: EidHub, email: str) -> list[str]:
    with hub.app.app_context():
        citizen = db.session.scalar(select(Citizen).where(Citizen.email == email))
        assert citizen is not None
        query = select(AuditRecord.event).where(AuditRecord.citizen_id == citizen.id)
        return list(db.session.scalars(query.order_by(AuditRecord.id)))


# --- registration --------------------------------------------------------------------------


def test_registration_with_the_card_prefills_the_profile(hub: EidHub, portal: Portal) -> None:
    browser = hub.browser()
    answer = present_card(hub, browser, "/anmelden/ausweis?registrieren=1", "erika")
    form = follow(browser, answer)
    assert form.status_code == 200
    assert "Heidestraße 17" in form.text and "auf dem Ausweis: HEIDESTRAẞE 17" in form.text
    done = browser.submit(
        "/registrieren/ausweis", email="Erika@Example.org", password="", password_repeat=""
    )
    assert done.status_code == 303
    profile = follow(browser, done)
    assert profile.status_code == 200 and "Erika" in profile.text
    assert "aus dem Ausweis gelesen" in profile.text
    values = profile_of(hub, "erika@example.org")
    assert values["given_names"][:2] == ("ERIKA", "eid")
    assert values["street_address"][:2] == ("HEIDESTRAẞE 17", "eid")
    assert values["date_of_birth"][:2] == ("1964-08-12", "eid")
    assert values["birth_name"][:2] == ("GABLER", "eid")
    assert values["community_id"][:2] == ("02760503150000", "eid")
    assert values["given_names"][2] is not None  # the day read
    [link] = links_of(hub, "erika@example.org")
    assert (link.document_type, str(link.valid_until)) == ("ID", "2029-10-31")
    assert portal.last_mail_to("erika@example.org").subject.startswith("Bitte bestätigen")
    assert events_of(hub, "erika@example.org") == [
        "account.registered",
        "eid.linked",
        "login.eid.succeeded",
    ]


def test_registered_by_card_logs_in_by_card(hub: EidHub) -> None:
    register_with_card(hub, hub.browser())
    browser = hub.browser()
    answer = present_card(hub, browser, "/anmelden/ausweis?next=/konto/aktivitaet")
    assert answer.status_code == 303 and local(answer.headers["Location"]) == "/konto/aktivitaet"
    page = browser.get("/konto/aktivitaet")
    assert "Anmeldung mit dem Online-Ausweis" in page.text


def test_registration_needs_an_email_and_checks_the_password(hub: EidHub) -> None:
    browser = hub.browser()
    follow(browser, present_card(hub, browser, "/anmelden/ausweis?registrieren=1"))
    page = browser.get("/registrieren/ausweis")
    missing = browser.post("/registrieren/ausweis", {"csrf_token": csrf_token(page.text)})
    assert missing.status_code == 400 and "E-Mail-Adresse" in missing.text
    short = browser.post(
        "/registrieren/ausweis",
        {
            "csrf_token": csrf_token(page.text),
            "email": "erika@example.org",
            "password": "kurz",
            "password_repeat": "kurz",
        },
    )
    assert short.status_code == 400
    with hub.app.app_context():
        assert citizen_by_email("erika@example.org") is None


def test_a_card_registration_can_set_a_password_for_later(hub: EidHub, portal: Portal) -> None:
    browser = hub.browser()
    follow(browser, present_card(hub, browser, "/anmelden/ausweis?registrieren=1"))
    done = browser.submit(
        "/registrieren/ausweis",
        email="erika@example.org",
        password=PASSWORD,
        password_repeat=PASSWORD,
    )
    assert done.status_code == 303
    assert sessions_of(hub, "erika@example.org") == [("high", ["eid"])]
    other = hub.browser("198.51.100.4")
    assert other.login("erika@example.org", PASSWORD).status_code == 200  # not verified yet
    assert portal.verify_last_link("erika@example.org", other).status_code == 303
    assert other.login("erika@example.org", PASSWORD).status_code == 303
    assert ("low", ["pwd"]) in sessions_of(hub, "erika@example.org")


def test_a_taken_email_is_refused_and_another_one_works(hub: EidHub, portal: Portal) -> None:
    portal.registered_citizen("erika@example.org", PASSWORD)
    browser = hub.browser()
    follow(browser, present_card(hub, browser, "/anmelden/ausweis?registrieren=1"))
    taken = browser.submit(
        "/registrieren/ausweis", email="erika@example.org", password="", password_repeat=""
    )
    assert taken.status_code == 400 and "gibt es schon ein Bürgerkonto" in taken.text
    assert links_of(hub, "erika@example.org") == []  # never linked by e-mail
    again = browser.submit(
        "/registrieren/ausweis", email="erika.m@example.org", password="", password_repeat=""
    )
    assert again.status_code == 303
    assert len(links_of(hub, "erika.m@example.org")) == 1


def test_registering_a_card_that_has_an_account_logs_into_it(hub: EidHub) -> None:
    register_with_card(hub, hub.browser())
    browser = hub.browser()
    answer = present_card(hub, browser, "/anmelden/ausweis?registrieren=1")
    assert answer.status_code == 303
    assert not local(answer.headers["Location"]).startswith("/registrieren")
    with hub.app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Citizen)) == 1


def test_the_registration_form_needs_a_fresh_card_reading(hub: EidHub, clock: FrozenClock) -> None:
    browser = hub.browser()
    assert browser.get("/registrieren/ausweis").status_code == 410
    follow(browser, present_card(hub, browser, "/anmelden/ausweis?registrieren=1"))
    assert browser.get("/registrieren/ausweis").status_code == 200
    assert hub.browser().get("/registrieren/ausweis").status_code == 410  # another browser
    clock.advance(15 * 60 + 1)
    assert browser.get("/registrieren/ausweis").status_code == 410


# --- login ---------------------------------------------------------------------------------


def test_login_with_the_card_gives_level_high_and_method_eid(hub: EidHub) -> None:
    register_with_card(hub, hub.browser())
    browser = hub.browser()
    login_page = browser.get("/anmelden")
    assert "Mit Online-Ausweis anmelden" in login_page.text
    start = browser.get("/anmelden/ausweis?next=/konto/profil")
    assert "Jetzt mit der AusweisApp ausweisen" in start.text
    answer = present_card(hub, browser, "/anmelden/ausweis?next=/konto/profil")
    assert local(answer.headers["Location"]) == "/konto/profil"
    assert browser.get("/konto/profil").status_code == 200
    assert sessions_of(hub, "erika@example.org").count(("high", ["eid"])) == 2
    [link] = links_of(hub, "erika@example.org")
    assert link.last_used_at is not None and link.last_used_at >= link.linked_at


def test_a_level_high_session_ends_after_five_idle_minutes(hub: EidHub, clock: FrozenClock) -> None:
    browser = hub.browser()
    register_with_card(hub, browser)
    assert browser.get("/konto/profil").status_code == 200
    clock.advance(5 * 60 + 1)
    assert browser.get("/konto/profil").status_code == 303


def test_a_card_without_account_is_never_linked_by_name_or_birth_date(
    hub: EidHub, portal: Portal
) -> None:
    citizen = portal.registered_citizen("erika@example.org", PASSWORD)
    browser = hub.browser()
    assert browser.login(citizen.email, PASSWORD).status_code == 303
    browser.submit(
        "/konto/profil/bearbeiten",
        given_names="Erika",
        family_names="Mustermann",
        date_of_birth="1964-08-12",
    )
    browser.logout()
    answer = present_card(hub, browser)
    page = follow(browser, answer)
    assert "noch kein Bürgerkonto verknüpft" in page.text
    assert "Bürgerkonto mit diesem Ausweis anlegen" in page.text
    assert "/anmelden?next=/konto/ausweis/verknuepfen" in page.text
    assert not portal.is_logged_in(browser)
    assert links_of(hub, "erika@example.org") == []


def test_every_card_login_refreshes_the_card_values_and_shows_what_changed(hub: EidHub) -> None:
    browser = hub.browser()
    answer = present_card(
        hub, browser, "/anmelden/ausweis?registrieren=1", keep=["Nationality", "BirthName"]
    )
    follow(browser, answer)
    browser.submit(
        "/registrieren/ausweis", email="erika@example.org", password="", password_repeat=""
    )
    assert "street_address" not in profile_of(hub, "erika@example.org")
    with hub.app.app_context():  # what an older card said: another birth name
        citizen = citizen_by_email("erika@example.org")
        assert citizen is not None
        [birth_name] = [v for v in citizen.profile_values if v.attribute == "birth_name"]
        birth_name.value = "GABLERIN"
        db.session.commit()
    again = hub.browser()
    answer = present_card(hub, again, "/anmelden/ausweis?next=/konto/profil")
    assert local(answer.headers["Location"]) == "/anmelden/ausweis/aenderungen"
    page = again.get("/anmelden/ausweis/aenderungen")
    assert page.status_code == 200
    assert "Heidestraße 17" in page.text and "Köln" in page.text
    assert "Gablerin" in page.text and "Gabler" in page.text
    assert 'href="/konto/profil"' in page.text
    assert again.get("/anmelden/ausweis/aenderungen").status_code == 303  # shown once
    values = profile_of(hub, "erika@example.org")
    assert values["street_address"][:2] == ("HEIDESTRAẞE 17", "eid")
    assert values["birth_name"][:2] == ("GABLER", "eid")
    assert "profile.eid_refreshed" in events_of(hub, "erika@example.org")
    quiet = hub.browser()
    answer = present_card(hub, quiet, "/anmelden/ausweis?next=/konto/profil")
    assert local(answer.headers["Location"]) == "/konto/profil"  # nothing changed this time


def test_a_deselected_field_changes_nothing(hub: EidHub) -> None:
    register_with_card(hub, hub.browser())
    before = profile_of(hub, "erika@example.org")
    browser = hub.browser()
    answer = present_card(hub, browser, keep=[])
    assert answer.status_code == 303
    after = profile_of(hub, "erika@example.org")
    assert {k: v[:2] for k, v in after.items()} == {k: v[:2] for k, v in before.items()}


def test_karl_without_residence_in_germany_has_no_address(hub: EidHub) -> None:
    register_with_card(hub, hub.browser(), card="karl", email="karl@example.org")
    values = profile_of(hub, "karl@example.org")
    assert "street_address" not in values and "locality" not in values
    assert "community_id" not in values
    assert values["given_names"][:2] == ("KARL", "eid")


def test_partial_birth_dates_keep_only_the_known_part(hub: EidHub) -> None:
    register_with_card(hub, hub.browser(), card="cosic", email="cosic@example.org")
    register_with_card(hub, hub.browser(), card="ozmen", email="ozmen@example.org")
    assert profile_of(hub, "cosic@example.org")["date_of_birth"][0] == "1994-09"
    assert profile_of(hub, "ozmen@example.org")["date_of_birth"][0] == "1989"
    assert profile_of(hub, "ozmen@example.org")["family_names"][0] == "ÖZM\u0302EN"


# --- linking -------------------------------------------------------------------------------


def _logged_in(hub: EidHub, portal: Portal, email: str = "erika@example.org") -> Browser:
    portal.registered_citizen(email, PASSWORD)
    browser = hub.browser()
    assert browser.login(email, PASSWORD).status_code == 303
    return browser


def test_a_logged_in_citizen_links_a_card(hub: EidHub, portal: Portal) -> None:
    browser = _logged_in(hub, portal)
    browser.submit("/konto/profil/bearbeiten", street_address="Heidestr. 17", phone="0221 123")
    security = browser.get("/konto/sicherheit")
    assert "Online-Ausweis" in security.text and "Ausweis verknüpfen" in security.text
    answer = present_card(hub, browser, "/konto/ausweis/verknuepfen")
    assert local(answer.headers["Location"]) == "/anmelden/ausweis/aenderungen"
    changes = browser.get("/anmelden/ausweis/aenderungen")
    assert "Heidestr. 17" in changes.text and "Heidestraße 17" in changes.text
    page = browser.get("/konto/sicherheit")
    assert "Personalausweis, gültig bis 31.10.2029" in page.text
    assert "Verknüpfung lösen" in page.text
    values = profile_of(hub, "erika@example.org")
    assert values["street_address"][:2] == ("HEIDESTRAẞE 17", "eid")
    assert values["phone"][:2] == ("0221 123", "self")
    assert sessions_of(hub, "erika@example.org") == [("high", ["eid", "pwd"])]
    assert portal.last_mail_to("erika@example.org").subject.startswith("Ein Ausweis wurde")
    assert "eid.linked" in events_of(hub, "erika@example.org")
    activity = browser.get("/konto/aktivitaet")
    assert "Online-Ausweis verknüpft" in activity.text


def test_linking_a_card_needs_a_recent_login(
    hub: EidHub, portal: Portal, clock: FrozenClock
) -> None:
    """A linked card logs in past password and second factor: a session left open on a shared
    computer must not be enough to link one's own card to someone else's account."""
    browser = _logged_in(hub, portal)
    clock.advance(11 * 60)
    stale = browser.get("/konto/ausweis/verknuepfen")
    assert stale.status_code == 303 and "erneut=1" in stale.headers["Location"]
    assert "next=%2Fkonto%2Fausweis%2Fverknuepfen" in stale.headers["Location"]
    assert links_of(hub, "erika@example.org") == []
    again = browser.submit(
        local(stale.headers["Location"]), email="erika@example.org", password=PASSWORD
    )
    assert local(again.headers["Location"]) == "/konto/ausweis/verknuepfen"
    answer = present_card(hub, browser, "/konto/ausweis/verknuepfen")
    assert local(answer.headers["Location"]) == "/anmelden/ausweis/aenderungen"
    assert len(links_of(hub, "erika@example.org")) == 1


def test_a_step_up_with_an_unlinked_card_links_only_after_a_recent_login(
    hub: EidHub, portal: Portal, clock: FrozenClock
) -> None:
    browser = _logged_in(hub, portal)
    clock.advance(11 * 60)
    answer = present_card(hub, browser, "/anmelden/ausweis?next=/konto/daten")
    assert local(answer.headers["Location"]) == "/konto/ausweis/bestaetigen"
    page = browser.get("/konto/ausweis/bestaetigen")
    assert page.status_code == 303 and "erneut=1" in page.headers["Location"]
    assert "next=%2Fkonto%2Fausweis%2Fverknuepfen" in page.headers["Location"]
    assert browser.get("/konto/ausweis/bestaetigen").status_code == 410  # the reading is gone
    assert links_of(hub, "erika@example.org") == []
    assert sessions_of(hub, "erika@example.org") == [("low", ["pwd"])]


def test_a_card_of_another_account_cannot_be_linked(hub: EidHub, portal: Portal) -> None:
    register_with_card(hub, hub.browser(), email="erika.card@example.org")
    browser = _logged_in(hub, portal, "other@example.org")
    page = follow(browser, present_card(hub, browser, "/konto/ausweis/verknuepfen"))
    assert "mit einem anderen Bürgerkonto verknüpft" in page.text
    assert links_of(hub, "other@example.org") == []
    assert len(links_of(hub, "erika.card@example.org")) == 1
    assert sessions_of(hub, "other@example.org") == [("low", ["pwd"])]
    assert "eid.refused" in events_of(hub, "other@example.org")


def test_a_card_of_another_person_is_refused_by_its_birth_date(hub: EidHub, portal: Portal) -> None:
    register_with_card(hub, hub.browser())
    browser = hub.browser()
    present_card(hub, browser)  # Erika logged in with her card
    page = follow(browser, present_card(hub, browser, "/konto/ausweis/verknuepfen", "andre"))
    assert "Geburtsdatum" in page.text
    assert len(links_of(hub, "erika@example.org")) == 1


def test_a_new_card_is_linked_beside_the_old_one_and_the_old_one_unlinked(
    hub: EidHub, portal: Portal
) -> None:
    register_with_card(hub, hub.browser())
    new_card = [("generation", "2")]
    stranger = hub.browser()
    page = follow(browser=stranger, response=present_card(hub, stranger, extra=new_card))
    assert "noch kein Bürgerkonto verknüpft" in page.text  # a new card: a new RestrictedID
    browser = hub.browser()
    present_card(hub, browser)  # with the old card
    answer = present_card(hub, browser, "/konto/ausweis/verknuepfen", extra=new_card)
    assert local(follow(browser, answer).request.path) == "/konto/sicherheit"
    links = links_of(hub, "erika@example.org")
    assert len(links) == 2
    page = browser.get("/konto/sicherheit")
    assert page.text.count("Verknüpfung lösen") == 2
    old = links[0].id
    unlinked = browser.post(f"/konto/ausweis/{old}/loesen", {"csrf_token": csrf_token(page.text)})
    assert unlinked.status_code == 303
    assert [link.id for link in links_of(hub, "erika@example.org")] == [links[1].id]
    fresh = hub.browser()
    assert "noch kein Bürgerkonto verknüpft" in follow(fresh, present_card(hub, fresh)).text
    renewed = hub.browser()
    assert follow(renewed, present_card(hub, renewed, extra=new_card)).status_code == 200
    assert portal.is_logged_in(renewed)
    assert "eid.unlinked" in events_of(hub, "erika@example.org")


def test_the_last_card_of_an_account_without_password_stays(hub: EidHub) -> None:
    browser = hub.browser()
    register_with_card(hub, browser)
    page = browser.get("/konto/sicherheit")
    [link] = links_of(hub, "erika@example.org")
    refused = browser.post(
        f"/konto/ausweis/{link.id}/loesen", {"csrf_token": csrf_token(page.text)}
    )
    assert "einzige Ausweis" in follow(browser, refused).text
    assert len(links_of(hub, "erika@example.org")) == 1


def test_unlinking_needs_the_own_link_and_the_csrf_token(hub: EidHub, portal: Portal) -> None:
    register_with_card(hub, hub.browser(), email="erika.card@example.org")
    [link] = links_of(hub, "erika.card@example.org")
    browser = _logged_in(hub, portal, "other@example.org")
    page = browser.get("/konto/sicherheit")
    browser.post(f"/konto/ausweis/{link.id}/loesen", {"csrf_token": csrf_token(page.text)})
    assert len(links_of(hub, "erika.card@example.org")) == 1
    mine = hub.browser()
    present_card(hub, mine)
    mine.post(f"/konto/ausweis/{link.id}/loesen", {})
    assert len(links_of(hub, "erika.card@example.org")) == 1


def test_deleting_the_account_removes_its_links(hub: EidHub, portal: Portal) -> None:
    browser = _logged_in(hub, portal)
    present_card(hub, browser, "/konto/ausweis/verknuepfen")
    assert len(links_of(hub, "erika@example.org")) == 1
    deleted = browser.submit("/konto/loeschen", password=PASSWORD, confirm="y")
    assert deleted.status_code == 303
    with hub.app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(EidLink)) == 0
    fresh = hub.browser()
    assert "noch kein Bürgerkonto verknüpft" in follow(fresh, present_card(hub, fresh)).text


# --- step-up within the account --------------------------------------------------------------


def test_a_password_session_is_raised_by_the_card_of_the_same_account(
    hub: EidHub, portal: Portal
) -> None:
    browser = _logged_in(hub, portal)
    present_card(hub, browser, "/konto/ausweis/verknuepfen")
    browser.logout()
    assert browser.login("erika@example.org", PASSWORD).status_code == 303
    start = browser.get("/anmelden/ausweis?next=/konto/daten")
    assert "Anmeldung mit dem Online-Ausweis bestätigen" in start.text
    answer = present_card(hub, browser, "/anmelden/ausweis?next=/konto/daten")
    assert local(answer.headers["Location"]) == "/konto/daten"
    assert ("high", ["eid", "pwd"]) in sessions_of(hub, "erika@example.org")
    assert "login.eid.step_up" in events_of(hub, "erika@example.org")


def test_the_card_of_another_account_never_raises_the_session(hub: EidHub, portal: Portal) -> None:
    register_with_card(hub, hub.browser(), email="erika.card@example.org")
    browser = _logged_in(hub, portal, "other@example.org")
    page = follow(browser, present_card(hub, browser, "/anmelden/ausweis?next=/konto/daten"))
    assert "mit einem anderen Bürgerkonto verknüpft" in page.text
    assert "nicht zusammengeführt" in page.text
    assert sessions_of(hub, "other@example.org") == [("low", ["pwd"])]
    assert links_of(hub, "other@example.org") == []
    assert portal.is_logged_in(browser)  # still as "other", nothing merged


def test_a_step_up_with_an_unlinked_card_asks_before_linking(hub: EidHub, portal: Portal) -> None:
    browser = _logged_in(hub, portal)
    answer = present_card(hub, browser, "/anmelden/ausweis?next=/konto/daten")
    assert local(answer.headers["Location"]) == "/konto/ausweis/bestaetigen"
    page = browser.get("/konto/ausweis/bestaetigen")
    assert "Ausweis mit Ihrem Bürgerkonto verknüpfen?" in page.text
    assert sessions_of(hub, "erika@example.org") == [("low", ["pwd"])]
    assert links_of(hub, "erika@example.org") == []
    done = browser.post("/konto/ausweis/bestaetigen", {"csrf_token": csrf_token(page.text)})
    assert done.status_code == 303
    assert len(links_of(hub, "erika@example.org")) == 1
    assert sessions_of(hub, "erika@example.org") == [("high", ["eid", "pwd"])]
    assert browser.get("/konto/ausweis/bestaetigen").status_code == 410  # taken once


# --- an account without password -------------------------------------------------------------


def test_without_password_a_recent_card_login_confirms_the_deletion(
    hub: EidHub, clock: FrozenClock
) -> None:
    browser = hub.browser()
    register_with_card(hub, browser)
    for _ in range(3):  # eleven minutes later, the session kept alive
        clock.advance(4 * 60 - 20)
        assert browser.get("/konto/profil").status_code == 200
    page = browser.get("/konto/loeschen")
    assert "kein Passwort" in page.text and 'name="password"' not in page.text
    refused = browser.post("/konto/loeschen", {"csrf_token": csrf_token(page.text), "confirm": "y"})
    assert "Mit dem Online-Ausweis bestätigen" in refused.text
    with hub.app.app_context():
        assert citizen_by_email("erika@example.org") is not None
    start = "/anmelden/ausweis?next=/konto/loeschen"
    assert start in page.text.replace("&amp;", "&")
    answer = present_card(hub, browser, start)
    assert local(answer.headers["Location"]) == "/konto/loeschen"
    form = browser.get("/konto/loeschen")
    assert 'name="password"' not in form.text and 'name="confirm"' in form.text
    done = browser.post("/konto/loeschen", {"csrf_token": csrf_token(form.text), "confirm": "y"})
    assert done.status_code == 303
    with hub.app.app_context():
        assert citizen_by_email("erika@example.org") is None
        assert db.session.scalar(select(db.func.count()).select_from(EidLink)) == 0


def test_without_password_the_email_is_changed_after_a_card_login(
    hub: EidHub, portal: Portal
) -> None:
    browser = hub.browser()
    register_with_card(hub, browser, email="erika@exmaple.org")  # a typo
    page = browser.get("/konto/email")
    assert 'name="password"' not in page.text
    sent = browser.post(
        "/konto/email", {"csrf_token": csrf_token(page.text), "email": "erika@example.org"}
    )
    assert sent.status_code == 303
    assert portal.verify_last_link("erika@example.org", browser).status_code == 303
    with hub.app.app_context():
        citizen = citizen_by_email("erika@example.org")
        assert citizen is not None and citizen.is_verified


def test_no_reset_link_for_an_unconfirmed_card_account(hub: EidHub, portal: Portal) -> None:
    """The address may be a typo: its mailbox must not get into the card holder's account."""
    register_with_card(hub, hub.browser(), email="erika@example.org")
    before = len(portal.mails_to("erika@example.org"))
    hub.browser().submit("/passwort-vergessen", email="erika@example.org")
    assert len(portal.mails_to("erika@example.org")) == before
    assert portal.verify_last_link("erika@example.org", hub.browser()).status_code == 303
    hub.browser().submit("/passwort-vergessen", email="erika@example.org")
    assert portal.last_mail_to("erika@example.org").subject == "Passwort zurücksetzen"


def test_the_export_lists_the_linked_cards_without_their_digest(hub: EidHub) -> None:
    import json

    browser = hub.browser()
    register_with_card(hub, browser)
    page = browser.get("/konto/daten")
    exported = json.loads(browser.post("/konto/daten", {"csrf_token": csrf_token(page.text)}).text)
    [card] = exported["id_cards"]
    assert (card["document_type"], card["valid_until"]) == ("ID", "2029-10-31")
    [link] = links_of(hub, "erika@example.org")
    assert link.restricted_id_digest not in json.dumps(exported)
    assert exported["profile"]["given_names"] == {
        "value": "ERIKA",
        "provenance": "eid",
        "verified_on": exported["profile"]["given_names"]["verified_on"],
    }


def test_a_step_up_finished_after_the_session_ended_elsewhere_is_refused(
    hub: EidHub, portal: Portal
) -> None:
    from tests.eid_hub import activation_link, card_dialogue

    browser = _logged_in(hub, portal)
    link = activation_link(browser.get("/anmelden/ausweis?next=/konto/daten"))
    phone = hub.browser("203.0.113.7")
    assert phone.login("erika@example.org", PASSWORD).status_code == 303
    phone.submit("/konto/sitzungen/andere-beenden", form_page="/konto/sicherheit")
    page = follow(browser, browser.get(local(card_dialogue(hub, link))))
    assert "hat sich geändert" in page.text
    assert not portal.is_logged_in(browser)
    assert sessions_of(hub, "erika@example.org") == [("low", ["pwd"])]  # the phone's
    assert links_of(hub, "erika@example.org") == []
