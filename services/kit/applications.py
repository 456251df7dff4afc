"""Applications: drafts, submission (once), reference numbers, clerk state changes.

A draft becomes an application exactly once: submission is one conditional UPDATE (``state =
'entwurf'``), so a browser return and a provider notification arriving together submit it once.
Every change adds an event that the status push carries to the hub: committed with the change
(an outbox, :mod:`services.kit.outbox`) and sent by the background sender, which each change
wakes (:mod:`services.kit.sender`).

A service with a yearly free quota (services/kit/quota.py): a free draft claims its place in
the submission's transaction; if none is left by then, nothing is submitted and the draft
costs the fee (:class:`QuotaUsedUpError`). A paid submission claims nothing. A rejection gives the
place back in the transaction of the state change.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from services.kit import outbox
from services.kit import quota as quotas
from services.kit.definition import NOTE_REQUIRED, REJECTED, Field, Service
from services.kit.i18n import _
from services.kit.models import Application, ApplicationEvent, db, now
from services.kit.quota import Quota, Standing
from services.kit.uploads import Upload
from services.kit.visitor import Visitor

DRAFT = "entwurf"
SUBMITTED = "eingegangen"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
#: Payment states in which a draft's price no longer changes (started, approved, paid).
_PAYMENT_UNDERWAY = frozenset({"created", "approved", "captured"})


class QuotaUsedUpError(Exception):
    """The free place the review offered was taken meanwhile (another submission of the same
    citizen and year): nothing was submitted, and the draft now costs ``standing.due_cents``."""

    def __init__(self, standing: Standing) -> None:
        super().__init__(f"no free application left in {standing.year}")
        self.standing = standing


def new_reference(prefix: str) -> str:
    """E.g. ``SPM-2026-7K3Q9D2M``: service, year, 40 random bits."""
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{prefix}-{now().year}-{tail}"


def fee_for(service: Service, fees: dict[str, int], data: dict[str, Any]) -> int:
    if service.fee is None:
        return 0
    if service.fee.by_field is not None:
        return fees[str(data.get(service.fee.by_field, ""))]
    return fees.get("default", 0)


def price(
    service: Service, fees: dict[str, int], quota: Quota | None, subject: str, data: dict[str, Any]
) -> int:
    """What a new application costs now: by the fee rule, or by the citizen's yearly quota."""
    if quota is None:
        return fee_for(service, fees, data)
    return quota.standing(subject, quota.year_of(data)).due_cents


def reprice(draft: Application, quota: Quota) -> Standing:
    """The draft's year's standing; the draft's fee follows it while no payment of it is
    underway (free -> fee when the free places went meanwhile; fee -> free when one came back,
    e.g. by a rejection). Conditional on the fee seen, so a concurrent change is not undone."""
    standing = quota.standing(draft.subject, quota.year_of(draft.data))
    underway = any(p.state in _PAYMENT_UNDERWAY for p in draft.payments)
    if draft.state != DRAFT or standing.due_cents == draft.fee_cents or underway:
        return standing
    db.session.execute(
        update(Application)
        .where(
            Application.id == draft.id,
            Application.state == DRAFT,
            Application.fee_cents == draft.fee_cents,
        )
        .values(fee_cents=standing.due_cents, updated_at=now())
    )
    db.session.commit()
    db.session.refresh(draft)
    return standing


