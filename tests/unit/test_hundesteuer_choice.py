"""Hundesteuer's two choices in one definition: which fields apply, and the end-date rule."""

from __future__ import annotations

from services import hundesteuer
from services.hundesteuer import end_not_before_start


def test_fields_apply_only_to_their_choice() -> None:
    service = hundesteuer.SERVICE
    leaving = {"vorgang": "abmeldung"}
    coming = {"vorgang": "anmeldung"}
    assert service.field("grund").applies(leaving) and not service.field("grund").applies(coming)
    assert service.field("rasse").applies(coming) and not service.field("rasse").applies(leaving)
    assert service.field("hund_name").applies(leaving) and service.field("hund_name").applies({})


def test_the_end_may_not_lie_before_the_start_of_keeping() -> None:
    assert end_not_before_start({"haltung_seit": "2026-05-02", "ende": "2026-05-01"}) == [
        ("ende", "Das Ende liegt vor dem Beginn der Haltung.")
    ]
    assert end_not_before_start({"haltung_seit": "2026-05-01", "ende": "2026-05-01"}) == []
    assert end_not_before_start({"haltung_seit": "", "ende": "2026-05-01"}) == []  # unknown start
