"""The first story: register, verify, log in, see the profile, log out."""

from __future__ import annotations

from tests.helpers import Citizen, Portal


def test_citizen_registers_verifies_and_logs_in(portal: Portal, erika: Citizen) -> None:
    response = portal.browser.login(erika.email, erika.password)
    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/profil"
    profile = portal.browser.get("/konto/profil")
    assert profile.status_code == 200
    assert "erika@example.org" in profile.text
    assert portal.browser.logout().status_code == 303
    assert portal.browser.get("/konto/profil").status_code == 303
