"""Tables of the OpenID Connect provider: relying parties, consents, refresh tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, new_id


class OidcClient(db.Model):  # type: ignore[name-defined,misc]
    """A registered relying party (OIDC Dynamic Client Registration 1.0 §2 metadata names)."""

    __tablename__ = "oidc_client"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: client_secret_basic, client_secret_post, private_key_jwt or none (public client).
    auth_method: Mapped[str] = mapped_column(String(32))
    #: Keyed hash (HMAC-SHA-256) of the secret; the secret itself is shown once and never kept.
    secret_hash: Mapped[str | None] = mapped_column(String(128))
    #: Public keys for private_key_jwt (a JWK Set).
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    #: Scopes the client may ask for (openid always), and the attributes it may receive.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    release: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Minimum level of assurance (low, substantial, high); requests cannot lower it.
    min_level: Mapped[str] = mapped_column(String(16), default="low")
    #: "required": the citizen is asked; "skip": first-party app of the city (admin setting).
    consent: Mapped[str] = mapped_column(String(16), default="required")
    id_token_alg: Mapped[str] = mapped_column(String(8), default="RS256")
    #: Pairwise subjects are derived per sector (OIDC Core §8.1); default: the client id.
    sector_identifier: Mapped[str] = mapped_column(String(255))
    #: Scopes of the client_credentials grant (RFC 6749 §4.4) for the hub's APIs, e.g.
    #: ``status:write`` (the status inbox); empty: the client may not use that grant.
    api_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Roles (``clerk:<service>``) this client may learn in the ``roles`` claim.
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: A SAML service's API client: the SP whose persistent NameIDs it uses as subjects.
    saml_entity_id: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def is_public(self) -> bool:
        return self.auth_method == "none"


class OidcConsent(db.Model):  # type: ignore[name-defined,misc]
    """What a citizen allowed one relying party: scopes and claims (attribute names)."""

    __tablename__ = "oidc_consent"
    __table_args__ = (UniqueConstraint("citizen_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    citizen_id: Mapped[str] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(ForeignKey("oidc_client.client_id", ondelete="CASCADE"))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    claims: Mapped[list[str]] = mapped_column(JSON, default=list)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OidcRefreshToken(db.Model):  # type: ignore[name-defined,misc]
    """One refresh token of a family; rotation marks it used and adds the next one."""

    __tablename__ = "oidc_refresh_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oidc_client.client_id", ondelete="CASCADE"), index=True
    )
    citizen_id: Mapped[str] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    #: The SSO session it came from: its logout revokes the family.
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The grant: scope, claims, auth_time, acr, amr (what a refreshed token may say).
    grant: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Absolute end of the family (copied on rotation, never extended).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
