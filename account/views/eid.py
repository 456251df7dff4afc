"""Pages of the Bürgerkonto with the Online-Ausweis: start (login, registration, linking,
step-up), what happens at the RefreshAddress (:func:`finish`), the registration form, the
confirmation to link a card met during a step-up, the list of changes, unlinking.

Every page after a card reading is reached by a redirect (POST/redirect/GET): reloading it never
repeats the reading. What a page shows waits in the server-side session; a card reading that
waits for the citizen (``account.eid.pending``) only as translated profile values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import TooManyRequests

from account.attributes import ATTRIBUTES
from account.eid import flows, pending
from account.eid.card import CardReading, UnusableReadingError, translate
from account.eid.refresh import Change
from account.emails import normalise
from account.forms import ConfirmForm, EidRegisterForm
from account.services import services
from account.spelling import as_written
from account.views import (
    SSO_KEY,
    bp,
    client_address,
    fresh_login_first,
    login_required,
    me,
    my_session,
    safe_next,
)
from connectors.eid import EidFailure, EidTransactions, Finished
from connectors.eid.views import session_binding
from core import audit
from core.audit import AuditEvent
from core.db import db
from core.web.i18n import select_locale
from core.web.session import regenerate_session

LOGIN, REGISTER, LINK, STEP_UP = "login", "register", "link", "step-up"
_RESULT = "eid_result"
_CHANGES = "eid_changes"

#: What the hub itself refuses after a good reading (the connector's outcomes bring their own).
PROBLEMS: dict[str, Any] = {
    flows.Refusal.OTHER_ACCOUNT.value: _l(
        "Dieser Ausweis ist mit einem anderen Bürgerkonto verknüpft. Er kann für dieses "
        "Bürgerkonto nicht verwendet werden; die beiden Konten werden nicht zusammengeführt."
    ),
    flows.Refusal.OTHER_PERSON.value: _l(
        "Das Geburtsdatum auf diesem Ausweis stimmt nicht mit dem Geburtsdatum überein, das aus "
        "einem früheren Ausweis dieses Bürgerkontos gelesen wurde. Der Ausweis wurde nicht "
        "verknüpft."
    ),
    flows.Refusal.ALREADY_REGISTERED.value: _l(
        "Mit diesem Ausweis gibt es schon ein Bürgerkonto. Bitte melden Sie sich mit dem "
        "Online-Ausweis an."
    ),
    "session-changed": _l(
        "Ihre Anmeldung in diesem Browser hat sich geändert, während der Ausweis gelesen wurde. "
        "Bitte starten Sie den Vorgang noch einmal."
    ),
    "unusable": _l(
        "Der Ausweis konnte nicht vollständig gelesen werden. Bitte versuchen Sie es noch "
        "einmal oder melden Sie sich mit Ihrem Passwort an."
    ),
}

TITLES = {
    LOGIN: _l("Mit dem Online-Ausweis anmelden"),
    REGISTER: _l("Mit dem Online-Ausweis registrieren"),
    LINK: _l("Online-Ausweis verknüpfen"),
    STEP_UP: _l("Anmeldung mit dem Online-Ausweis bestätigen"),
}


def transactions() -> EidTransactions:
    found: EidTransactions | None = current_app.extensions.get("eid")
    if found is None:
        abort(404)
    return found


#: DocumentType (ICAO 9303) of the German eID documents, as the "Sicherheit" page names them.
DOCUMENT_NAMES = {
    "ID": _l("Personalausweis"),
    "UB": _l("eID-Karte für Unionsbürger"),
    "AR": _l("Elektronischer Aufenthaltstitel"),
    "AS": _l("Elektronischer Aufenthaltstitel"),
    "AF": _l("Elektronischer Aufenthaltstitel"),
}


@bp.app_context_processor
def inject_eid() -> dict[str, object]:
    return {"eid_enabled": "eid" in current_app.extensions, "document_names": DOCUMENT_NAMES}


@bp.app_template_filter("as_written")
def as_written_filter(value: str, attribute: str) -> str:
    return as_written(attribute, value)


def _today() -> date:
    return datetime.fromtimestamp(services().clock.now(), tz=UTC).date()


# --- an account without password confirms with the card ------------------------------------


@dataclass(frozen=True)
class CardConfirmation:
    """For a form that asks for the current password, on an account that has none."""

    #: Where to log in with the card again; None when this session's card login is recent.
    url: str | None
    possible: bool = True

    @property
    def confirmed(self) -> bool:
        return self.url is None and self.possible


def card_instead_of_password(form: FlaskForm) -> CardConfirmation | None:
    """None for an account with a password (the form stays as it is). Otherwise the form loses
    its password field, and a card login of the last minutes confirms instead."""
    if me().password_hash is not None:
        return None
    del form["password"]
    if flows.card_confirms(my_session()):
        return CardConfirmation(None)
    if "eid" not in current_app.extensions:
        return CardConfirmation(None, possible=False)
    return CardConfirmation(url_for("account.eid_start", next=request.full_path.rstrip("?")))


# --- starting -----------------------------------------------------------------------------------


def _local(name: str, default: str) -> str:
    return safe_next(request.args.get(name), default)


@bp.get("/anmelden/ausweis", endpoint="eid_start")
def start() -> ResponseReturnValue:
    """Login or registration; for a logged-in citizen the step-up of this session."""
    service = transactions()
    next_path = _local("next", url_for("account.profile"))
    cancel = _local("abbrechen", "")
    purpose = {"next": next_path, "cancel": cancel}
    if g.citizen is not None:
        purpose |= {"for": STEP_UP, "citizen": me().id, "sso": my_session().id}
    else:
        purpose["for"] = REGISTER if request.args.get("registrieren") else LOGIN
    return _start_page(service, purpose)


@bp.get("/konto/ausweis/verknuepfen", endpoint="eid_link_start")
@login_required
def link_start() -> ResponseReturnValue:
    """Link an ID card to this account. Whoever links a card can log in with it from then on,
    past password and second factor: so only after a login of the last minutes."""
    again = fresh_login_first()
    if again is not None:
        return again
    purpose = {
        "for": LINK,
        "next": url_for("account.sessions"),
        "cancel": url_for("account.sessions"),
        "citizen": me().id,
        "sso": my_session().id,
    }
    return _start_page(transactions(), purpose)


#: Card transactions one client address may start per window: each lets an eID-Client open a
#: session at the eID-Server, whose number is limited (``useID#tooManyOpenSessions``).
STARTS_PER_WINDOW, START_WINDOW = 30, 10 * 60


def _start_page(service: EidTransactions, purpose: dict[str, str]) -> ResponseReturnValue:
    if services().store.incr("eid-starts:" + client_address(), START_WINDOW) > STARTS_PER_WINDOW:
        raise TooManyRequests(
            _("Zu viele Anmeldungen mit dem Online-Ausweis. Bitte warten Sie einige Minuten."),
            retry_after=START_WINDOW,
        )
    started = service.start(session_binding(), purpose)
    return render_template(
        "account/eid_start.html",
        kind=purpose["for"],
        title=TITLES[purpose["for"]],
        started=started,
        minutes=service.config.transaction_ttl // 60,
        next_path=purpose["next"],
        cancel=purpose["cancel"],
    )


# --- the RefreshAddress --------------------------------------------------------------------------


def finish(done: Finished) -> ResponseReturnValue:
    """The connector's blueprint calls this at the RefreshAddress and the
    CommunicationErrorAddress, with what the transaction was started for."""
    purpose = dict(done.purpose)
    if isinstance(done.outcome, EidFailure):
        return _failed(purpose, done.outcome)
    try:
        reading = translate(done.outcome.result, services().settings.eid_sector, _today())
    except UnusableReadingError:
        return _problem(purpose, "unusable")
    kind = purpose.get("for")
    if kind in {LOGIN, REGISTER}:
        return _logged_in_or_not(reading, purpose)
    if kind in {LINK, STEP_UP}:
        return _for_this_account(reading, purpose)
    return _problem(purpose, "session-changed")


def _failed(purpose: dict[str, str], failure: EidFailure) -> ResponseReturnValue:
    audit.record(
        AuditEvent.LOGIN_EID_FAILED,
        now=services().clock.now(),
        citizen_id=purpose.get("citizen"),
        client_address=client_address(),
        outcome=failure.outcome.value,
    )
    db.session.commit()
    session[_RESULT] = {**_keep(purpose), "message": failure.message}
    return redirect(url_for("account.eid_result"), 303)


def _problem(purpose: dict[str, str], problem: str) -> ResponseReturnValue:
    session[_RESULT] = {**_keep(purpose), "message": str(PROBLEMS[problem])}
    return redirect(url_for("account.eid_result"), 303)


def _keep(purpose: dict[str, str]) -> dict[str, str]:
    return {k: purpose.get(k, "") for k in ("for", "next", "cancel")}


def _logged_in_or_not(reading: CardReading, purpose: dict[str, str]) -> ResponseReturnValue:
    result = flows.log_in(reading, client_address(), request.user_agent.string)
    if isinstance(result, flows.NotLinked):
        pending.keep(reading, REGISTER, next=purpose.get("next", ""))
        if purpose.get("for") == REGISTER:
            return redirect(url_for("account.eid_register"), 303)
        return redirect(url_for("account.eid_not_linked"), 303)
    _enter(result)
    return _continue(result.changes, purpose.get("next", ""))


def _enter(result: flows.LoggedIn) -> None:
    """This browser is now logged in as the card's account (a new session id: fixation)."""
    if g.sso is not None:
        services().sessions.end(g.sso)
    regenerate_session(keep=False)
    session[SSO_KEY] = result.sso.id
    g.sso, g.citizen = result.sso, result.citizen


