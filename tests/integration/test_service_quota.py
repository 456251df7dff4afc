"""The kit's yearly free quota against a real database, on SQLite and on PostgreSQL (a schema of
its own): N free then the fee, each year, citizen and service on its own, a rejection gives the
place back (once), a paid submission takes none, a free place taken meanwhile sends the draft
back with the fee, concurrent submissions in real threads take the last place once, and the
kit's migrations build exactly the models (up, down to 0001, up again)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import create_engine, inspect, select

from services import sperrmuell
from services.kit import applications, create_service_app
from services.kit.applications import QuotaUsedUpError
from services.kit.config import QuotaTerms, ServiceConfig
from services.kit.models import Application, FreeQuotaUse, KitBase, Payment, db, now
from services.kit.quota import Quota
from services.kit.storage import MIGRATIONS, sqlalchemy_url, upgrade
from services.kit.visitor import Visitor
from tests.flows.services.world import service_database

SERVICE = sperrmuell.SERVICE
ERIKA, MAX = "pairwise-sub-erika", "pairwise-sub-max"
THIS_YEAR = (date.today() + timedelta(days=10)).year


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    with service_database(backend, tmp_path, "sperrmuell") as url:
        yield url


@pytest.fixture
def kit(database: str, tmp_path: Path) -> Iterator[Flask]:
    upgrade(database)
    fees = tmp_path / "fees.toml"
    fees.write_text("[sperrmuell]\nfrei_pro_jahr = 2\ngebuehr_je_weitere = 3500\n")
    config = ServiceConfig(
        base_url="http://127.0.0.1:9",
        hub_url="http://127.0.0.1:8",
        database_url=database,
        var_dir=tmp_path,
        secret_key="k" * 40,
        fees_file=fees,
    )
    app = create_service_app(SERVICE, config)
    yield app
    with app.test_request_context():
        db.session.remove()
        db.engine.dispose()


def _quota(app: Flask) -> Quota:
    quota: Quota = app.extensions["kit_quota"]
    return quota


def _day(year: int) -> date:
    """A pickup date in ``year`` (the kit takes the data as the form checked it)."""
    return date(year, 6, 15)


def _draft(app: Flask, subject: str, year: int = THIS_YEAR) -> str:
    """A draft priced as the form prices it (free while places are left, else the fee)."""
    data = {
        "vornamen": "Erika",
        "familienname": "Mustermann",
        "strasse": "Heidestraße 17",
        "plz": "51147",
        "ort": "Köln",
        "telefon": "",
        "gegenstaende": "1 Sofa",
        "volumen": "2",
        "wunschtermin": _day(year).isoformat(),
        "stellplatz": "gehweg",
    }
    with app.test_request_context():
        fee = applications.price(SERVICE, {}, _quota(app), subject, data)
        visitor = Visitor(subject=subject, level="low", channel="citizen")
        return applications.save_draft(SERVICE, visitor, data, [], fee).id


def _submit(app: Flask, draft_id: str) -> str:
    """As the review page does: a free draft with the quota; "submitted", "already" or
    "used up" (nothing submitted, the draft now costs the fee)."""
    with app.test_request_context():
        draft = db.session.get(Application, draft_id)
        assert draft is not None and draft.fee_cents == 0
        try:
            done = applications.submit(draft, SERVICE, "citizen", _quota(app))
        except QuotaUsedUpError:
            return "used up"
        return "submitted" if done else "already"


def _application(app: Flask, draft_id: str) -> Application:
    with app.test_request_context():
        row = db.session.get(Application, draft_id)
        assert row is not None
        _ = (row.events, row.payments)
        db.session.expunge(row)
        return row


def _used(app: Flask, subject: str, year: int = THIS_YEAR, service: str = "sperrmuell") -> int:
    with app.test_request_context():
        query = select(FreeQuotaUse.used).where(
            FreeQuotaUse.service == service,
            FreeQuotaUse.subject == subject,
            FreeQuotaUse.year == year,
        )
        return db.session.scalar(query) or 0


def _fee_of_a_new_draft(app: Flask, subject: str, year: int = THIS_YEAR) -> int:
    return _application(app, _draft(app, subject, year)).fee_cents


def _change(app: Flask, draft_id: str, to: str, note: str = "") -> None:
    with app.test_request_context():
        row = db.session.get(Application, draft_id)
        assert row is not None
        assert applications.change_state(row, SERVICE, to, note, "clerk-sub") is None


def test_two_free_then_the_fee(kit: Flask) -> None:
    first, second = _draft(kit, ERIKA), _draft(kit, ERIKA)
    assert _application(kit, first).fee_cents == _application(kit, second).fee_cents == 0
    assert _submit(kit, first) == "submitted" and _used(kit, ERIKA) == 1
    assert _submit(kit, second) == "submitted" and _used(kit, ERIKA) == 2
    assert _submit(kit, second) == "already" and _used(kit, ERIKA) == 2  # a second click
    for done in (first, second):
        row = _application(kit, done)
        assert row.state == "eingegangen" and row.reference and row.free_quota_year == THIS_YEAR
        assert row.fee_cents == 0
    assert _fee_of_a_new_draft(kit, ERIKA) == 3500
    with kit.test_request_context():
        standing = _quota(kit).standing(ERIKA, THIS_YEAR)
    assert (standing.used, standing.left, standing.due_cents) == (2, 0, 3500)


def test_each_year_citizen_and_service_counts_on_its_own(kit: Flask) -> None:
    for _ in range(2):
        assert _submit(kit, _draft(kit, ERIKA)) == "submitted"
    assert _fee_of_a_new_draft(kit, ERIKA) == 3500
    assert _fee_of_a_new_draft(kit, ERIKA, THIS_YEAR + 1) == 0
    assert _submit(kit, _draft(kit, ERIKA, THIS_YEAR + 1)) == "submitted"
    assert (_used(kit, ERIKA), _used(kit, ERIKA, THIS_YEAR + 1)) == (2, 1)
    assert _fee_of_a_new_draft(kit, MAX) == 0 and _used(kit, MAX) == 0
    # another service in the same database (its own key) has its own counter
    with kit.test_request_context():
        other = Quota("moebelboerse", _quota(kit).rule, QuotaTerms(1, 500))
        assert other.standing(ERIKA, THIS_YEAR).left == 1
        assert other.claim(ERIKA, THIS_YEAR) and not other.claim(ERIKA, THIS_YEAR)
        db.session.commit()
    assert _used(kit, ERIKA, service="moebelboerse") == 1 and _used(kit, ERIKA) == 2


def test_a_rejection_gives_the_free_place_back_once(kit: Flask) -> None:
    first, second = _draft(kit, ERIKA), _draft(kit, ERIKA)
    assert _submit(kit, first) == _submit(kit, second) == "submitted"
    paid = _draft(kit, ERIKA)
    with kit.test_request_context():
        row = db.session.get(Application, paid)
        assert row is not None and row.fee_cents == 3500
        assert applications.submit(row, SERVICE, "payment", paid_cents=3500)
    assert _used(kit, ERIKA) == 2  # a paid one uses no free place
    assert _application(kit, paid).free_quota_year is None
    _change(kit, paid, "abgelehnt", "Termin nicht möglich.")
    assert _used(kit, ERIKA) == 2  # rejecting a paid one gives nothing back
    _change(kit, first, "in_bearbeitung")
    assert _used(kit, ERIKA) == 2
    _change(kit, first, "abgelehnt", "Keine Zufahrt.")
    assert _used(kit, ERIKA) == 1 and _fee_of_a_new_draft(kit, ERIKA) == 0
    _change(kit, first, "archiviert")
    assert _used(kit, ERIKA) == 1  # archiving the rejected one gives nothing more
    _change(kit, second, "in_bearbeitung")
    _change(kit, second, "abgeschlossen")
    assert _used(kit, ERIKA) == 1  # a completed pickup keeps its place
    with kit.test_request_context():
        row = db.session.get(Application, second)
        assert row is not None
        # a rejection the state no longer allows changes nothing, the count neither
        assert applications.change_state(row, SERVICE, "abgelehnt", "x", "clerk") is not None
    assert _used(kit, ERIKA) == 1


def test_the_free_place_taken_meanwhile_sends_the_draft_back_with_the_fee(kit: Flask) -> None:
    assert _submit(kit, _draft(kit, ERIKA)) == "submitted"
    one, other = _draft(kit, ERIKA), _draft(kit, ERIKA)  # both offered the last free place
    assert _application(kit, one).fee_cents == _application(kit, other).fee_cents == 0
    assert _submit(kit, one) == "submitted"
    assert _submit(kit, other) == "used up"
    left = _application(kit, other)
    assert left.state == "entwurf" and left.reference is None and left.events == []
    assert left.fee_cents == 3500 and left.free_quota_year is None and left.submitted_at is None
    assert _used(kit, ERIKA) == 2


def test_reprice_follows_the_standing_until_a_payment_is_underway(kit: Flask) -> None:
    free_draft = _draft(kit, ERIKA)
    taken = [_draft(kit, ERIKA) for _ in range(2)]
    assert [_submit(kit, d) for d in taken] == ["submitted", "submitted"]
    paid_draft, paying_draft = _draft(kit, ERIKA), _draft(kit, ERIKA)
    with kit.test_request_context():
        row = db.session.get(Application, free_draft)
        assert row is not None and applications.reprice(row, _quota(kit)).left == 0
        assert row.fee_cents == 3500  # its free place went to the other two
        moment = now()
        db.session.add(
            Payment(
                application_id=paying_draft,
                provider="giro",
                amount_cents=3500,
                state="created",
                created_at=moment,
                updated_at=moment,
            )
        )
        db.session.commit()
    _change(kit, taken[0], "abgelehnt", "Kein Zugang.")  # a place comes back
    with kit.test_request_context():
        for draft_id in (free_draft, paid_draft, paying_draft):
            row = db.session.get(Application, draft_id)
            assert row is not None and applications.reprice(row, _quota(kit)).left == 1
    assert _application(kit, free_draft).fee_cents == 0
    assert _application(kit, paid_draft).fee_cents == 0
    assert _application(kit, paying_draft).fee_cents == 3500  # a payment was started: kept


def _race(app: Flask, drafts: list[str]) -> list[str]:
    """Submit every draft at once, one thread (own connection) each, released together."""
    barrier = threading.Barrier(len(drafts))
    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def one(draft_id: str) -> None:
        try:
            with app.test_request_context():
                draft = db.session.get(Application, draft_id)
                assert draft is not None
                barrier.wait(timeout=30)
                try:
                    done = applications.submit(draft, SERVICE, "citizen", _quota(app))
                    results[draft_id] = "submitted" if done else "already"
                except QuotaUsedUpError:
                    results[draft_id] = "used up"
                finally:
                    db.session.remove()
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return [results[d] for d in drafts]


def test_concurrent_submissions_take_the_last_free_place_once(kit: Flask) -> None:
    for round_year in (THIS_YEAR, THIS_YEAR + 1, THIS_YEAR + 2):
        assert _submit(kit, _draft(kit, ERIKA, round_year)) == "submitted"  # one left
        drafts = [_draft(kit, ERIKA, round_year) for _ in range(6)]
        outcome = _race(kit, drafts)
        assert sorted(outcome) == ["submitted"] + ["used up"] * 5, outcome
        assert _used(kit, ERIKA, round_year) == 2
        for draft_id, result in zip(drafts, outcome, strict=True):
            row = _application(kit, draft_id)
            expected = ("eingegangen", 0) if result == "submitted" else ("entwurf", 3500)
            assert (row.state, row.fee_cents) == expected


def test_concurrent_submissions_with_room_for_all_take_each_one_place(kit: Flask) -> None:
    drafts = [_draft(kit, ERIKA), _draft(kit, ERIKA)]
    assert _race(kit, drafts) == ["submitted", "submitted"]
    assert _used(kit, ERIKA) == 2


def _alembic(database: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database).replace("%", "%%"))
    return config


def test_the_kit_migrations_build_the_models_down_and_up_again(database: str) -> None:
    upgrade(database)
    engine = create_engine(sqlalchemy_url(database))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = list(compare_metadata(context, KitBase.metadata))
        # only the version table, which no model describes
        assert [(d[0], d[1].name) for d in diff] == [("remove_table", "kit_alembic_version")]
        command.downgrade(_alembic(database), "0001")
        inspector = inspect(engine)
        assert "free_quota_use" not in inspector.get_table_names()
        columns = {c["name"] for c in inspector.get_columns("application")}
        assert "free_quota_year" not in columns and "fee_cents" in columns
        upgrade(database)
        assert "free_quota_use" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
