"""The eID-Server half: the SOAP endpoint of TR-03130-1 (useID, getResult, getServerInfo).

Order of checks, as a real server: well-formed XML → WS-Security signature of the eService
(a bad one is answered only with ``common#internalError``) → schema of the configured version
(``common#schemaViolation``) → the operation's own rules. Every answer is signed.
"""

from __future__ import annotations

import logging
import time

from lxml import etree

from connectors.eid import schema
from connectors.eid.fields import Requirement
from connectors.eid.messages import Psk, UseIdRequest, envelope
from connectors.eid.outcomes import Outcome
from connectors.eid.simulator import answers
from connectors.eid.simulator.config import SimulatorConfig
from connectors.eid.simulator.requests import read_use_id_request
from connectors.eid.simulator.state import SimulatorState
from connectors.eid.wssec import MessageSigner, MessageVerifier, SignatureError
from connectors.eid.xml import (
    EID,
    SOAP,
    Element,
    XmlError,
    local_name,
    namespace_of,
    parse,
    qname,
    text_of,
    to_bytes,
)

log = logging.getLogger(__name__)

OPERATIONS = ("useID", "getResult", "getServerInfo")
#: A PSK shorter than 256 bits is refused (TR-03130-1 §3.2.1: the PSK must be usable for
#: TLS-PSK with the eID-Client; the simulator asks for 32 bytes).
MIN_PSK_BYTES = 32


class SimulatedEidServer:
    def __init__(
        self,
        config: SimulatorConfig,
        state: SimulatorState,
        signer: MessageSigner,
        verifier: MessageVerifier | None,
    ) -> None:
        self.config = config
        self.state = state
        self._signer = signer
        self._verifier = verifier

    def handle(self, raw: bytes, soap_action: str = "") -> tuple[int, bytes]:
        """One SOAP request → (HTTP status, signed SOAP answer)."""
        if self.config.answer_delay:
            time.sleep(self.config.answer_delay)
        operation = _operation_from_action(soap_action)
        try:
            request = parse(raw)
            message = schema.message_element(request)
        except (XmlError, schema.SchemaViolationError):
            return self._answer(_fault("Client", "not a SOAP message"), 500)
        if namespace_of(message) == EID and local_name(message).endswith("Request"):
            operation = local_name(message)[: -len("Request")]
        if operation not in OPERATIONS:
            return self._answer(_fault("Client", "unknown operation"), 500)
        if not self._signature_ok(request):
            return self._answer(answers.error(operation, Outcome.INTERNAL_ERROR))
        problems = schema.errors(message, self.config.version)
        if problems:
            log.info("schema violation in %s: %s", operation, problems[0])
            return self._answer(answers.error(operation, Outcome.SCHEMA_VIOLATION, problems[0]))
        if operation == "useID":
            return self._answer(self._use_id(message))
        if operation == "getResult":
            return self._answer(self._get_result(message))
        return self._answer(answers.server_info(self.config.version, self.config.rights))

    def _signature_ok(self, request: Element) -> bool:
        if self._verifier is None:
            log.warning("no eService certificate configured: every request is refused")
            return False
        try:
            self._verifier.verify(request)
        except SignatureError as exc:
            log.info("request signature refused: %s", exc)
            return False
        return True

    def _answer(self, message: Element, status: int = 200) -> tuple[int, bytes]:
        env = message if message.tag == qname(SOAP, "Envelope") else envelope(message)
        return status, to_bytes(self._signer.sign(env))

    # useID ------------------------------------------------------------------------------------

    def _use_id(self, message: Element) -> Element:
        request = read_use_id_request(message)
        fault = self.state.faults.next_use_id
        if fault is not None:
            self.state.faults.next_use_id = None
            return answers.error("useID", fault, "simulierter Fehler")
        problem = self._use_id_problem(request)
        if problem is not None:
            return answers.error("useID", problem)
        session = self.state.create_session(request, request.psk)
        return answers.use_id(session, self.config.ecard_server_address)

    def _use_id_problem(self, request: UseIdRequest) -> Outcome | None:
        wanted = {k for k, v in request.operations.items() if v is not Requirement.PROHIBITED}
        if ("AgeVerification" in wanted and request.age_verification is None) or (
            "PlaceVerification" in wanted and request.place_verification is None
        ):
            return Outcome.MISSING_ARGUMENT
        if wanted - self.config.rights:
            return Outcome.MISSING_TERMINAL_RIGHTS
        if request.psk is not None and not _usable_psk(request.psk, self.state):
            return Outcome.INVALID_PSK
        if self.state.open_sessions() >= self.config.max_open_sessions:
            return Outcome.TOO_MANY_OPEN_SESSIONS
        return None

    # getResult --------------------------------------------------------------------------------

    def _get_result(self, message: Element) -> Element:
        session_id = (text_of(message, "Session", "ID") or "").upper()
        counter = int(text_of(message, "RequestCounter") or "0")
        session = self.state.get(session_id)
        if session is None:
            return answers.error("getResult", Outcome.INVALID_SESSION)
        with self.state.lock:
            expected, session.counter = session.counter + 1, counter
            fault, self.state.faults.next_get_result = self.state.faults.next_get_result, None
            waiting = not session.finished or session.polls_left > 0
            if session.finished and session.polls_left > 0:
                session.polls_left -= 1
        if counter != expected or fault is not None:
            self.state.drop(session.id)
            return answers.error("getResult", fault or Outcome.INVALID_COUNTER)
        if waiting:
            return answers.error("getResult", Outcome.NO_RESULT_YET)
        self.state.drop(session.id)
        if session.reading is None:
            failure = session.failure or Outcome.INTERNAL_ERROR
            return answers.error("getResult", failure, session.failure_message)
        return answers.get_result(session.reading, self.config.version)


def _usable_psk(psk: Psk, state: SimulatorState) -> bool:
    try:
        key = bytes.fromhex(psk.key)
    except ValueError:
        return False
    return len(key) >= MIN_PSK_BYTES and not state.psk_in_use(psk.id)


def _operation_from_action(action: str) -> str:
    return action.strip().strip('"').rsplit("/", 1)[-1]


def _fault(code: str, text: str) -> Element:
    env = envelope(etree.Element(qname(SOAP, "Fault")))
    fault = env.find(f"{qname(SOAP, 'Body')}/{qname(SOAP, 'Fault')}")
    assert fault is not None
    etree.SubElement(fault, "faultcode").text = f"soap:{code}"
    etree.SubElement(fault, "faultstring").text = text
    return env
