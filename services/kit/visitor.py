"""Who is logged in at the service: the hub's subject, level, attributes with provenance and
the roles the hub released to this service (kept in the server-side session)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from flask import session

Channel = Literal["citizen", "clerk"]
_KEY = "visitor"


@dataclass(frozen=True)
class Value:
    value: str
    #: Read from the ID card (OIDC verified_claims / SAML provenance "eid"): not editable.
    verified: bool


@dataclass(frozen=True)
class HubSession:
    """What a logout through the hub needs of this login."""

    #: OIDC ``sid`` (Front-/Back-Channel Logout §2/§3) or SAML SessionIndex.
    session: str = ""
    #: OIDC: the ID token, sent back as ``id_token_hint`` (RP-Initiated Logout 1.0 §2).
    id_token: str = ""
    #: SAML: the NameID's attributes as received (SAML Core §3.7.1 wants the NameID back).
    name_id_format: str = ""
    name_qualifier: str = ""
    sp_name_qualifier: str = ""


@dataclass(frozen=True)
class Visitor:
    subject: str
    level: str
    channel: Channel
    values: dict[str, Value] = field(default_factory=dict)
    roles: tuple[str, ...] = ()
    hub: HubSession = field(default_factory=HubSession)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Visitor:
        values = {k: Value(**v) for k, v in data.get("values", {}).items()}
        raw = data.get("hub")
        hub: dict[str, Any] = raw if isinstance(raw, dict) else {}
        known = HubSession.__dataclass_fields__
        return cls(
            subject=data["subject"],
            level=data["level"],
            channel=data["channel"],
            values=values,
            roles=tuple(data.get("roles", ())),
            hub=HubSession(**{k: str(v) for k, v in hub.items() if k in known}),
        )


def key(channel: str) -> str:
    """The session key of a channel's visitor."""
    return f"{_KEY}:{channel}"


def current(channel: Channel) -> Visitor | None:
    data = session.get(key(channel))
    return Visitor.from_dict(data) if isinstance(data, dict) else None


def remember(visitor: Visitor) -> None:
    session[key(visitor.channel)] = visitor.to_dict()


def forget(channel: Channel) -> None:
    session.pop(key(channel), None)
