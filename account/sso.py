"""The SSO session, kept in the store; the browser holds only its random id.

Limits per level of assurance (BSI TR-03160-1, DESIGN.md): an absolute lifetime from the
login and an idle limit from the last request, both checked against the injected clock.

The relying parties logged in through a session are a store set of their own
(``sso-clients:<id>``), not part of the session record: two services logging in through one
session at the same moment both get in (``SADD``), and no touch of the session can write an
older list back over a newer one. The set lives as long as the session can (its absolute
limit) and is deleted with it.
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
_CLIENTS = "sso-clients:"


#: Changing how one logs in (a second factor, linking an ID card) needs a login this recent.
FRESH_SECONDS = 10 * 60


def is_fresh(sso: SsoSession, now: float) -> bool:
    """The session's last authentication was at most :data:`FRESH_SECONDS` ago."""
    return now - sso.auth_time <= FRESH_SECONDS


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
    #: Relying parties logged in through this session. Not stored in the session record but
    #: in a set of its own (:meth:`SsoSessions.add_client`); filled in by
    #: :meth:`SsoSessions.list_for` and :meth:`SsoSessions.end`, empty after ``load``.
    clients: tuple[str, ...] = field(default=(), compare=False)

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

    def lifetime_left(self, now: float) -> int:
        """Whole seconds until the absolute limit: the longest the session can still live."""
        limits = SESSION_LIMITS[self.level_enum]
        return max(1, int(self.created_at + limits.absolute_seconds - now) + 1)


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
        self._save(sso, now, new=True)
        self._store.set_add(_INDEX + citizen_id, sso.id, _INDEX_TTL)
        return sso

    def _save(self, sso: SsoSession, now: float, *, new: bool = False) -> bool:
        """Write the record; an existing session only while it still exists (``SET XX``), so a
        request that read it just before a logout cannot bring the ended session back."""
        record = asdict(sso)
        del record["clients"]
        key, value, ttl = _KEY + sso.id, dumps(record), sso.store_ttl(now)
        if new:
            self._store.set(key, value, ttl)
        elif not self._store.replace(key, value, ttl):
            return False
        if sso.created_at >= now:  # the absolute limit (re)starts now: the set follows it
            self._keep_clients(sso.id, sso.lifetime_left(now))
        return True

    def _keep_clients(self, sid: str, ttl: int) -> None:
        """Restart the TTL of the session's client set (re-adding a member does that)."""
        members = self._store.set_members(_CLIENTS + sid)
        if members:
            self._store.set_add(_CLIENTS + sid, min(members), ttl)

    def _read(self, sid: str) -> SsoSession | None:
        data = loads(self._store.get(_KEY + sid))
        if not isinstance(data, dict):
            return None
        legacy = data.pop("clients", None)  # a record from before the client set
        sso = SsoSession(**data)
        for client_id in legacy or ():
            self._store.set_add(
                _CLIENTS + sid, str(client_id), sso.lifetime_left(self._clock.now())
            )
        return sso

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
            if not self._save(sso, now):
                return None  # ended between the read and the touch
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

    def end(self, sso: SsoSession) -> tuple[str, ...] | None:
        """End the session; its relying parties, or None when another end was first."""
        ended = self._store.delete(_KEY + sso.id)
        self._store.set_remove(_INDEX + sso.citizen_id, sso.id)
        if not ended:  # of two concurrent ends, only the one that deleted it tells
            return None
        sso.clients = self.clients_of(sso.id)
        self._store.delete(_CLIENTS + sso.id)
        for listener in self.on_end:
            listener(sso)
        return sso.clients

    def add_client(self, sid: str, client_id: str) -> bool:
        """Note a relying party logged in through the session (for logout and the list).

        One atomic ``SADD``: concurrent logins through the same session all stay recorded.
        Checked again afterwards: if the session ended meanwhile (its end may have read the
        set before this add), the entry is taken back and False returned.
        """
        sso = self._read(sid)
        if sso is None or sso.expired(self._clock.now()):
            return False
        ttl = sso.lifetime_left(self._clock.now())
        self._store.set_add(_CLIENTS + sid, client_id, ttl)
        after = self._read(sid)
        if after is None:
            self._store.set_remove(_CLIENTS + sid, client_id)
            return False
        longer = after.lifetime_left(self._clock.now())
        if longer > ttl:  # the session was prolonged (step-up) while this add read it
            self._store.set_add(_CLIENTS + sid, client_id, longer)
        return True

    def clients_of(self, sid: str) -> tuple[str, ...]:
        """The relying parties logged in through session ``sid`` (sorted ids)."""
        return tuple(sorted(self._store.set_members(_CLIENTS + sid)))

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
            sso.clients = self.clients_of(sid)
            live.append(sso)
        return sorted(live, key=lambda s: s.last_seen, reverse=True)

    def end_all(self, citizen_id: str, except_sid: str | None = None) -> int:
        ended = 0
        for sso in self.list_for(citizen_id):
            if sso.id != except_sid:
                self.end(sso)
                ended += 1
        return ended
