"""The SSO session, kept in the store; the browser holds only its random id.

Limits per level of assurance (BSI TR-03160-1, DESIGN.md): an absolute lifetime from the
login and an idle limit from the last request, both checked against the injected clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from account.identity import SESSION_LIMITS, Level, Method
from core.clock import Clock
from core.store.base import KeyValueStore, dumps, loads

_KEY = "sso:"
_INDEX = "sso-index:"
_INDEX_TTL = 13 * 3600


@dataclass
class SsoSession:
    id: str
    citizen_id: str
    methods: list[str]
    level: str
    auth_time: float
    created_at: float
    last_seen: float
    user_agent: str = ""
    client_address: str = ""
    #: Relying parties logged in through this session (filled by the protocol faces later).
    clients: list[str] = field(default_factory=list)

    @property
    def level_enum(self) -> Level:
        return Level(self.level)

    def expired(self, now: float) -> bool:
        limits = SESSION_LIMITS[self.level_enum]
        return (
            now - self.created_at >= limits.absolute_seconds
            or now - self.last_seen >= limits.idle_seconds
        )

    def store_ttl(self, now: float) -> int:
        limits = SESSION_LIMITS[self.level_enum]
        absolute_left = self.created_at + limits.absolute_seconds - now
        return max(1, int(min(absolute_left, limits.idle_seconds)) + 1)


class SsoSessions:
    def __init__(self, store: KeyValueStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        #: Called once for every session that ends (logout, expiry, revocation): the protocol
        #: faces tell the relying parties (back-channel logout).
        self.on_end: list[Callable[[SsoSession], None]] = []

    def start(
        self,
        citizen_id: str,
        methods: set[Method],
        level: Level,
        user_agent: str = "",
        client_address: str = "",
    ) -> SsoSession:
        now = self._clock.now()
        sso = SsoSession(
            id=secrets.token_urlsafe(32),
            citizen_id=citizen_id,
            methods=sorted(m.value for m in methods),
            level=level.value,
            auth_time=now,
            created_at=now,
            last_seen=now,
            user_agent=user_agent[:200],
            client_address=client_address,
        )
        self._save(sso, now)
        self._store.set_add(_INDEX + citizen_id, sso.id, _INDEX_TTL)
        return sso

    def _save(self, sso: SsoSession, now: float) -> None:
        self._store.set(_KEY + sso.id, dumps(asdict(sso)), sso.store_ttl(now))

    def _read(self, sid: str) -> SsoSession | None:
        data = loads(self._store.get(_KEY + sid))
        return SsoSession(**data) if isinstance(data, dict) else None

    def load(self, sid: str, touch: bool = True) -> SsoSession | None:
        """The live session, or None when missing or past a limit (then it is ended)."""
        sso = self._read(sid)
        if sso is None:
            return None
        now = self._clock.now()
        if sso.expired(now):
            self.end(sso)
            return None
        if touch:
            sso.last_seen = now
            self._save(sso, now)
        return sso

    def raise_level(self, sso: SsoSession, method: Method, level: Level) -> SsoSession:
        """A new authentication of the same citizen in this session (step-up with the ID
        card): the method is added, the level is the one just reached, and the limits of that
        level count from now (TR-03160-1: from the login). The id stays, so relying parties
        logged in through the session stay with it."""
        now = self._clock.now()
        sso.methods = sorted({*sso.methods, method.value})
        sso.level = level.value
        sso.auth_time = sso.created_at = sso.last_seen = now
        self._save(sso, now)
        return sso

    def end(self, sso: SsoSession) -> None:
        ended = self._store.delete(_KEY + sso.id)
        self._store.set_remove(_INDEX + sso.citizen_id, sso.id)
        if ended:  # of two concurrent ends, only the one that deleted it tells
            for listener in self.on_end:
                listener(sso)

    def add_client(self, sid: str, client_id: str) -> bool:
        """Note a relying party logged in through the session (for logout and the list)."""
        sso = self._read(sid)
        if sso is None:
            return False
        if client_id not in sso.clients:
            sso.clients.append(client_id)
            self._save(sso, self._clock.now())
        return True

    def end_by_id(self, citizen_id: str, sid: str) -> bool:
        """End one of the citizen's own sessions (never someone else's)."""
        sso = self._read(sid)
        if sso is None or sso.citizen_id != citizen_id:
            return False
        self.end(sso)
        return True

    def list_for(self, citizen_id: str) -> list[SsoSession]:
        now = self._clock.now()
        live = []
        for sid in self._store.set_members(_INDEX + citizen_id):
            sso = self._read(sid)
            if sso is None or sso.expired(now):
                self._store.set_remove(_INDEX + citizen_id, sid)
                continue
            live.append(sso)
        return sorted(live, key=lambda s: s.last_seen, reverse=True)

    def end_all(self, citizen_id: str, except_sid: str | None = None) -> int:
        ended = 0
        for sso in self.list_for(citizen_id):
            if sso.id != except_sid:
                self.end(sso)
                ended += 1
        return ended
