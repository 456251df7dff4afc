"""Fixtures of the SAML tests: the SP libraries check timestamps against the real time, and
most stories start with Erika logged in at the hub."""

from __future__ import annotations

import time

import pytest

from core.clock import FrozenClock
from tests.helpers import Browser, Citizen, Portal


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock that starts now: python3-saml and pysaml2 check times by the real clock."""
    return FrozenClock(start=float(int(time.time())))


@pytest.fixture
def browser(portal: Portal, erika: Citizen) -> Browser:
    """Erika's browser, logged in to the hub."""
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    return browser
