"""The schema bundle copy, the messages the connector builds, and lenient answer reading."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.eid import messages, schema
from connectors.eid.fields import EidType, EidTypeSelection, Permission, Requirement
from connectors.eid.messages import Psk, UseIdRequest
from connectors.eid.outcomes import (
    MESSAGES,
    EidError,
    Outcome,
    from_client_minor,
    from_result_minor,
)
from connectors.eid.results import Level
from connectors.eid.schema import InterfaceVersion
from connectors.eid.xml import XmlError, parse

EXAMPLES = schema.SCHEMA_DIR / "examples"
V24, V202 = InterfaceVersion.V2_4_0, InterfaceVersion.V2_0_2


def _examples(valid: bool) -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*/*.xml") if p.name.startswith("invalid-") != valid)


def _version(path: Path) -> InterfaceVersion:
    return V202 if "2.0.2" in str(path) else V24


@pytest.mark.parametrize("path", _examples(valid=True), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_valid_examples_validate(path: Path) -> None:
    assert schema.errors(parse(path.read_bytes()), _version(path)) == []


@pytest.mark.parametrize("path", _examples(valid=False), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_invalid_examples_fail(path: Path) -> None:
    assert schema.errors(parse(path.read_bytes()), _version(path))


def test_doctype_and_entities_are_refused() -> None:
    with pytest.raises(XmlError):
        parse(b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>')
    with pytest.raises(XmlError):
        parse(b"<x>" * 10)


FULL = UseIdRequest(
    operations={
        "GivenNames": Requirement.REQUIRED,
        "CommunityID": Requirement.ALLOWED,
        "AgeVerification": Requirement.REQUIRED,
        "PlaceVerification": Requirement.REQUIRED,
    },
    age_verification=18,
    place_verification="027605",
    transaction_info="Anmeldung",
    eid_types={EidType.SE_CERTIFIED: EidTypeSelection.ALLOWED},
    psk=Psk("PSK-ID-0123456789", "AB" * 32),
)


def test_use_id_request_2_4_0_is_valid_and_complete() -> None:
    element = messages.use_id_request(FULL, V24)
    assert schema.errors(element, V24) == []
    operations = element[0]
    assert len(operations) == 17
    assert [c.text for c in operations][12] == "ALLOWED"  # CommunityID in 2.4.0 position
    names = [c.tag.split("}")[1] for c in element]
    assert names == [
        "UseOperations",
        "AgeVerificationRequest",
        "PlaceVerificationRequest",
        "TransactionInfo",
        "LevelOfAssuranceRequest",
        "EIDTypeRequest",
        "PSK",
    ]


def test_use_id_request_2_0_2_leaves_out_2_4_elements() -> None:
    request = UseIdRequest({"GivenNames": Requirement.REQUIRED}, transaction_info="x")
    element = messages.use_id_request(request, V202)
    assert schema.errors(element, V202) == []
    assert len(element[0]) == 16
    assert len(element) == 1
    with pytest.raises(ValueError, match="CommunityID"):
        messages.use_id_request(FULL, V202)


def test_other_requests_are_valid_in_both_versions() -> None:
    for version in InterfaceVersion:
        assert schema.errors(messages.get_result_request("AB" * 16, 1), version) == []
        assert schema.errors(messages.get_server_info_request(), version) == []
        assert schema.errors(messages.envelope(messages.get_server_info_request()), version) == []


def test_request_round_trips_through_the_store_format() -> None:
    assert UseIdRequest.from_dict(FULL.to_dict()) == FULL


def test_success_answer_is_read_field_by_field() -> None:
    message = schema.message_element(
        parse((EXAMPLES / "v2.4.0/soap-getResult-response.xml").read_bytes())
    )
    result = messages.read_get_result_response(message)
    data = result.personal_data
    assert (data.given_names, data.family_names, data.birth_name) == (
        "ERIKA",
        "MUSTERMANN",
        "GABLER",
    )
    assert data.artistic_name == ""
    assert data.date_of_expiry == date(2029, 10, 31)
    assert data.date_of_birth is not None and data.date_of_birth.date_value == date(1964, 8, 12)
    assert data.place_of_birth is not None and data.place_of_birth.freetext == "BERLIN"
    residence = data.place_of_residence
    assert residence is not None and residence.structured is not None
    assert (residence.structured.street, residence.structured.zip_code) == (
        "HEIDESTRASSE 17",
        "51147",
    )
    assert data.restricted_id is not None and data.restricted_id.id.startswith("01A4FB50")
    assert data.community_id == "02760503150000"
    assert result.operations["ResidencePermitI"] is Permission.PROHIBITED
    assert result.operations["GivenNames"] is Permission.ALLOWED
    assert result.level_of_assurance.level is Level.HIGH
    assert result.eid_type is EidType.CARD_CERTIFIED
    assert result.fulfils_age_verification is True


def test_error_answers_with_only_a_result_are_read() -> None:
    raw = (EXAMPLES / "v2.4.0/getResultResponse-noResultYet.xml").read_bytes()
    with pytest.raises(EidError) as pending:
        messages.read_get_result_response(parse(raw))
    assert pending.value.outcome is Outcome.NO_RESULT_YET
    unqualified = (
        EXAMPLES / "v2.4.0/invalid-soap-useIDResponse-unqualified-ResultMajor.xml"
    ).read_bytes()
    answer = messages.read_use_id_response(schema.message_element(parse(unqualified)))
    assert len(answer.session_id) >= 32
    only_result = (
        b'<eid:useIDResponse xmlns:eid="http://bsi.bund.de/eID/" '
        b'xmlns:dss="urn:oasis:names:tc:dss:1.0:core:schema"><dss:Result>'
        b"<dss:ResultMajor>http://www.bsi.bund.de/ecard/api/1.1/resultmajor#error</dss:ResultMajor>"
        b"<dss:ResultMinor>http://www.bsi.bund.de/eid/server/2.0/resultminor/useID#invalidPSK"
        b"</dss:ResultMinor></dss:Result></eid:useIDResponse>"
    )
    with pytest.raises(EidError) as refused:
        messages.read_use_id_response(parse(only_result))
    assert refused.value.outcome is Outcome.INVALID_PSK


def test_an_answer_without_result_or_session_is_a_bad_response() -> None:
    with pytest.raises(EidError) as bad:
        messages.read_use_id_response(
            parse(b'<eid:useIDResponse xmlns:eid="http://bsi.bund.de/eID/"/>')
        )
    assert bad.value.outcome is Outcome.BAD_RESPONSE
    with pytest.raises(EidError) as wrong:
        messages.read_get_result_response(
            parse(b'<eid:useIDResponse xmlns:eid="http://bsi.bund.de/eID/"/>')
        )
    assert wrong.value.outcome is Outcome.BAD_RESPONSE


MINORS = [
    "common#internalError",
    "common#schemaViolation",
    "useID#invalidPSK",
    "useID#tooManyOpenSessions",
    "useID#missingArgument",
    "useID#missingTerminalRights",
    "getResult#noResultYet",
    "getResult#invalidSession",
    "getResult#invalidCounter",
    "getResult#deniedDocument",
    "getResult#invalidDocument",
]


@pytest.mark.parametrize("minor", MINORS)
def test_every_result_minor_has_its_own_outcome(minor: str) -> None:
    outcome = from_result_minor("http://www.bsi.bund.de/eid/server/2.0/resultminor/" + minor)
    assert outcome.value == minor


def test_unknown_minors_and_client_minors() -> None:
    assert from_result_minor("urn:x:other") is Outcome.UNKNOWN_ERROR
    assert from_result_minor(None) is Outcome.UNKNOWN_ERROR
    assert from_client_minor("cancellationByUser") is Outcome.CANCELLED_BY_USER
    assert (
        from_client_minor("http://www.bsi.bund.de/ecard/api/1.1/resultminor/sal#cancellationByUser")
        is Outcome.CANCELLED_BY_USER
    )
    assert from_client_minor("trustedChannelEstablishmentFailed") is Outcome.TRUSTED_CHANNEL_FAILED
    assert from_client_minor("nonsense") is Outcome.CLIENT_ERROR


def test_every_outcome_has_a_german_message() -> None:
    assert set(MESSAGES) == set(Outcome)
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        texts = {o: str(MESSAGES[o]) for o in Outcome}
    assert all(len(t) > 20 for t in texts.values())
    assert "Passwort" in texts[Outcome.SERVER_UNREACHABLE]
    assert "abgebrochen" in texts[Outcome.CANCELLED_BY_USER]