def _for_this_account(reading: CardReading, purpose: dict[str, str]) -> ResponseReturnValue:
    citizen, sso = g.citizen, g.sso
    if citizen is None or sso is None or purpose.get("sso") != sso.id:
        return _problem(purpose, "session-changed")
    if purpose.get("for") == LINK:
        return _after_raise(flows.link(citizen, sso, reading, client_address()), purpose)
    result = flows.step_up(citizen, sso, reading, client_address())
    if isinstance(result, flows.NotLinked):
        pending.keep(reading, LINK, **_keep(purpose), sso=sso.id)
        return redirect(url_for("account.eid_confirm_link"), 303)
    return _after_raise(result, purpose)


def _after_raise(
    result: flows.Raised | flows.Refusal, purpose: dict[str, str]
) -> ResponseReturnValue:
    if isinstance(result, flows.Refusal):
        return _problem(purpose, result.value)
    regenerate_session(keep=True)
    if result.linked:
        flash(_("Ihr Ausweis ist jetzt mit Ihrem Bürgerkonto verknüpft."), "success")
    return _continue(result.changes, purpose.get("next", ""))


def _continue(changes: list[Change], next_path: str) -> ResponseReturnValue:
    target = safe_next(next_path, url_for("account.profile"))
    if not changes:
        return redirect(target, 303)
    session[_CHANGES] = {"changes": [c.to_list() for c in changes], "next": target}
    return redirect(url_for("account.eid_changes"), 303)


