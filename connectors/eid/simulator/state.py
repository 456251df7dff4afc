"""What the simulated eID-Server remembers: sessions (TTL, PSK, RequestCounter, the outcome once
the card was read) and the eID-Client stand-in's open dialogues. In memory, one process."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from connectors.eid.messages import Psk, UseIdRequest
from connectors.eid.outcomes import Outcome
from connectors.eid.simulator.reading import CardReading
from core.clock import Clock


@dataclass
class Session:
    id: str
    psk: Psk
    request: UseIdRequest
    created: float
    counter: int = 0
    reading: CardReading | None = None
    failure: Outcome | None = None
    failure_message: str = ""
    polls_left: int = 0

    @property
    def finished(self) -> bool:
        return self.reading is not None or self.failure is not None


@dataclass(frozen=True)
class Dialogue:
    """One eID-Client stand-in page: which session and where to send the browser."""

    session_id: str
    refresh_address: str
    communication_error_address: str | None
    created: float


@dataclass
class Faults:
    """One-shot misbehaviour a person can switch on from the control page."""

    next_use_id: Outcome | None = None
    next_get_result: Outcome | None = None


@dataclass
class SimulatorState:
    clock: Clock
    session_ttl: int
    sessions: dict[str, Session] = field(default_factory=dict)
    dialogues: dict[str, Dialogue] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _expire(self) -> None:
        now = self.clock.now()
        for sid in [s.id for s in self.sessions.values() if now - s.created >= self.session_ttl]:
            del self.sessions[sid]
        for key in [k for k, d in self.dialogues.items() if now - d.created >= self.session_ttl]:
            del self.dialogues[key]

    def open_sessions(self) -> int:
        with self.lock:
            self._expire()
            return len(self.sessions)

    def create_session(self, request: UseIdRequest, psk: Psk | None) -> Session:
        with self.lock:
            self._expire()
            session = Session(
                id=secrets.token_hex(32).upper(),
                psk=psk or Psk(secrets.token_hex(16).upper(), secrets.token_hex(32).upper()),
                request=request,
                created=self.clock.now(),
            )
            self.sessions[session.id] = session
            return session

    def psk_in_use(self, psk_id: str) -> bool:
        with self.lock:
            self._expire()
            return any(s.psk.id == psk_id for s in self.sessions.values())

    def get(self, session_id: str) -> Session | None:
        with self.lock:
            self._expire()
            return self.sessions.get(session_id)

    def by_psk(self, psk_id: str) -> Session | None:
        with self.lock:
            self._expire()
            return next((s for s in self.sessions.values() if s.psk.id == psk_id), None)

    def drop(self, session_id: str) -> None:
        with self.lock:
            self.sessions.pop(session_id, None)

    def open_dialogue(self, dialogue: Dialogue) -> str:
        key = secrets.token_urlsafe(24)
        with self.lock:
            self._expire()
            self.dialogues[key] = dialogue
        return key

    def peek_dialogue(self, key: str) -> Dialogue | None:
        with self.lock:
            self._expire()
            return self.dialogues.get(key)

    def take_dialogue(self, key: str) -> Dialogue | None:
        with self.lock:
            self._expire()
            return self.dialogues.pop(key, None)
