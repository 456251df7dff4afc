"""The eID-Client stand-in: what AusweisApp does between the activation link and the redirect
(TR-03124-1 v1.4 §2.4–2.5), with the card reading of the simulated eID-Server in-process.

1. fetch the TC token from ``tcTokenURL`` (GET; https in production, http allowed here);
2. "establish the trusted channel": ServerAddress must be this simulator's eCard address and
   SessionIdentifier/PSK must match an open session (else ``trustedChannelEstablishmentFailed``);
3. the person picks a card, sees the requested fields, may deselect ALLOWED ones, enters the PIN
   or cancels;
4. 303 to the RefreshAddress with ``ResultMajor=ok`` or ``ResultMajor=error&ResultMinor=…``
   (existing query parameters kept); without a usable RefreshAddress to the
   CommunicationErrorAddress with ``ResultMinor=communicationError``.
"""

from __future__ import annotations

import hmac
import logging
import ssl
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from connectors.eid import tctoken
from connectors.eid.fields import EidType
from connectors.eid.outcomes import Outcome
from connectors.eid.simulator.cards import BY_ID, PIN
from connectors.eid.simulator.config import SimulatorConfig
from connectors.eid.simulator.reading import denial, read_card
from connectors.eid.simulator.state import Dialogue, Session, SimulatorState
from connectors.eid.xml import XmlError

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 10.0
MAX_TOKEN_BYTES = 64 * 1024


@dataclass(frozen=True)
class Choice:
    """What the person did on the page."""

    card_id: str = "erika"
    pin: str = PIN
    cancel: bool = False
    generation: int = 1
    eid_type: EidType = EidType.CARD_CERTIFIED
    deselected: Collection[str] = field(default_factory=frozenset)
    extra_polls: int = 0
    expire_session: bool = False
    communication_error: bool = False
    channel_error: bool = False


@dataclass(frozen=True)
class Page:
    """Show the dialogue page."""

    key: str
    session: Session


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class Problem:
    """Nothing to redirect to: the page says what went wrong (as AusweisApp shows a dialog)."""

    message: str


class StandIn:
    def __init__(self, config: SimulatorConfig, state: SimulatorState) -> None:
        self.config = config
        self.state = state

    def begin(self, tc_token_url: str) -> Page | Redirect | Problem:
        token = self._fetch(tc_token_url)
        if isinstance(token, Problem):
            return token
        if not token.refresh_address:
            if token.communication_error_address:
                return Redirect(_communication_error(token.communication_error_address))
            return Problem("Der TC-Token enthält keine Rücksprungadresse.")
        session = self._channel(token)
        if session is None:
            return Redirect(_error(token.refresh_address, Outcome.TRUSTED_CHANNEL_FAILED))
        dialogue = Dialogue(
            session.id,
            token.refresh_address,
            token.communication_error_address,
            self.state.clock.now(),
        )
        return Page(self.state.open_dialogue(dialogue), session)

    def complete(self, key: str, choice: Choice) -> Redirect | Problem:
        dialogue = self.state.take_dialogue(key)
        if dialogue is None:
            return Problem("Dieser Vorgang ist abgelaufen oder wurde schon abgeschlossen.")
        session = self.state.get(dialogue.session_id)
        if choice.communication_error and dialogue.communication_error_address:
            return Redirect(_communication_error(dialogue.communication_error_address))
        if session is None or choice.channel_error:
            return Redirect(_error(dialogue.refresh_address, Outcome.TRUSTED_CHANNEL_FAILED))
        if choice.expire_session:
            self.state.drop(session.id)
            return Redirect(_ok(dialogue.refresh_address))
        if choice.cancel or not hmac.compare_digest(choice.pin, PIN):
            why = "abgebrochen" if choice.cancel else "falsche PIN"
            self._fail(session, Outcome.INTERNAL_ERROR, f"eID-Client: {why}")
            return Redirect(_error(dialogue.refresh_address, Outcome.CANCELLED_BY_USER))
        return Redirect(self._read(session, dialogue, choice))

    def _read(self, session: Session, dialogue: Dialogue, choice: Choice) -> str:
        card = BY_ID.get(choice.card_id)
        if card is None:
            self._fail(session, Outcome.INTERNAL_ERROR, "keine Karte")
            return _error(dialogue.refresh_address, Outcome.CLIENT_ERROR)
        today = datetime.fromtimestamp(self.state.clock.now(), tz=UTC).date()
        refused = denial(session.request, card, choice.eid_type, today)
        if refused is not None:
            self._fail(session, refused, "")
            return _error(dialogue.refresh_address, Outcome.CLIENT_SERVER_ERROR)
        reading = read_card(
            session.request,
            self.config.version,
            card,
            choice.generation,
            choice.deselected,
            choice.eid_type,
            self.config.sector,
            today,
        )
        with self.state.lock:
            session.reading = reading
            session.polls_left = self.config.no_result_polls + max(0, choice.extra_polls)
        return _ok(dialogue.refresh_address)

    def _fail(self, session: Session, outcome: Outcome, message: str) -> None:
        with self.state.lock:
            session.failure, session.failure_message = outcome, message

    def _channel(self, token: tctoken.TcToken) -> Session | None:
        """The TLS-PSK channel to the eCard server: right address, known PSK identity, same
        key (TR-03124-1 §2.4.2; RFC 4279)."""
        if token.server_address != self.config.ecard_server_address:
            return None
        session = self.state.by_psk(token.session_identifier)
        if session is None or token.psk is None:
            return None
        if not hmac.compare_digest(token.psk.strip().upper(), session.psk.key.upper()):
            return None
        return session

    def _fetch(self, url: str) -> tctoken.TcToken | Problem:
        if urlsplit(url).scheme not in {"http", "https"}:
            return Problem("Die tcTokenURL ist keine http(s)-Adresse.")
        context = None
        if self.config.tc_token_ca_pem is not None:
            context = ssl.create_default_context(cadata=self.config.tc_token_ca_pem.decode())
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT, context=context) as answer:  # noqa: S310 (scheme checked above)
                content_type = answer.headers.get("Content-Type", "")
                data = answer.read(MAX_TOKEN_BYTES + 1)
        except OSError as exc:
            log.info("TC token fetch failed: %s", exc)
            return Problem("Der TC-Token konnte nicht abgerufen werden.")
        if not content_type.startswith("text/xml") or len(data) > MAX_TOKEN_BYTES:
            return Problem("Die Antwort auf die tcTokenURL ist kein TC-Token.")
        try:
            return tctoken.read(data)
        except XmlError:
            return Problem("Der TC-Token ist kein gültiges XML.")


def _ok(address: str) -> str:
    return tctoken.with_result(address, [("ResultMajor", "ok")])


def _error(address: str, minor: Outcome) -> str:
    return tctoken.with_result(address, [("ResultMajor", "error"), ("ResultMinor", minor.value)])


def _communication_error(address: str) -> str:
    return _error(address, Outcome.COMMUNICATION_ERROR)