# --- pages after the reading ---------------------------------------------------------------------


@bp.get("/anmelden/ausweis/ergebnis", endpoint="eid_result")
def result_page() -> ResponseReturnValue:
    shown = session.get(_RESULT)
    if not isinstance(shown, dict):
        return redirect(url_for("account.login"), 303)
    kind = shown.get("for") or LOGIN
    retry = url_for(
        "account.eid_link_start" if kind == LINK else "account.eid_start",
        **({} if kind == LINK else {"next": shown.get("next") or None}),
        abbrechen=shown.get("cancel") or None,
    )
    return render_template(
        "account/eid_result.html",
        message=shown.get("message", ""),
        kind=kind,
        retry=retry,
        next_path=shown.get("next") or None,
        cancel=shown.get("cancel") or None,
    )


@bp.get("/anmelden/ausweis/aenderungen", endpoint="eid_changes")
def changes_page() -> ResponseReturnValue:
    shown = session.pop(_CHANGES, None)
    if not isinstance(shown, dict):
        return redirect(url_for("account.profile"), 303)
    changes = [Change.from_list(c) for c in shown.get("changes", [])]
    return render_template(
        "account/eid_changes.html",
        changes=changes,
        next_path=safe_next(shown.get("next"), url_for("account.profile")),
    )


@bp.get("/anmelden/ausweis/kein-konto", endpoint="eid_not_linked")
def not_linked() -> ResponseReturnValue:
    if pending.peek(REGISTER) is None:
        return _expired()
    return render_template("account/eid_not_linked.html")


def _expired() -> ResponseReturnValue:
    return render_template("account/eid_expired.html"), 410


