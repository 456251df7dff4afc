"""Demo data for development: one citizen and one administrator (credentials in the README)."""

from __future__ import annotations

from account.attributes import Provenance
from account.models import Citizen, CitizenRole, ProfileValue, citizen_by_email
from account.services import services
from core.clock import to_datetime
from core.db import db

DEMO_CITIZEN = ("erika@example.org", "Demo-Buergerin-2026")
DEMO_ADMIN = ("admin@example.org", "Demo-Verwaltung-2026")

_PROFILE = {
    "given_names": "Erika",
    "family_names": "Mustermann",
    "date_of_birth": "1964-08-12",
    "street_address": "Heidestraße 17",
    "postal_code": "51147",
    "locality": "Köln",
    "country": "D",
}


def create_demo_data() -> list[str]:
    """Create what is missing; returns the e-mail addresses created."""
    created = []
    for (email, password), roles, data in (
        (DEMO_CITIZEN, [], _PROFILE),
        (DEMO_ADMIN, ["admin"], {"given_names": "Anton", "family_names": "Admin"}),
    ):
        if citizen_by_email(email) is None:
            _create(email, password, roles, data)
            created.append(email)
    db.session.commit()
    return created


def ensure_demo_account(email: str, password: str, roles: list[str], data: dict[str, str]) -> bool:
    """A demo account with these roles (development only: devrun's clerks); True if created.
    An existing account gets missing roles added and keeps everything else."""
    citizen = citizen_by_email(email)
    if citizen is None:
        _create(email, password, roles, data)
        db.session.commit()
        return True
    for role in set(roles) - citizen.role_names:
        citizen.roles.append(CitizenRole(role=role))
    db.session.commit()
    return False


def _create(email: str, password: str, roles: list[str], data: dict[str, str]) -> None:
    s = services()
    now = to_datetime(s.clock.now())
    citizen = Citizen(
        email=email,
        password_hash=s.hashing.hash(password),
        created_at=now,
        email_verified_at=now,
        preferred_locale="de",
    )
    citizen.roles = [CitizenRole(role=r) for r in roles]
    citizen.profile_values = [
        ProfileValue(attribute=k, value=v, provenance=Provenance.SELF.value, updated_at=now)
        for k, v in data.items()
    ]
    db.session.add(citizen)