def read_form(
    service: Service,
    form: dict[str, str],
    visitor: Visitor,
    today: date,
    uploads: Mapping[str, Upload] | None = None,
    upload_problems: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """The values (verified ones from the session, never from the form), the names of the
    verified fields, and the problems by field. File fields come as ``uploads`` (already
    recognised, :mod:`services.kit.uploads`) and their ``upload_problems``."""
    data: dict[str, Any] = {}
    verified: list[str] = []
    problems: dict[str, str] = {}
    uploads, upload_problems = uploads or {}, upload_problems or {}
    for f in service.fields:
        if not f.applies(data):
            continue
        held = visitor.values.get(f.prefill) if f.prefill else None
        if held is not None and held.verified:
            data[f.name] = held.value
            verified.append(f.name)
            continue
        if f.kind == "file":
            chosen = uploads.get(f.name)
            data[f.name] = chosen.summary() if chosen is not None else ""
            problem = upload_problems.get(f.name)
            if problem is None and f.required and chosen is None:
                problem = _("Bitte wählen Sie eine Datei aus.")
        elif f.kind == "persons":
            data[f.name], problem = _persons(f, form, today)
        elif f.kind == "checkbox":
            data[f.name] = "ja" if form.get(f.name) == "ja" else ""
            problem = _("Bitte bestätigen.") if f.required and not data[f.name] else None
        else:
            data[f.name] = (form.get(f.name) or "").strip()
            problem = f.check(data[f.name], today)
        if problem:
            problems[f.name] = problem
    if not problems:
        for rule in service.rules:
            problems.update(dict(rule(data)))
    return data, verified, problems


def _persons(
    f: Field, form: dict[str, str], today: date
) -> tuple[list[dict[str, str]], str | None]:
    people: list[dict[str, str]] = []
    for i in range(f.max_items):
        name = (form.get(f"{f.name}-{i}-name") or "").strip()
        born = (form.get(f"{f.name}-{i}-geburtsdatum") or "").strip()
        if not name and not born:
            continue
        if not name or not born or len(name) > 200:
            return people, _("Bitte je Person Name und Geburtsdatum angeben.")
        try:
            if date.fromisoformat(born) > today:
                return people, _("Ein Geburtsdatum liegt in der Zukunft.")
        except ValueError:
            return people, _("Bitte ein Geburtsdatum (TT.MM.JJJJ) angeben.")
        people.append({"name": name, "geburtsdatum": born})
    return people, None


def save_draft(
    service: Service,
    visitor: Visitor,
    data: dict[str, Any],
    verified: list[str],
    fee: int,
    uploads: Mapping[str, Upload] | None = None,
) -> Application:
    """The draft with its uploaded documents, in one transaction."""
    moment = now()
    draft = Application(
        subject=visitor.subject,
        level=visitor.level,
        title=str(service.title),
        data=data,
        verified=verified,
        state=DRAFT,
        fee_cents=fee,
        created_at=moment,
        updated_at=moment,
    )
    for name, upload in (uploads or {}).items():
        if name in data:  # a file field that applies to this application
            draft.attachments.append(upload.attachment(field=name))
    db.session.add(draft)
    db.session.commit()
    return draft


def own(application_id: str, subject: str) -> Application | None:
    row = db.session.get(Application, application_id) if len(application_id) <= 36 else None
    return row if row is not None and row.subject == subject else None


def submit(
    application: Application,
    service: Service,
    actor: str,
    quota: Quota | None = None,
    paid_cents: int | None = None,
) -> bool:
    """Draft -> eingegangen with a reference number; True only for the call that did it.

    ``quota``: a free application of a quota service claims its place in the same transaction;
    if none is left, nothing is submitted, the draft gets the fee and :class:`QuotaUsedUpError` is
    raised. ``paid_cents``: a paid submission records the amount the provider confirmed."""
    year = quota.year_of(application.data) if quota is not None else None
    for _attempt in range(3):
        reference = new_reference(service.prefix)
        moment = now()
        values: dict[str, Any] = {
            "state": SUBMITTED,
            "reference": reference,
            "submitted_at": moment,
            "updated_at": moment,
            "free_quota_year": year,
        }
        if paid_cents is not None:
            values["fee_cents"] = paid_cents
        try:
            done = db.session.execute(
                update(Application)
                .where(Application.id == application.id, Application.state == DRAFT)
                .values(**values)
            )
            if getattr(done, "rowcount", 0) != 1:
                db.session.rollback()
                db.session.refresh(application)
                return False
            if quota is not None and year is not None:
                _claim_or_raise(application, quota, year)
            db.session.add(
                ApplicationEvent(
                    application_id=application.id, state=SUBMITTED, actor=actor, at=moment
                )
            )
            db.session.commit()
        except IntegrityError:  # the same reference twice (40 random bits): draw again
            db.session.rollback()
            continue
        outbox.committed()
        db.session.refresh(application)
        return True
    raise RuntimeError("no free reference number")


def _claim_or_raise(application: Application, quota: Quota, year: int) -> None:
    if quota.claim(application.subject, year):
        return
    db.session.rollback()
    standing = reprice(application, quota)
    raise QuotaUsedUpError(standing)


def change_state(
    application: Application,
    service: Service,
    to: str,
    note: str,
    clerk: str,
    along: Callable[[datetime], Mapping[str, object]] | None = None,
) -> str | None:
    """A clerk's change; the problem (German) or None. Conditional on the state seen.

    ``along(moment)``: further column values written in the same UPDATE (e.g. the certificate
    issued on completion), asked for only once the change is allowed."""
    seen = application.state
    if to not in service.workflow.get(seen, ()):
        return _("Dieser Statuswechsel ist nicht möglich.")
    note = note.strip()
    if len(note) > 2000:
        return _("Die Notiz ist zu lang (höchstens 2000 Zeichen).")
    if to in NOTE_REQUIRED and not note:
        return _("Bitte schreiben Sie eine Notiz für die Antragstellerin oder den Antragsteller.")
    moment = now()
    extra = dict(along(moment)) if along is not None else {}
    done = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.state == seen)
        .values(state=to, updated_at=moment, **extra)
    )
    if getattr(done, "rowcount", 0) != 1:
        db.session.rollback()
        return _("Der Antrag wurde inzwischen geändert. Bitte laden Sie die Seite neu.")
    if to == REJECTED and application.free_quota_year is not None:
        quotas.give_back(service.key, application.subject, application.free_quota_year)
    db.session.add(
        ApplicationEvent(application_id=application.id, state=to, note=note, actor=clerk, at=moment)
    )
    db.session.commit()
    outbox.committed()
    db.session.refresh(application)
    return None


def drop_stale_drafts(older_than_seconds: int) -> int:
    """Drafts whose payment never came (abandoned) go after the configured time, with their
    uploaded documents; a draft with a captured payment is kept (its submission is due, the
    notification will come)."""
    limit = now() - timedelta(seconds=older_than_seconds)
    query = select(Application).where(Application.state == DRAFT, Application.updated_at < limit)
    dropped = 0
    for draft in db.session.scalars(query):
        if not any(p.state == "captured" for p in draft.payments):
            db.session.delete(draft)
            dropped += 1
    db.session.commit()
    return dropped


def submitted(state: str | None = None) -> list[Application]:
    query = select(Application).where(Application.state != DRAFT)
    if state:
        query = query.where(Application.state == state)
    return list(db.session.scalars(query.order_by(Application.submitted_at.desc())))


def of_subject(subject: str) -> list[Application]:
    query = (
        select(Application)
        .where(Application.subject == subject, Application.state != DRAFT)
        .order_by(Application.submitted_at.desc())
    )
    return list(db.session.scalars(query))