def _card_rows(reading: CardReading) -> list[tuple[object, str, str]]:
    """(label, as the citizen writes it, as on the card) in the order of the attribute table."""
    return [
        (a.label, as_written(a.name, reading.values[a.name]), reading.values[a.name])
        for a in ATTRIBUTES
        if a.name in reading.values
    ]


@bp.route("/registrieren/ausweis", methods=["GET", "POST"], endpoint="eid_register")
def register() -> ResponseReturnValue:
    waiting = pending.peek(REGISTER)
    if waiting is None:
        return _expired()
    reading, extra = waiting
    form = EidRegisterForm()
    if form.validate_on_submit():
        answer = _register(form, reading, extra)
        if answer is not None:
            return answer
    status = 400 if request.method == "POST" else 200
    return render_template(
        "account/eid_register.html",
        form=form,
        rows=_card_rows(reading),
        min_length=services().policy.min_length,
    ), status


def _register(
    form: EidRegisterForm, reading: CardReading, extra: dict[str, str]
) -> ResponseReturnValue | None:
    email = normalise(form.email.data or "") or ""
    password = form.password.data or None
    problems = services().policy.problems(password, email) if password else []
    if problems:
        form.password.errors = list(form.password.errors) + problems
        return None
    if pending.take(REGISTER) is None:  # a second tab was first
        return _expired()
    result = flows.register(
        reading, email, password, select_locale(), client_address(), request.user_agent.string
    )
    if isinstance(result, flows.EmailTaken):
        pending.keep(reading, REGISTER, **extra)
        form.email.errors = [
            _(
                "Für diese E-Mail-Adresse gibt es schon ein Bürgerkonto. Melden Sie sich dort "
                "an und verknüpfen Sie Ihren Ausweis unter „Sicherheit“, oder geben Sie eine "
                "andere Adresse an."
            )
        ]
        return None
    if isinstance(result, flows.Refusal):
        return _problem({"for": LOGIN, **extra}, result.value)
    _enter(result)
    flash(
        _(
            "Ihr Bürgerkonto ist angelegt. Wir haben Ihnen einen Link geschickt, mit dem Sie "
            "Ihre E-Mail-Adresse bestätigen."
        ),
        "success",
    )
    return redirect(safe_next(extra.get("next"), url_for("account.profile")), 303)


@bp.route("/konto/ausweis/bestaetigen", methods=["GET", "POST"], endpoint="eid_confirm_link")
@login_required
def confirm_link() -> ResponseReturnValue:
    """A step-up met a card that is linked to no account: link it to this one?"""
    waiting = pending.peek(LINK)
    if waiting is None or waiting[1].get("sso") != my_session().id:
        return _expired()
    reading, extra = waiting
    again = fresh_login_first(url_for("account.eid_link_start"))
    if again is not None:  # linking needs a recent login, as link_start does
        pending.take(LINK)
        flash(
            _(
                "Dieser Ausweis ist noch mit keinem Bürgerkonto verknüpft. Zum Verknüpfen "
                "melden Sie sich bitte erneut an und lesen den Ausweis dann noch einmal ein."
            ),
            "info",
        )
        return again
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        if pending.take(LINK) is None:
            return _expired()
        return _after_raise(flows.link(me(), my_session(), reading, client_address()), extra)
    return render_template(
        "account/eid_confirm_link.html",
        form=form,
        rows=_card_rows(reading),
        cancel=extra.get("cancel") or None,
    )


@bp.post("/konto/ausweis/<int:link_id>/loesen", endpoint="eid_unlink")
@login_required
def unlink(link_id: int) -> ResponseReturnValue:
    form = ConfirmForm()
    if form.validate_on_submit():
        done = flows.unlink(me(), link_id, client_address())
        if done is flows.Unlinked.DONE:
            flash(_("Die Verknüpfung mit dem Ausweis ist gelöst."), "success")
        elif done is flows.Unlinked.LAST_CARD:
            flash(
                _(
                    "Das ist der einzige Ausweis Ihres Bürgerkontos, und Ihr Konto hat kein "
                    "Passwort. Legen Sie zuerst über „Passwort vergessen“ ein Passwort fest, "
                    "sonst könnten Sie sich nicht mehr anmelden."
                ),
                "error",
            )
    return redirect(url_for("account.sessions"), 303)
