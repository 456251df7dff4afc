"""The SP registry: register an SP from validated metadata, change its settings, disable,
remove. Every change is audited in the same transaction; a refused change writes nothing."""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from account.attributes import BY_NAME
from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db
from idp.saml import spmeta
from idp.saml.metacache import MetadataCache
from idp.saml.models import ServiceProvider, sp_by_entity_id
from idp.saml.spmeta import MetadataRefused, SpMetadata

NAME_ID_FORMATS = ("persistent", "transient", "email")
LEVELS = ("low", "substantial", "high")
FETCH_TIMEOUT_SECONDS = 10
ROLE_RE = re.compile(r"^clerk:[a-z0-9][a-z0-9-]{0,55}$")


@dataclass(frozen=True)
class SpSettings:
    """What an administrator decides for an SP (the metadata say the rest)."""

    sign_response: bool = True
    sign_assertion: bool = True
    encrypt_assertion: bool = False
    require_signed_requests: bool = True
    allow_idp_initiated: bool = False
    name_id_formats: tuple[str, ...] = ("persistent", "transient")
    release: tuple[str, ...] = ()
    min_level: str = "low"
    #: Roles the SP may learn (only ``clerk:<service>``), see idp/oidc/roles.py.
    roles: tuple[str, ...] = ()

    def problems(self, metadata: SpMetadata) -> list[str]:
        return [message for _, message in self.field_problems(metadata)]

    def field_problems(self, metadata: SpMetadata) -> list[tuple[str, str]]:
        """(setting, message) for everything that is wrong (the admin page ties each message
        to its field)."""
        out = []
        unknown = [
            a
            for a in self.release
            if a != "subject" and (a not in BY_NAME or BY_NAME[a].saml_name is None)
        ]
        if unknown:
            out.append(("release", str(_l("Unbekannte Attribute: %(a)s", a=", ".join(unknown)))))
        bad_formats = [f for f in self.name_id_formats if f not in NAME_ID_FORMATS]
        if bad_formats or not self.name_id_formats:
            message = _l("NameID-Formate: persistent, transient und/oder email.")
            out.append(("name_id_formats", str(message)))
        if not all(ROLE_RE.match(r) for r in self.roles):
            out.append(("roles", str(_l("Rollen: nur clerk:<dienst>."))))
        if self.min_level not in LEVELS:
            out.append(("min_level", str(_l("Mindestniveau: low, substantial oder high."))))
        if self.encrypt_assertion and not metadata.encryption_certs:
            message = _l("Verschlüsselung verlangt ein Zertifikat des SP in den Metadaten.")
            out.append(("encrypt_assertion", str(message)))
        if self.require_signed_requests and not metadata.signing_certs:
            message = _l("Signierte Anfragen verlangen ein Signaturzertifikat des SP.")
            out.append(("require_signed_requests", str(message)))
        if not (self.sign_response or self.sign_assertion):
            out.append(("sign_response", str(_l("Antwort oder Assertion muss signiert sein."))))
        return out


class RegistryRefused(ValueError):  # noqa: N818
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def _now() -> float:
    now: float = current_app.extensions["clock"].now()
    return now


def _require_https() -> bool:
    return bool(current_app.extensions["settings"].is_production)


def read_metadata(data: bytes | str) -> SpMetadata:
    return spmeta.parse(
        data, require_https=_require_https(), now=datetime.fromtimestamp(_now(), UTC)
    )


