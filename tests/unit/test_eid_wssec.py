"""WS-Security of the eID-Interface: what is signed, and every way a message is refused."""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from connectors.eid import messages
from connectors.eid.simulator.keys import KeyPair, self_signed
from connectors.eid.wssec import SignatureError, XmlsecSigner, XmlsecVerifier
from connectors.eid.xml import DS, EID, SOAP, WSSE, WSU, Element, parse, qname, to_bytes
from core.clock import FrozenClock


@pytest.fixture(scope="module")
def keys() -> tuple[KeyPair, KeyPair]:
    return self_signed("signer", key_size=2048), self_signed("other", key_size=2048)


def _signed(pair: KeyPair, clock: FrozenClock) -> bytes:
    envelope = messages.envelope(messages.get_result_request("AB" * 16, 1))
    return to_bytes(XmlsecSigner(pair.key_pem, pair.cert_pem, clock).sign(envelope))


def _verify(data: bytes | Element, pair: KeyPair, clock: FrozenClock) -> None:
    element = parse(data) if isinstance(data, bytes) else data
    XmlsecVerifier(pair.cert_pem, clock).verify(element)


def test_signature_covers_body_and_timestamp_with_the_required_algorithms(
    keys: tuple[KeyPair, KeyPair],
) -> None:
    clock = FrozenClock()
    doc = parse(_signed(keys[0], clock))
    signature = doc.find(f".//{qname(DS, 'Signature')}")
    assert signature is not None
    parent = signature.getparent()
    assert parent is not None and parent.tag == qname(WSSE, "Security")
    info = signature.find(qname(DS, "SignedInfo"))
    assert info is not None
    assert info.find(qname(DS, "CanonicalizationMethod")).get("Algorithm") == (  # type: ignore[union-attr]
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    )
    assert info.find(qname(DS, "SignatureMethod")).get("Algorithm") == (  # type: ignore[union-attr]
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    )
    body = doc.find(qname(SOAP, "Body"))
    stamp = doc.find(f".//{qname(WSU, 'Timestamp')}")
    assert body is not None and stamp is not None
    uris = {r.get("URI") for r in info.findall(qname(DS, "Reference"))}
    assert uris == {"#" + body.get(qname(WSU, "Id"), ""), "#" + stamp.get(qname(WSU, "Id"), "")}
    assert doc.find(f".//{qname(DS, 'X509IssuerSerial')}") is not None
    _verify(to_bytes(doc), keys[0], clock)


def test_unsigned_message_is_refused(keys: tuple[KeyPair, KeyPair]) -> None:
    plain = to_bytes(messages.envelope(messages.get_server_info_request()))
    with pytest.raises(SignatureError):
        _verify(plain, keys[0], FrozenClock())


def test_tampered_body_is_refused(keys: tuple[KeyPair, KeyPair]) -> None:
    clock = FrozenClock()
    data = _signed(keys[0], clock).replace(b"RequestCounter>1<", b"RequestCounter>2<")
    with pytest.raises(SignatureError, match="does not verify"):
        _verify(data, keys[0], clock)


def test_wrong_certificate_is_refused(keys: tuple[KeyPair, KeyPair]) -> None:
    clock = FrozenClock()
    with pytest.raises(SignatureError):
        _verify(_signed(keys[0], clock), keys[1], clock)


def test_the_serial_check_does_not_replace_the_cryptographic_check(
    keys: tuple[KeyPair, KeyPair],
) -> None:
    clock = FrozenClock()
    doc = parse(_signed(keys[1], clock))
    for serial in doc.iter(qname(DS, "X509SerialNumber")):
        serial.getparent().remove(serial)  # type: ignore[union-attr]
    with pytest.raises(SignatureError, match="does not verify"):
        _verify(doc, keys[0], clock)


@pytest.mark.parametrize(("shift", "reason"), [(-400, "too old"), (120, "future")])
def test_stale_or_future_timestamp_is_refused(
    keys: tuple[KeyPair, KeyPair], shift: float, reason: str
) -> None:
    clock = FrozenClock()
    data = _signed(keys[0], clock)
    clock.advance(-shift)
    with pytest.raises(SignatureError, match=reason):
        _verify(data, keys[0], clock)


def test_signature_wrapping_moved_body_is_refused(keys: tuple[KeyPair, KeyPair]) -> None:
    """The signed Body is moved into the header and a forged Body takes its place."""
    clock = FrozenClock()
    doc = parse(_signed(keys[0], clock))
    body = doc.find(qname(SOAP, "Body"))
    header = doc.find(qname(SOAP, "Header"))
    assert body is not None and header is not None
    doc.remove(body)
    wrapper = etree.SubElement(header, "Wrapper")
    wrapper.append(body)
    forged = etree.SubElement(doc, qname(SOAP, "Body"))
    etree.SubElement(forged, qname(EID, "getServerInfoRequest"))
    with pytest.raises(SignatureError, match="exactly the Body"):
        _verify(doc, keys[0], clock)


def test_signature_wrapping_duplicate_id_is_refused(keys: tuple[KeyPair, KeyPair]) -> None:
    """A forged Body carries the signed Body's id, the original hides in the header."""
    clock = FrozenClock()
    doc = parse(_signed(keys[0], clock))
    body = doc.find(qname(SOAP, "Body"))
    header = doc.find(qname(SOAP, "Header"))
    assert body is not None and header is not None
    hidden = copy.deepcopy(body)
    header.append(hidden)
    body[0].find(qname(EID, "RequestCounter")).text = "7"  # type: ignore[union-attr]
    with pytest.raises(SignatureError, match="duplicate id"):
        _verify(doc, keys[0], clock)


def test_second_body_or_second_signature_is_refused(keys: tuple[KeyPair, KeyPair]) -> None:
    clock = FrozenClock()
    doc = parse(_signed(keys[0], clock))
    etree.SubElement(doc, qname(SOAP, "Body"))
    with pytest.raises(SignatureError, match="soap:Body"):
        _verify(doc, keys[0], clock)
    doc = parse(_signed(keys[0], clock))
    body = doc.find(qname(SOAP, "Body"))
    signature = doc.find(f".//{qname(DS, 'Signature')}")
    assert body is not None and signature is not None
    body[0].append(copy.deepcopy(signature))
    with pytest.raises(SignatureError, match="exactly one"):
        _verify(doc, keys[0], clock)


def test_timestamp_outside_the_security_header_is_not_accepted(
    keys: tuple[KeyPair, KeyPair],
) -> None:
    clock = FrozenClock()
    doc = parse(_signed(keys[0], clock))
    stamp = doc.find(f".//{qname(WSU, 'Timestamp')}")
    body = doc.find(qname(SOAP, "Body"))
    assert stamp is not None and body is not None
    stamp.getparent().remove(stamp)  # type: ignore[union-attr]
    body[0].append(stamp)
    with pytest.raises(SignatureError, match="wsu:Timestamp"):
        _verify(doc, keys[0], clock)
