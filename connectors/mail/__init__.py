"""Outgoing mail: SMTP in production, a folder of .eml files (the outbox) in development."""

from __future__ import annotations

from connectors.mail.background import BackgroundMailer
from connectors.mail.base import Mailer, Message
from connectors.mail.outbox import OutboxMailer
from connectors.mail.smtp import SmtpMailer

__all__ = ["BackgroundMailer", "Mailer", "Message", "OutboxMailer", "SmtpMailer"]