def fetch_metadata(url: str) -> bytes:
    """Download metadata from ``url`` (https; http only outside production), size-capped."""
    parts = urlsplit(url)
    allowed = {"https"} if _require_https() else {"https", "http"}
    if parts.scheme not in allowed or not parts.netloc:
        raise MetadataRefused(_l("Nur https-Adressen sind für Metadaten erlaubt."))
    request = urllib.request.Request(url, headers={"Accept": "application/samlmetadata+xml"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as answer:  # noqa: S310
            body: bytes = answer.read(spmeta.MAX_METADATA_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise MetadataRefused(
            _l("Die Metadaten konnten nicht geladen werden: %(e)s", e=type(exc).__name__)
        ) from None
    if len(body) > spmeta.MAX_METADATA_BYTES:
        raise MetadataRefused(_l("Die Metadaten sind zu groß."))
    return body


def register(
    metadata: SpMetadata,
    settings: SpSettings,
    *,
    name: str | None = None,
    metadata_url: str | None = None,
    actor_id: str | None = None,
) -> ServiceProvider:
    problems = settings.problems(metadata)
    if sp_by_entity_id(metadata.entity_id) is not None:
        problems.append(str(_l("Diese entityID ist schon registriert.")))
    if problems:
        raise RegistryRefused(problems)
    now = to_datetime(_now())
    sp = ServiceProvider(
        entity_id=metadata.entity_id,
        name=(name or metadata.display_name)[:200],
        enabled=True,
        metadata_xml=metadata.xml,
        metadata_url=metadata_url,
        created_at=now,
        updated_at=now,
    )
    _apply(sp, settings)
    db.session.add(sp)
    audit.record(
        AuditEvent.SAML_SP_REGISTERED, now=_now(), actor_id=actor_id, sp=metadata.entity_id
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise RegistryRefused([str(_l("Diese entityID ist schon registriert."))]) from None
    return sp


def _apply(sp: ServiceProvider, settings: SpSettings) -> None:
    sp.sign_response = settings.sign_response
    sp.sign_assertion = settings.sign_assertion
    sp.encrypt_assertion = settings.encrypt_assertion
    sp.require_signed_requests = settings.require_signed_requests
    sp.allow_idp_initiated = settings.allow_idp_initiated
    sp.name_id_formats = list(dict.fromkeys(settings.name_id_formats))
    sp.release = list(dict.fromkeys(settings.release))
    sp.min_level = settings.min_level
    sp.roles = list(dict.fromkeys(settings.roles))


def settings_of(sp: ServiceProvider) -> SpSettings:
    return SpSettings(
        sign_response=sp.sign_response,
        sign_assertion=sp.sign_assertion,
        encrypt_assertion=sp.encrypt_assertion,
        require_signed_requests=sp.require_signed_requests,
        allow_idp_initiated=sp.allow_idp_initiated,
        name_id_formats=tuple(sp.name_id_formats),
        release=tuple(sp.release),
        min_level=sp.min_level,
        roles=tuple(sp.roles),
    )


def metadata_of(sp: ServiceProvider) -> SpMetadata:
    """The stored metadata (validated when stored), parsed once per process and document
    (:mod:`idp.saml.metacache`); :class:`MetadataRefused` once it has expired."""
    xml = sp.metadata_xml
    found = _cache().get(xml, lambda: read_metadata(xml))
    if found.expired(datetime.fromtimestamp(_now(), UTC)):
        raise MetadataRefused(_l("Die Metadaten des Dienstes sind abgelaufen."))
    return found


def _cache() -> MetadataCache:
    cache: MetadataCache = current_app.extensions["saml"].metadata
    return cache


def change(
    sp: ServiceProvider,
    settings: SpSettings,
    *,
    metadata: SpMetadata | None = None,
    name: str | None = None,
    actor_id: str | None = None,
) -> None:
    """New settings (and optionally new metadata for the same entityID)."""
    current = metadata or metadata_of(sp)
    problems = settings.problems(current)
    if metadata is not None and metadata.entity_id != sp.entity_id:
        problems.append(str(_l("Die neuen Metadaten gehören zu einer anderen entityID.")))
    if problems:
        raise RegistryRefused(problems)
    _apply(sp, settings)
    if metadata is not None:
        _cache().forget(sp.metadata_xml)
        sp.metadata_xml = metadata.xml
    if name:
        sp.name = name[:200]
    sp.updated_at = to_datetime(_now())
    audit.record(AuditEvent.SAML_SP_CHANGED, now=_now(), actor_id=actor_id, sp=sp.entity_id)
    db.session.commit()


def set_enabled(sp: ServiceProvider, enabled: bool, *, actor_id: str | None = None) -> None:
    sp.enabled = enabled
    sp.updated_at = to_datetime(_now())
    event = AuditEvent.SAML_SP_ENABLED if enabled else AuditEvent.SAML_SP_DISABLED
    audit.record(event, now=_now(), actor_id=actor_id, sp=sp.entity_id)
    db.session.commit()


def remove(sp: ServiceProvider, *, actor_id: str | None = None) -> None:
    """Remove the SP and its pairwise NameIDs (a re-registered SP gets new pseudonyms)."""
    audit.record(AuditEvent.SAML_SP_REMOVED, now=_now(), actor_id=actor_id, sp=sp.entity_id)
    _cache().forget(sp.metadata_xml)
    db.session.delete(sp)
    db.session.commit()


def name_of(entity_id: str) -> str | None:
    sp = sp_by_entity_id(entity_id)
    return sp.name if sp is not None else None
