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
class Visitor:
    subject: str
    level: str
    channel: Channel
    values: dict[str, Value] = field(default_factory=dict)
    roles: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Visitor:
        values = {k: Value(**v) for k, v in data.get("values", {}).items()}
        return cls(
            subject=data["subject"],
            level=data["level"],
            channel=data["channel"],
            values=values,
            roles=tuple(data.get("roles", ())),
        )


def current(channel: Channel) -> Visitor | None:
    data = session.get(f"{_KEY}:{channel}")
    return Visitor.from_dict(data) if isinstance(data, dict) else None


def remember(visitor: Visitor) -> None:
    session[f"{_KEY}:{visitor.channel}"] = visitor.to_dict()


def forget(channel: Channel) -> None:
    session.pop(f"{_KEY}:{channel}", None)
