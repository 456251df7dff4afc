"""One eID transaction, from the activation link to the typed result.

1. :meth:`EidTransactions.start` (browser, hub session S): a random transaction id T with a TTL,
   bound to S, and the activation links carrying the TC token URL ``…/eid/tctoken?t=T``.
2. :meth:`~EidTransactions.tc_token` (eID-Client): useID once per T (take-once), then the TC
   token with a fresh one-time RefreshAddress ``…/eid/zurueck?r=R`` (R stored with TTL).
3. :meth:`~EidTransactions.finish` (browser at the RefreshAddress): R is taken atomically; it
   must belong to S and T must not have expired. The query (``ResultMajor=ok``) is never
   trusted: the result comes only from getResult (TR-03124-1 §2.5.4, TR-03130-1 §3.3).

State lives in the key-value store (TTL) and carries its own expiry, checked against the
injected clock, so an expired transaction is refused even before the store drops it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from connectors.eid import tctoken
from connectors.eid.client import EidServerClient, PollPolicy
from connectors.eid.messages import UseIdRequest
from connectors.eid.outcomes import EidError, EidFailure, Outcome, from_client_minor
from connectors.eid.results import EidResult
from core.clock import Clock
from core.store.base import KeyValueStore, dumps, loads

log = logging.getLogger(__name__)

TC_TOKEN_PATH = "/eid/tctoken"
REFRESH_PATH = "/eid/zurueck"
COMMUNICATION_ERROR_PATH = "/eid/kommunikationsfehler"

#: Seconds an expired transaction is still recognised as expired (see ``_ttl``).
EXPIRED_GRACE = 300

_TX = "eid:tx:"
_TOKEN_ISSUED = "eid:tx-token:"
_REFRESH = "eid:refresh:"

#: Outcomes of getResult that say less than what the eID-Client reported.
_VAGUE = {
    Outcome.INTERNAL_ERROR,
    Outcome.UNKNOWN_ERROR,
    Outcome.NO_RESULT_YET,
    Outcome.RESULT_NOT_READY,
    Outcome.INVALID_SESSION,
}


@dataclass(frozen=True)
class EidConfig:
    #: The hub's public base URL (TC token, RefreshAddress, CommunicationErrorAddress).
    base_url: str
    request: UseIdRequest
    client_url: str = tctoken.DEFAULT_CLIENT_URL
    #: ServerAddress when the useIDResponse carries no eCardServerAddress.
    ecard_server_address: str | None = None
    transaction_ttl: int = 600
    poll: PollPolicy = field(default_factory=PollPolicy)
    #: http URLs only in development and tests; production is https throughout.
    allow_http: bool = False

    def __post_init__(self) -> None:
        for url in (self.base_url, self.ecard_server_address):
            if url is not None and urlsplit(url).scheme != "https" and not self.allow_http:
                raise ValueError(f"eID URLs must use https in production, got {url!r}")
        if self.transaction_ttl <= 0:
            raise ValueError("transaction_ttl must be positive")


@dataclass(frozen=True)
class StartedTransaction:
    id: str
    tc_token_url: str
    activation_link: str
    mobile_activation_link: str
    expires_at: float


@dataclass(frozen=True)
class EidSuccess:
    result: EidResult
    purpose: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return True


@dataclass(frozen=True)
class Finished:
    """The end of a transaction: a success or a failure, and what the transaction was for."""

    outcome: EidSuccess | EidFailure
    purpose: Mapping[str, str]


def binding_digest(binding: str) -> str:
    return hashlib.sha256(b"eid-binding:" + binding.encode()).hexdigest()


class EidTransactions:
    def __init__(
        self, config: EidConfig, client: EidServerClient, store: KeyValueStore, clock: Clock
    ) -> None:
        self.config = config
        self._client = client
        self._store = store
        self._clock = clock

    # 1. the browser ---------------------------------------------------------------------------

    def start(
        self,
        binding: str,
        purpose: Mapping[str, str] | None = None,
        request: UseIdRequest | None = None,
    ) -> StartedTransaction:
        """A new transaction bound to ``binding`` (an opaque value of the browser session)."""
        if not binding:
            raise ValueError("a transaction must be bound to a browser session")
        tx_id = secrets.token_urlsafe(32)
        expires_at = self._clock.now() + self.config.transaction_ttl
        state = {
            "binding": binding_digest(binding),
            "expires_at": expires_at,
            "purpose": dict(purpose or {}),
            "request": None if request is None else request.to_dict(),
        }
        self._store.set(_TX + tx_id, dumps(state), self._ttl(state))
        url = f"{self.config.base_url}{TC_TOKEN_PATH}?{urlencode({'t': tx_id})}"
        return StartedTransaction(
            tx_id,
            url,
            tctoken.activation_link(url, self.config.client_url),
            tctoken.mobile_activation_link(url, self.config.client_url),
            expires_at,
        )

    # 2. the eID-Client ------------------------------------------------------------------------

    def tc_token(self, tx_id: str) -> bytes:
        """The TC token for T (useID is called here, once per T); on any failure an error
        token pointing to the CommunicationErrorAddress."""
        error_token = tctoken.build_error(self._communication_error_address(tx_id))
        state = self._live_state(tx_id)
        if state is None or not self._store.add(_TOKEN_ISSUED + tx_id, b"1", self._ttl(state)):
            return error_token
        try:
            answer = self._client.use_id(self._request_for(state))
        except EidError as exc:
            log.warning("useID failed: %s", exc.outcome.value)
            self._fail(tx_id, state, exc.outcome)
            return error_token
        refresh = secrets.token_urlsafe(32)
        record = {**state, "tx": tx_id, "session": answer.session_id}
        self._store.set(_REFRESH + refresh, dumps(record), self._ttl(state))
        server_address = answer.ecard_server_address or self.config.ecard_server_address
        if not server_address:
            log.warning("useIDResponse without eCardServerAddress and none configured")
            return error_token
        return tctoken.build(
            tctoken.TcToken(
                server_address=server_address,
                session_identifier=answer.psk.id,
                refresh_address=f"{self.config.base_url}{REFRESH_PATH}?{urlencode({'r': refresh})}",
                communication_error_address=self._communication_error_address(tx_id),
                psk=answer.psk.key,
            )
        )

    # 3. the browser again ---------------------------------------------------------------------

    def finish(self, refresh: str, binding: str, query: Mapping[str, str]) -> Finished:
        """The browser arrived at the RefreshAddress. One-time: a second call fails."""
        record = loads(self._store.take(_REFRESH + refresh)) if refresh else None
        if not isinstance(record, dict):
            return Finished(EidFailure(Outcome.TRANSACTION_UNKNOWN), {})
        purpose = record.get("purpose") or {}
        self._store.delete(_TX + str(record.get("tx")))
        failure = self._check_record(record, binding)
        if failure is not None:
            return Finished(failure, purpose)
        return Finished(self._result(str(record["session"]), query, purpose), purpose)

    def communication_error(self, tx_id: str, binding: str) -> Finished:
        """The eID-Client could not use the RefreshAddress (or the hub sent an error token)."""
        raw = self._store.take(_TX + tx_id) if tx_id else None
        state = loads(raw)
        if not isinstance(state, dict):
            return Finished(EidFailure(Outcome.TRANSACTION_UNKNOWN), {})
        purpose = state.get("purpose") or {}
        failure = self._check_record(state, binding)
        if failure is not None:
            return Finished(failure, purpose)
        outcome = Outcome(state.get("failed") or Outcome.COMMUNICATION_ERROR.value)
        return Finished(EidFailure(outcome), purpose)

    # internals --------------------------------------------------------------------------------

    def _request_for(self, state: Mapping[str, object]) -> UseIdRequest:
        stored = state.get("request")
        if isinstance(stored, dict):
            return UseIdRequest.from_dict(stored)
        return self.config.request

    def _check_record(self, record: Mapping[str, object], binding: str) -> EidFailure | None:
        if not hmac.compare_digest(str(record.get("binding")), binding_digest(binding or "-")):
            return EidFailure(Outcome.FOREIGN_SESSION)
        if float(str(record.get("expires_at"))) <= self._clock.now():
            return EidFailure(Outcome.TRANSACTION_EXPIRED)
        return None

    def _result(
        self, session_id: str, query: Mapping[str, str], purpose: Mapping[str, str]
    ) -> EidSuccess | EidFailure:
        client_failed = query.get("ResultMajor", "").strip().lower() == "error"
        policy = PollPolicy(max_attempts=1) if client_failed else self.config.poll
        try:
            return EidSuccess(self._client.poll_result(session_id, policy), purpose)
        except EidError as exc:
            if client_failed and exc.outcome in _VAGUE:
                return EidFailure(from_client_minor(query.get("ResultMinor")), exc.detail)
            return exc.failure()

    def _live_state(self, tx_id: str) -> dict[str, object] | None:
        state = loads(self._store.get(_TX + tx_id)) if tx_id else None
        if not isinstance(state, dict) or float(state["expires_at"]) <= self._clock.now():
            return None
        return state

    def _fail(self, tx_id: str, state: dict[str, object], outcome: Outcome) -> None:
        self._store.set(_TX + tx_id, dumps({**state, "failed": outcome.value}), self._ttl(state))

    def _ttl(self, state: Mapping[str, object]) -> int:
        """Store TTL: the remaining lifetime plus a grace period, so that a late browser is
        told "expired" (checked against the clock) rather than "unknown"."""
        remaining = float(str(state["expires_at"])) - self._clock.now()
        return max(1, int(remaining) + 1 + EXPIRED_GRACE)

    def _communication_error_address(self, tx_id: str) -> str:
        return f"{self.config.base_url}{COMMUNICATION_ERROR_PATH}?{urlencode({'t': tx_id})}"
