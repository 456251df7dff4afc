"""What the protocol faces (``idp/``) may know of the Bürgerkonto: a small, typed surface.

The protocol faces get an :class:`~account.identity.Identity` built from the SSO session and the
profile, a login URL, and a few operations on SSO sessions; nothing else of ``account``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, g, url_for

from account.identity import AttributeValue, Identity, Level, Method
from account.models import Citizen, citizen_by_email, citizen_by_id
from account.profile import values
from account.services import services
from account.sso import SsoSession
from account.totp import flows as totp_flows
from account.totp.check import level_with_code
from core import audit
from core.audit import AuditEvent
from core.db import db
from core.web.session import regenerate_session

ClientNames = Callable[[str], str]
#: What a protocol face keeps of a citizen, for the JSON export: citizen id -> JSON-able data.
ExportSection = Callable[[str], Any]
_EXPORT_SECTIONS = "account_export_sections"
#: The export's own top-level members (account/lifecycle.py), which no section may take.
EXPORT_OWN = frozenset(
    {"format", "account", "profile", "id_cards", "second_factor", "sessions", "activity"}
)
_CONTINUATIONS = "account_logout_continuations"
_BACKGROUND = "account_background_work"


@dataclass(frozen=True)
class EndedSession:
    session_id: str
    citizen_id: str
    clients: tuple[str, ...]


def _identity(sso: SsoSession, citizen: Citizen) -> Identity:
    return Identity(
        citizen_id=citizen.id,
        methods=frozenset(Method(m) for m in sso.methods),
        auth_time=sso.auth_time,
        level=Level(sso.level),
        session_id=sso.id,
        attributes=values(citizen),
    )


def current_identity() -> Identity | None:
    """Who is logged in in this browser, as the protocol faces see it (None: nobody)."""
    sso: SsoSession | None = g.get("sso")
    citizen: Citizen | None = g.get("citizen")
    if sso is None or citizen is None:
        return None
    return _identity(sso, citizen)


def login_url(
    next_path: str, force: bool = False, login_hint: str | None = None, locale: str | None = None
) -> str:
    """The login page, coming back to the local path ``next_path`` afterwards."""
    params = {"next": next_path}
    if force:
        params["erneut"] = "1"
    if login_hint:
        params["login_hint"] = login_hint[:320]
    if locale:
        params["lang"] = locale
    return url_for("account.login") + "?" + urlencode(params)


def card_login_url(
    next_path: str, cancel_path: str | None = None, locale: str | None = None
) -> str | None:
    """The login with the Online-Ausweis (for a logged-in citizen: the step-up of this session
    with a card of the same account), coming back to the local path ``next_path``; the page
    offers ``cancel_path`` to go back to the relying party. None when the Online-Ausweis is
    off. A card login reaches level high, or the lower level the eID document reached."""
    if "eid" not in current_app.extensions:
        return None
    params = {"next": next_path}
    if cancel_path:
        params["abbrechen"] = cancel_path
    if locale:
        params["lang"] = locale
    return url_for("account.eid_start") + "?" + urlencode(params)


def card_tried_since(identity: Identity, since: float) -> bool:
    """Whether the session's latest login, at or after ``since``, was one with the ID card (a
    step-up that still falls short must not ask for the card again and again)."""
    return Method.EID in identity.methods and identity.auth_time >= since


def step_up_url(
    identity: Identity,
    needed: Level,
    since: float,
    next_path: str,
    cancel_path: str | None = None,
    locale: str | None = None,
) -> str | None:
    """Where the logged-in citizen raises this session to ``needed``, coming back to the local
    path ``next_path``; the page offers ``cancel_path`` to go back to the relying party.

    The code from the authenticator app when it gets this account there (password session,
    second factor enrolled, identity verified with the Online-Ausweis: substantial, see
    docs/TOTP.md), otherwise the Online-Ausweis (:func:`card_login_url`). None when neither is
    left: each way is offered once per request (since ``since``), so a step-up that still falls
    short ends on the relying party's "level not reached" page, never in a loop.
    """
    citizen = citizen_by_id(identity.citizen_id)
    sso: SsoSession | None = g.get("sso")
    if citizen is not None and sso is not None and sso.id == identity.session_id:
        code_tried = Method.TOTP in identity.methods and identity.auth_time >= since
        reaches = totp_flows.raises(citizen, sso) and level_with_code(citizen).at_least(needed)
        if reaches and not code_tried:
            return _code_step_up_url(next_path, cancel_path, locale)
    if card_tried_since(identity, since):
        return None
    return card_login_url(next_path, cancel_path, locale)


def _code_step_up_url(next_path: str, cancel_path: str | None, locale: str | None) -> str:
    params = {"next": next_path}
    if cancel_path:
        params["abbrechen"] = cancel_path
    if locale:
        params["lang"] = locale
    return url_for("account.totp_step_up") + "?" + urlencode(params)


def attributes_of(citizen_id: str) -> dict[str, AttributeValue] | None:
    """The citizen's current attributes with provenance; None when the account is gone."""
    citizen = citizen_by_id(citizen_id)
    return values(citizen) if citizen is not None else None


