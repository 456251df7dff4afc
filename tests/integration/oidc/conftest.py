"""Fixtures for the OpenID Connect tests (every one runs on both storage backends)."""

from __future__ import annotations

import pytest
from flask import Flask

from core.clock import FrozenClock
from tests.helpers import Browser, Citizen, Portal
from tests.integration.oidc.support import Rp, register


@pytest.fixture
def rp(app: Flask) -> Rp:
    """A confidential relying party (client_secret_basic) that asks for consent."""
    return register(app)


@pytest.fixture
def citizen_browser(portal: Portal, erika: Citizen) -> Browser:
    """Erika's browser, logged in to the hub."""
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    return browser


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock that starts now: the client libraries check token times by the real clock."""
    return FrozenClock()
