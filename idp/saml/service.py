"""The SAML IdP's collaborators, built once per app: settings, clock, store, XML security with
the keys loaded once, the pysaml2 backend adapter."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from certs.xmlsig import KeySource, XmlSecurity
from core.clock import Clock
from core.settings import Settings
from core.store.base import KeyValueStore
from idp.saml import keys
from idp.saml.backend import InProcessBackend
from idp.saml.metacache import MetadataCache


class PublishingKeySource(KeySource, Protocol):
    def next_certificate(self, purpose: Hashable) -> bytes | None:
        """The certificate that will take over (published ahead in metadata), if any."""
        ...


@dataclass(frozen=True)
class SamlIdp:
    settings: Settings
    clock: Clock
    store: KeyValueStore
    key_source: PublishingKeySource
    xml: XmlSecurity
    backend: InProcessBackend
    metadata: MetadataCache

    @classmethod
    def build(
        cls, settings: Settings, clock: Clock, store: KeyValueStore, source: PublishingKeySource
    ) -> SamlIdp:
        xml = XmlSecurity(source)
        return cls(
            settings,
            clock,
            store,
            source,
            xml,
            InProcessBackend(xml, settings.saml_max_message_bytes),
            MetadataCache(),
        )

    @property
    def entity_id(self) -> str:
        return self.settings.saml_entity_id_url

    def published(self, purpose: str) -> list[bytes]:
        certs = [self.key_source.current_certificate(purpose)]
        upcoming = self.key_source.next_certificate(purpose)
        if upcoming and upcoming.strip() != certs[0].strip():
            certs.append(upcoming)
        return certs

    def signing_certificate(self) -> bytes:
        return self.xml.certificate(keys.SIGNING)


def idp() -> SamlIdp:
    return current_app.extensions["saml"]  # type: ignore[no-any-return]
