"""Reading a (schema-valid) useIDRequest on the server side."""

from __future__ import annotations

from connectors.eid.fields import EidType, EidTypeSelection, Requirement
from connectors.eid.messages import Psk, UseIdRequest
from connectors.eid.xml import Element, child, local_name, text_of


def read_use_id_request(message: Element) -> UseIdRequest:
    operations: dict[str, Requirement] = {}
    for item in _children(child(message, "UseOperations")):
        if isinstance(item.tag, str):
            operations[local_name(item)] = Requirement((item.text or "PROHIBITED").strip())
    eid_types: dict[EidType, EidTypeSelection] = {}
    for item in _children(child(message, "EIDTypeRequest")):
        if isinstance(item.tag, str):
            eid_types[EidType(local_name(item))] = EidTypeSelection((item.text or "").strip())
    age = text_of(message, "AgeVerificationRequest", "Age")
    psk_id, psk_key = text_of(message, "PSK", "ID"), text_of(message, "PSK", "Key")
    return UseIdRequest(
        operations=operations,
        age_verification=int(age) if age is not None else None,
        place_verification=text_of(message, "PlaceVerificationRequest", "CommunityID"),
        transaction_info=text_of(message, "TransactionInfo"),
        level_of_assurance=(text_of(message, "LevelOfAssuranceRequest") or "").strip() or None,
        eid_types=eid_types,
        psk=Psk(psk_id, psk_key.strip()) if psk_id and psk_key else None,
    )


def _children(node: Element | None) -> list[Element]:
    return [] if node is None else list(node)
