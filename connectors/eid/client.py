"""Client of the eID-Interface (TR-03130-1 §3): useID, getResult, getServerInfo.

Each call builds the message, checks it against the schema of the configured interface version
(a message the connector sends is always schema-valid; anything else is a programming error),
signs it, sends it, verifies the answer's signature against the configured eID-Server
certificate and reads it leniently. Failures are :class:`EidError` with a typed outcome.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from connectors.eid import messages, schema
from connectors.eid.messages import UseIdAnswer, UseIdRequest
from connectors.eid.outcomes import EidError, Outcome
from connectors.eid.results import EidResult, ServerInfo
from connectors.eid.schema import InterfaceVersion
from connectors.eid.transport import SoapTransport
from connectors.eid.wssec import MessageSigner, MessageVerifier, SignatureError
from connectors.eid.xml import Element, XmlError, parse, to_bytes

log = logging.getLogger(__name__)

ACTION = "http://bsi.bund.de/eID/{}"


@dataclass(frozen=True)
class PollPolicy:
    """Bounded polling of getResult while ``noResultYet``: at most ``max_attempts`` calls,
    waiting ``initial_delay`` × ``factor``ⁿ (capped at ``max_delay``) between them."""

    max_attempts: int = 8
    initial_delay: float = 0.25
    factor: float = 2.0
    max_delay: float = 2.0

    def delays(self) -> list[float]:
        return [
            min(self.max_delay, self.initial_delay * self.factor**n)
            for n in range(self.max_attempts - 1)
        ]


class EidServerClient:
    def __init__(
        self,
        transport: SoapTransport,
        signer: MessageSigner,
        verifier: MessageVerifier,
        version: InterfaceVersion = InterfaceVersion.V2_4_0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._transport = transport
        self._signer = signer
        self._verifier = verifier
        self.version = version
        self._sleep = sleep

    def use_id(self, request: UseIdRequest) -> UseIdAnswer:
        """TR-03130-1 §3.2 useID: start a session; raises EidError."""
        answer = self._call("useID", messages.use_id_request(request, self.version))
        return messages.read_use_id_response(answer)

    def get_result(self, session_id: str, counter: int) -> EidResult:
        """TR-03130-1 §3.3 getResult with the given RequestCounter; raises EidError
        (``NO_RESULT_YET`` while the card is still being read)."""
        answer = self._call("getResult", messages.get_result_request(session_id, counter))
        return messages.read_get_result_response(answer)

    def get_server_info(self) -> ServerInfo:
        """TR-03130-1 §3.4 getServerInfo."""
        answer = self._call("getServerInfo", messages.get_server_info_request())
        return messages.read_get_server_info_response(answer)

    def poll_result(self, session_id: str, policy: PollPolicy, first_counter: int = 1) -> EidResult:
        """getResult while ``noResultYet``, RequestCounter exactly +1 per call, bounded."""
        delays = policy.delays()
        counter = first_counter
        while True:
            try:
                return self.get_result(session_id, counter)
            except EidError as exc:
                if exc.outcome is not Outcome.NO_RESULT_YET:
                    raise
                if not delays:
                    raise EidError(Outcome.RESULT_NOT_READY, f"after {counter} calls") from None
            self._sleep(delays.pop(0))
            counter += 1

    def _call(self, operation: str, message: Element) -> Element:
        schema.assert_valid(message, self.version)
        envelope = self._signer.sign(messages.envelope(message))
        raw = self._transport.post(ACTION.format(operation), to_bytes(envelope))
        try:
            answer = parse(raw)
        except XmlError as exc:
            raise EidError(Outcome.BAD_RESPONSE, str(exc)) from None
        try:
            self._verifier.verify(answer)
        except SignatureError as exc:
            log.warning("eID-Server answer to %s rejected: %s", operation, exc)
            raise EidError(Outcome.BAD_SIGNATURE, str(exc)) from None
        try:
            return schema.message_element(answer)
        except schema.SchemaViolationError as exc:
            raise EidError(Outcome.BAD_RESPONSE, str(exc)) from None
