"""``flask accounts …``: demo data and roles, for operators."""

from __future__ import annotations

import click
from sqlalchemy.exc import IntegrityError

from account.demo import create_demo_data
from account.emails import normalise
from account.models import CitizenRole, citizen_by_email
from account.services import services
from core import audit
from core.audit import AuditEvent
from core.db import db


@click.group()
def accounts() -> None:
    """Bürgerkonto administration."""


@accounts.command("demo-data")
def demo_data() -> None:
    """Create the demo citizen and administrator (development only)."""
    if services().settings.is_production:
        raise click.ClickException("demo data are refused in production")
    created = create_demo_data()
    click.echo("demo accounts created: " + (", ".join(created) or "none (already there)"))


@accounts.command("grant")
@click.argument("email")
@click.argument("role")
def grant(email: str, role: str) -> None:
    """Give the account EMAIL the ROLE (admin, clerk:<service>)."""
    if role != "admin" and not role.startswith("clerk:"):
        raise click.ClickException("role must be 'admin' or 'clerk:<service>'")
    citizen = citizen_by_email(normalise(email) or "")
    if citizen is None:
        raise click.ClickException(f"no account {email}")
    if role in citizen.role_names:
        click.echo("already granted")
        return
    citizen.roles.append(CitizenRole(role=role))
    audit.record(
        AuditEvent.ROLE_GRANTED, now=services().clock.now(), citizen_id=citizen.id, role=role
    )
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise click.ClickException("already granted") from exc
    click.echo(f"granted {role} to {email}")
