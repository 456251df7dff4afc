"""Who took part in an SSO session, as single logout needs to know (SAML Core §3.7.3.2).

Each Response we issue names a ``SessionIndex`` per SSO session and SP (a keyed hash, so it
reveals neither). Under that index the store keeps, for as long as an SSO session can live,
which SSO session, SP and citizen it stands for and the NameID the SP received: a LogoutRequest
is matched against it, and the LogoutRequests we send to the other SPs of the session repeat
exactly the NameID each of them knows.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass

from account.identity import SESSION_LIMITS
from core.store.base import KeyValueStore, dumps, loads

_KEY = "saml-participant:"
#: Longer than any SSO session lives (BSI TR-03160-1 limits in account.identity).
TTL = max(limits.absolute_seconds for limits in SESSION_LIMITS.values()) + 3600


@dataclass(frozen=True)
class Participation:
    session_id: str
    sp_id: str
    citizen_id: str
    name_id_format: str
    name_id: str


def session_index(secret: str, session_id: str, entity_id: str) -> str:
    """Per SP and SSO session; reveals neither (HMAC-SHA-256 under the app's secret)."""
    digest = hmac.new(secret.encode(), f"{session_id}|{entity_id}".encode(), hashlib.sha256)
    return "_" + digest.hexdigest()[:40]


def remember(store: KeyValueStore, index: str, participation: Participation) -> None:
    """Note (or renew) the participation; the newest NameID the SP received counts."""
    store.set(_KEY + index, dumps(asdict(participation)), TTL)


def recall(store: KeyValueStore, index: str) -> Participation | None:
    if not index or len(index) > 128:
        return None
    data = loads(store.get(_KEY + index))
    return Participation(**data) if isinstance(data, dict) else None
