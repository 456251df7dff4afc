"""The simulator's two Flask apps: the eID-Server (SOAP endpoint ``/eID`` and a control page)
and the eID-Client stand-in (``/eID-Client``). Both share one :class:`SimulatorState`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, redirect, render_template, request
from flask.typing import ResponseReturnValue

from connectors.eid.fields import EidType, Requirement
from connectors.eid.outcomes import Outcome
from connectors.eid.simulator import keys
from connectors.eid.simulator.cards import CARDS
from connectors.eid.simulator.config import SimulatorConfig
from connectors.eid.simulator.server import SimulatedEidServer
from connectors.eid.simulator.standin import Choice, Page, Problem, StandIn
from connectors.eid.simulator.state import SimulatorState
from connectors.eid.wiring import SIMULATOR_MARK
from connectors.eid.wssec import XmlsecSigner, XmlsecVerifier
from core.clock import Clock, SystemClock

HERE = Path(__file__).resolve().parent

FIELD_LABELS = {
    "DocumentType": "Dokumentart",
    "IssuingState": "Ausstellender Staat",
    "DateOfExpiry": "Gültig bis",
    "GivenNames": "Vornamen",
    "FamilyNames": "Familienname",
    "ArtisticName": "Ordens- oder Künstlername",
    "AcademicTitle": "Doktorgrad",
    "DateOfBirth": "Geburtsdatum",
    "PlaceOfBirth": "Geburtsort",
    "Nationality": "Staatsangehörigkeit",
    "BirthName": "Geburtsname",
    "PlaceOfResidence": "Anschrift",
    "CommunityID": "Gemeindeschlüssel",
    "ResidencePermitI": "Nebenbestimmungen",
    "RestrictedID": "Dienste- und kartenspezifisches Kennzeichen (Pseudonym)",
    "AgeVerification": "Altersbestätigung",
    "PlaceVerification": "Wohnortbestätigung",
}
FAULTS = (
    Outcome.TOO_MANY_OPEN_SESSIONS,
    Outcome.MISSING_ARGUMENT,
    Outcome.SCHEMA_VIOLATION,
    Outcome.INVALID_PSK,
    Outcome.MISSING_TERMINAL_RIGHTS,
    Outcome.INTERNAL_ERROR,
)
RESULT_FAULTS = (Outcome.INVALID_SESSION, Outcome.INVALID_COUNTER, Outcome.INTERNAL_ERROR)


@dataclass
class Simulator:
    config: SimulatorConfig
    state: SimulatorState
    signing: keys.KeyPair
    server: SimulatedEidServer
    server_app: Flask
    client_app: Flask


def build(
    config: SimulatorConfig, *, clock: Clock | None = None, signing: keys.KeyPair | None = None
) -> Simulator:
    """``clock`` drives sessions and card expiry; WS-Security timestamps always use real
    time (the peer checks them against its own real clock)."""
    signing = signing or keys.load_or_create(config.var_dir, "wssec", SIMULATOR_MARK)
    state = SimulatorState(clock or SystemClock(), config.session_ttl)
    real = SystemClock()
    verifier = XmlsecVerifier(config.service_cert_pem, real) if config.service_cert_pem else None
    server = SimulatedEidServer(
        config, state, XmlsecSigner(signing.key_pem, signing.cert_pem, real), verifier
    )
    sim = Simulator(config, state, signing, server, _flask("eid_server"), _flask("eid_client"))
    _server_routes(sim)
    _client_routes(sim, StandIn(config, state))
    return sim


def _flask(name: str) -> Flask:
    app = Flask(name, root_path=str(HERE))
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    return app


def create_app(
    config: SimulatorConfig, *, clock: Clock | None = None, signing: keys.KeyPair | None = None
) -> Flask:
    """The eID-Server app; its eID-Client stand-in is ``app.extensions["eid_simulator"]
    .client_app`` (served on its own port)."""
    sim = build(config, clock=clock, signing=signing)
    return sim.server_app


def _server_routes(sim: Simulator) -> None:
    app = sim.server_app
    app.extensions["eid_simulator"] = sim

    @app.post("/eID")
    def soap() -> ResponseReturnValue:
        status, body = sim.server.handle(
            request.get_data(cache=False), request.headers.get("SOAPAction", "")
        )
        return Response(body, status=status, content_type="text/xml; charset=utf-8")

    @app.get("/")
    def control() -> ResponseReturnValue:
        return render_template(
            "eid_simulator/control.html",
            sim=sim,
            faults=FAULTS,
            result_faults=RESULT_FAULTS,
            sessions=sim.state.open_sessions(),
        )

    @app.post("/")
    def set_faults() -> ResponseReturnValue:
        sim.state.faults.next_use_id = _outcome(request.form.get("useid", ""), FAULTS)
        sim.state.faults.next_get_result = _outcome(request.form.get("result", ""), RESULT_FAULTS)
        return redirect("/", code=303)


def _outcome(value: str, allowed: tuple[Outcome, ...]) -> Outcome | None:
    return next((o for o in allowed if o.value == value), None)


def _client_routes(sim: Simulator, standin: StandIn) -> None:
    app = sim.client_app

    @app.get("/eID-Client")
    def activate() -> ResponseReturnValue:
        if "Status" in request.args:
            return Response(
                "Name: Bürgerportal eID-Client-Simulator\nImplementation-Version: 1\n",
                content_type="text/plain; charset=utf-8",
            )
        url = request.args.get("tcTokenURL", "")
        if not url:
            return _problem(Problem("Es fehlt der Parameter tcTokenURL."), 400)
        step = standin.begin(url)
        if isinstance(step, Problem):
            return _problem(step, 502)
        if isinstance(step, Page):
            return _page(sim, step)
        return redirect(step.location, code=303)

    @app.post("/eID-Client/vorgang")
    def complete() -> ResponseReturnValue:
        key = request.form.get("vorgang", "")
        step = standin.complete(key, _choice(sim, key))
        if isinstance(step, Problem):
            return _problem(step, 410)
        return redirect(step.location, code=303)


def _page(sim: Simulator, page: Page) -> ResponseReturnValue:
    wanted = [
        (name, FIELD_LABELS[name], requirement is Requirement.REQUIRED)
        for name, requirement in page.session.request.operations.items()
        if requirement is not Requirement.PROHIBITED
    ]
    return render_template(
        "eid_simulator/client.html",
        key=page.key,
        service=sim.config.service_name,
        info=page.session.request.transaction_info,
        wanted=wanted,
        cards=CARDS,
        eid_types=list(EidType),
    )


def _problem(problem: Problem, status: int) -> ResponseReturnValue:
    return render_template("eid_simulator/problem.html", message=problem.message), status


def _choice(sim: Simulator, key: str) -> Choice:
    form = request.form
    dialogue = sim.state.peek_dialogue(key)
    session = sim.state.get(dialogue.session_id) if dialogue else None
    optional = (
        {n for n, r in session.request.operations.items() if r is Requirement.ALLOWED}
        if session
        else set()
    )
    try:
        eid_type = EidType(form.get("ausweisart", EidType.CARD_CERTIFIED.value))
        generation = int(form.get("generation", "1") or "1")
        extra = int(form.get("verzoegerung", "0") or "0")
    except ValueError:
        abort(400)
    return Choice(
        card_id=form.get("karte", ""),
        pin=form.get("pin", ""),
        cancel=form.get("aktion") == "abbrechen",
        generation=max(1, generation),
        eid_type=eid_type,
        deselected=optional - set(form.getlist("freigabe")),
        extra_polls=max(0, min(extra, 100)),
        expire_session="sitzung_verfallen" in form,
        communication_error="kommunikationsfehler" in form,
        channel_error="kanalfehler" in form,
    )
