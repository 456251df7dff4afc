"""SAML tables: the registered service providers and their pairwise persistent NameIDs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, new_id


class ServiceProvider(db.Model):  # type: ignore[name-defined,misc]
    """One SAML 2.0 service provider, registered from its metadata (SAML Metadata §2.4.4)."""

    __tablename__ = "saml_sp"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    entity_id: Mapped[str] = mapped_column(String(1024), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The SP's metadata document exactly as validated (pysaml2 loads it from here).
    metadata_xml: Mapped[str] = mapped_column(Text)
    #: Where the metadata came from (None for an upload); refreshed only by an administrator.
    metadata_url: Mapped[str | None] = mapped_column(String(1024))
    sign_response: Mapped[bool] = mapped_column(Boolean, default=True)
    sign_assertion: Mapped[bool] = mapped_column(Boolean, default=True)
    encrypt_assertion: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Refuse AuthnRequests and LogoutRequests that are not signed with the SP's key.
    require_signed_requests: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_idp_initiated: Mapped[bool] = mapped_column(Boolean, default=False)
    #: NameID formats the SP may receive: "persistent", "transient", "email".
    name_id_formats: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Internal attribute names (account.attributes) the SP may receive.
    release: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Minimum level of assurance ("low", "substantial", "high") that requests cannot lower.
    min_level: Mapped[str] = mapped_column(String(16), default="low")
    #: Roles (``clerk:<service>``) this SP may learn (attribute eduPersonEntitlement).
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def settings_dict(self) -> dict[str, Any]:
        return {
            "sign_response": self.sign_response,
            "sign_assertion": self.sign_assertion,
            "encrypt_assertion": self.encrypt_assertion,
            "require_signed_requests": self.require_signed_requests,
            "allow_idp_initiated": self.allow_idp_initiated,
            "name_id_formats": list(self.name_id_formats),
            "release": list(self.release),
            "min_level": self.min_level,
            "roles": list(self.roles),
        }


class PairwiseNameId(db.Model):  # type: ignore[name-defined,misc]
    """The persistent NameID of one citizen at one SP: random, stored, never derived from
    anything the SP could correlate (SAML Core §8.3.7)."""

    __tablename__ = "saml_name_id"
    __table_args__ = (UniqueConstraint("sp_id", "citizen_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sp_id: Mapped[str] = mapped_column(ForeignKey("saml_sp.id", ondelete="CASCADE"), index=True)
    citizen_id: Mapped[str] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def sp_by_entity_id(entity_id: str) -> ServiceProvider | None:
    return db.session.scalar(select(ServiceProvider).where(ServiceProvider.entity_id == entity_id))


def sp_by_id(sp_id: str) -> ServiceProvider | None:
    return db.session.get(ServiceProvider, sp_id)


def all_sps() -> list[ServiceProvider]:
    return list(db.session.scalars(select(ServiceProvider).order_by(ServiceProvider.name)))
