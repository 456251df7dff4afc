"""``flask accounts …``: demo data, roles and the support desk's commands, for operators."""

from __future__ import annotations

import getpass

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from account import api
from account.demo import create_demo_data
from account.emails import normalise
from account.models import Citizen, CitizenRole, citizen_by_email
from account.services import services
from account.totp import support
from connectors.mail import BackgroundMailer
from core import audit
from core.audit import AuditEvent
from core.db import db


@click.group(cls=AppGroup)
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


def _operator() -> str:
    """How the change came in, for the audit log: the command line and the OS user."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli:unknown"


def _account(email: str) -> Citizen:
    citizen = citizen_by_email(normalise(email) or "")
    if citizen is None:
        raise click.ClickException(f"no account {email} (nothing changed)")
    return citizen


def _describe(citizen: Citizen) -> str:
    assert citizen.totp is not None
    cards = len(citizen.eid_links)
    return (
        f"account {citizen.email}: registered {citizen.created_at:%Y-%m-%d}, "
        f"second factor on since {citizen.totp.enabled_at:%Y-%m-%d}, "
        f"{cards} ID card(s) linked"
    )


def _finish_deliveries() -> None:
    """The notice mail and the relying parties' logout tokens leave before the process ends."""
    api.finish_background_work()
    mailer = services().mailer
    if isinstance(mailer, BackgroundMailer):
        mailer.flush()


@accounts.command("second-factor-off")
@click.argument("email")
@click.option(
    "--reason",
    required=True,
    help="Who asked and how their identity was checked (kept in the audit log).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def second_factor_off(email: str, reason: str, yes: bool) -> None:
    """Switch the second factor of EMAIL off (lost phone and recovery codes), after checking
    the citizen's identity out of band: ends every session and mails the citizen."""
    try:
        cleaned = support.clean_reason(reason)
    except support.ReasonRefusedError as exc:
        raise click.ClickException(f"{exc} (nothing changed)") from None
    citizen = _account(email)
    if citizen.totp is None:
        raise click.ClickException(f"{citizen.email} has no second factor on (nothing changed)")
    click.echo(_describe(citizen))
    if not yes:
        click.confirm("Switch the second factor off?", abort=True)
    with current_app.test_request_context():  # the notice mail links to the hub's pages
        done = support.switch_off(citizen, cleaned, _operator())
        if done is None:
            raise click.ClickException(f"{citizen.email} has no second factor on (nothing changed)")
        _finish_deliveries()
    click.echo(
        f"second factor of {citizen.email} switched off; "
        f"{done.sessions_ended} session(s) ended; notice mailed"
    )
