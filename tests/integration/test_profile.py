"""The profile: each value with its provenance; the citizen edits the self-asserted ones, never
those read from the ID card; bad input changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from account.models import ProfileValue, citizen_by_email
from core.clock import to_datetime
from core.db import db
from tests.helpers import Citizen, Portal

EDIT = "/konto/profil/bearbeiten"


@pytest.fixture
def logged_in(portal: Portal, erika: Citizen) -> Citizen:
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    return erika


def profile_of(portal: Portal, email: str) -> dict[str, tuple[str, str]]:
    row = portal.citizen_row(email)
    assert row is not None
    profile: dict[str, tuple[str, str]] = row["profile"]
    return profile


def insert_eid_value(portal: Portal, email: str, attribute: str, value: str) -> None:
    """What the ID-card login will write later: a value read from the card, with the date."""
    with portal.app.app_context():
        citizen = citizen_by_email(email)
        assert citizen is not None
        db.session.add(
            ProfileValue(
                citizen_id=citizen.id,
                attribute=attribute,
                value=value,
                provenance="eid",
                verified_on=date(2026, 11, 30),
                updated_at=to_datetime(portal.clock.now()),
            )
        )
        db.session.commit()


def profile_events(portal: Portal, email: str) -> list[dict[str, object]]:
    records = portal.audit_events(portal.citizen_id(email))
    return [r.details for r in records if r.event == "profile.changed"]


def test_a_citizen_fills_in_the_profile(portal: Portal, logged_in: Citizen) -> None:
    response = portal.browser.submit(
        EDIT,
        given_names="Erika",
        family_names="Mustermann",
        date_of_birth="1964-08-12",
        street_address="Heidestraße 17",
        postal_code="51147",
        locality="Köln",
        phone="+49 221 1234567",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/profil"
    page = portal.browser.get("/konto/profil")
    assert "Profil wurde gespeichert" in page.text
    for shown in ["Erika", "Mustermann", "1964-08-12", "Heidestraße 17", "51147", "Köln"]:
        assert shown in page.text
    assert page.text.count("(selbst angegeben)") >= 7
    profile = profile_of(portal, logged_in.email)
    assert profile["given_names"] == ("Erika", "self")
    assert profile["locality"] == ("Köln", "self")


def test_editing_one_value_keeps_the_others(portal: Portal, logged_in: Citizen) -> None:
    portal.browser.submit(EDIT, given_names="Erika", family_names="Mustermann")
    portal.browser.submit(EDIT, family_names="Gabler")
    profile = profile_of(portal, logged_in.email)
    assert profile["given_names"] == ("Erika", "self")
    assert profile["family_names"] == ("Gabler", "self")


def test_a_value_can_be_cleared(portal: Portal, logged_in: Citizen) -> None:
    portal.browser.submit(EDIT, given_names="Erika", phone="+49 221 1234567")
    portal.browser.submit(EDIT, phone="")
    profile = profile_of(portal, logged_in.email)
    assert "phone" not in profile
    assert "given_names" in profile


def test_surrounding_spaces_are_dropped(portal: Portal, logged_in: Citizen) -> None:
    portal.browser.submit(EDIT, given_names="  Erika  ")
    assert profile_of(portal, logged_in.email)["given_names"] == ("Erika", "self")


def test_saving_without_changes_says_so_and_records_nothing(
    portal: Portal, logged_in: Citizen
) -> None:
    portal.browser.submit(EDIT, given_names="Erika")
    portal.browser.submit(EDIT, given_names="Erika")
    assert "keine Änderungen" in portal.browser.get("/konto/profil").text
    assert len(profile_events(portal, logged_in.email)) == 1


def test_a_change_is_recorded_with_the_attribute_names_only(
    portal: Portal, logged_in: Citizen
) -> None:
    portal.browser.submit(EDIT, given_names="Erika", locality="Köln")
    (details,) = profile_events(portal, logged_in.email)
    assert set(str(details["attributes"]).split(",")) == {"given_names", "locality"}
    assert "Köln" not in str(details), "no personal data in the audit record"


def test_the_profile_shows_what_was_read_from_the_id_card(
    portal: Portal, logged_in: Citizen
) -> None:
    insert_eid_value(portal, logged_in.email, "family_names", "Mustermann")
    page = portal.browser.get("/konto/profil")
    assert "Mustermann" in page.text
    assert "aus dem Ausweis gelesen am 30.11.2026" in page.text
    edit = portal.browser.get(EDIT)
    assert 'name="family_names"' not in edit.text, "no input for a value from the card"
    assert "Mustermann" in edit.text and "aus dem Ausweis" in edit.text


@pytest.mark.parametrize("forged", ["Musterfrau", ""])
def test_a_forged_post_cannot_change_an_id_card_value(
    portal: Portal, logged_in: Citizen, forged: str
) -> None:
    insert_eid_value(portal, logged_in.email, "family_names", "Mustermann")
    response = portal.browser.submit(EDIT, family_names=forged, given_names="Erika")
    assert response.status_code == 303
    profile = profile_of(portal, logged_in.email)
    assert profile["family_names"] == ("Mustermann", "eid")
    assert profile["given_names"] == ("Erika", "self")
    (details,) = profile_events(portal, logged_in.email)
    assert "family_names" not in str(details["attributes"])


@pytest.mark.parametrize("field", ["email", "community_id", "document_type", "provenance"])
def test_fields_that_are_not_on_the_form_are_ignored(
    portal: Portal, logged_in: Citizen, field: str
) -> None:
    assert portal.browser.submit(EDIT, **{field: "forged"}).status_code == 303
    row = portal.citizen_row(logged_in.email)
    assert row is not None
    assert row["email"] == logged_in.email
    assert row["profile"] == {}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("given_names", "E" * 201, "Höchstens 200 Zeichen"),
        ("nationality", "DEUT", "Höchstens 3 Zeichen"),
        ("postal_code", "1" * 11, "Höchstens 10 Zeichen"),
        ("date_of_birth", "12.08.1964", "JJJJ-MM-TT"),
        ("date_of_birth", "2999-01-01", "Vergangenheit"),
        ("phone", "call me maybe", "Ziffern"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(
    portal: Portal, logged_in: Citizen, field: str, value: str, message: str
) -> None:
    portal.browser.submit(EDIT, given_names="Erika", locality="Köln")
    before = profile_of(portal, logged_in.email)
    response = portal.browser.submit(EDIT, locality="Bonn", **{field: value})
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert f'aria-describedby="{field}-error"' in response.text
    assert profile_of(portal, logged_in.email) == before
    assert len(profile_events(portal, logged_in.email)) == 1


def test_values_are_shown_as_text_never_as_markup(portal: Portal, logged_in: Citizen) -> None:
    portal.browser.submit(EDIT, given_names="<script>alert(1)</script>")
    page = portal.browser.get("/konto/profil")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_every_field_has_a_label(portal: Portal, logged_in: Citizen) -> None:
    page = portal.browser.get(EDIT)
    for name in ["given_names", "family_names", "date_of_birth", "postal_code", "phone"]:
        assert f'<label for="{name}">' in page.text
    assert 'autocomplete="given-name"' in page.text


def test_the_profile_needs_a_login(portal: Portal) -> None:
    for path in ["/konto/profil", EDIT]:
        response = portal.browser.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/anmelden?next=")
