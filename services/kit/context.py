"""The app's collaborators, as the views need them."""

from __future__ import annotations

from typing import Any

from flask import current_app

from services.kit.config import ServiceConfig
from services.kit.definition import Service
from services.kit.payment.base import Provider
from services.kit.quota import Quota
from services.kit.sender import StatusSender


def service() -> Service:
    value: Service = current_app.extensions["kit_service"]
    return value


def config() -> ServiceConfig:
    value: ServiceConfig = current_app.extensions["kit_config"]
    return value


def fees() -> dict[str, int]:
    value: dict[str, int] = current_app.extensions["kit_fees"]
    return value


def quota() -> Quota | None:
    """The service's yearly free quota (definition + fees.toml), or None."""
    value: Quota | None = current_app.extensions["kit_quota"]
    return value


def providers() -> dict[str, Provider]:
    value: dict[str, Provider] = current_app.extensions["kit_providers"]
    return value


def sender() -> StatusSender:
    value: StatusSender = current_app.extensions["kit_sender"]
    return value


def oauth() -> Any:
    return current_app.extensions["kit_oauth"]