def citizen_exists(citizen_id: str) -> bool:
    return citizen_by_id(citizen_id) is not None


def roles_of(citizen_id: str) -> frozenset[str]:
    """The citizen's roles (``admin``, ``clerk:<service>``); empty when the account is gone."""
    citizen = citizen_by_id(citizen_id)
    return citizen.role_names if citizen is not None else frozenset()


@dataclass(frozen=True)
class Contact:
    email: str
    locale: str


def contact_of(citizen_id: str) -> Contact | None:
    """Where and in which language to write to the citizen (verified accounts only)."""
    citizen = citizen_by_id(citizen_id)
    if citizen is None or not citizen.is_verified:
        return None
    return Contact(citizen.email, citizen.preferred_locale)


def citizen_id_for_email(email: str) -> str | None:
    """The citizen whose (verified or not) account has this e-mail address, if any."""
    citizen = citizen_by_email(email.strip().lower())
    return citizen.id if citizen is not None else None


def sessions_of(citizen_id: str) -> list[str]:
    """Ids of the citizen's live SSO sessions (single logout picks among them)."""
    return [sso.id for sso in services().sessions.list_for(citizen_id)]


def session_is_live(session_id: str) -> bool:
    return services().sessions.load(session_id, touch=False) is not None


def record_client(session_id: str, client_id: str) -> bool:
    """Note that the relying party ``client_id`` logged in through the SSO session."""
    return services().sessions.add_client(session_id, client_id)


def end_session(session_id: str, client_address: str) -> EndedSession | None:
    """End the SSO session ``session_id`` (and this browser's login if it is this one)."""
    s = services()
    sso = s.sessions.load(session_id, touch=False)
    if sso is None:
        return None
    s.sessions.end(sso)
    audit.record(
        AuditEvent.LOGOUT,
        now=s.clock.now(),
        citizen_id=sso.citizen_id,
        client_address=client_address,
    )
    db.session.commit()
    current: SsoSession | None = g.get("sso")
    if current is not None and current.id == sso.id:
        regenerate_session(keep=False)
        g.sso, g.citizen = None, None
    return EndedSession(sso.id, sso.citizen_id, tuple(sso.clients))


def on_session_end(app: Flask, listener: Callable[[EndedSession], None]) -> None:
    """Call ``listener`` once for every SSO session that ends, however it ends."""

    def translated(sso: SsoSession) -> None:
        listener(EndedSession(sso.id, sso.citizen_id, tuple(sso.clients)))

    app.extensions["account"].sessions.on_end.append(translated)


def on_background_work(app: Flask, wait: Callable[[], object]) -> None:
    """Register how to wait for a face's deliveries off the request thread (e.g. OIDC
    back-channel logout tokens of the sessions that end): a command-line process that ends
    sessions calls :func:`finish_background_work` before it exits, so they are not lost."""
    app.extensions.setdefault(_BACKGROUND, []).append(wait)


def finish_background_work() -> None:
    """Wait for what every registered face still delivers in the background."""
    for wait in current_app.extensions.get(_BACKGROUND, []):
        wait()


#: A protocol face's front-channel logout: given an SSO session just ended in this browser and
#: the URL that logout lands on, where to send the browser first (to end with ``landing``), or
#: None when the face has nobody to tell.
LogoutContinuation = Callable[[EndedSession, str], str | None]


def on_front_channel_logout(app: Flask, continuation: LogoutContinuation) -> None:
    """Register a face's front-channel logout (e.g. SAML: the session's SPs in turn)."""
    app.extensions.setdefault(_CONTINUATIONS, []).append(continuation)


def front_channel_logout(ended: EndedSession, landing: str) -> str | None:
    """Where to send the browser in which ``ended`` was just ended: through each registered
    face's front-channel logout, each handing on to the next, at last to ``landing`` (a URL the
    caller validated). None: no face needs the browser, go to ``landing`` as before."""
    onward: str | None = None
    continuations: list[LogoutContinuation] = current_app.extensions.get(_CONTINUATIONS, [])
    for continuation in reversed(continuations):
        onward = continuation(ended, onward or landing) or onward
    return onward


def register_client_names(app: Flask, names: ClientNames) -> None:
    """How the session list shows a relying party (its registered name)."""
    app.extensions["account_client_names"] = names


def client_name(client_id: str) -> str:
    names: ClientNames | None = current_app.extensions.get("account_client_names")
    return names(client_id) if names else client_id


def register_export_section(app: Flask, name: str, section: ExportSection) -> None:
    """Add what the protocol face keeps of a citizen to the citizen's JSON export (Art. 15/20
    GDPR), under ``name``: ``account`` cannot look into ``idp``, so ``idp`` says it here."""
    sections: dict[str, ExportSection] = app.extensions.setdefault(_EXPORT_SECTIONS, {})
    if name in sections or name in EXPORT_OWN:
        raise ValueError(f"export section {name!r} taken")
    sections[name] = section


def export_sections(citizen_id: str) -> dict[str, Any]:
    """Every registered section's data for the citizen, by name."""
    sections: dict[str, ExportSection] = current_app.extensions.get(_EXPORT_SECTIONS, {})
    return {name: sections[name](citizen_id) for name in sorted(sections)}
