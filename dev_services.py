"""The city's service apps beside the hub, for development (devrun.py) and the flow tests.

Registers every service at the hub as a relying party with demo credentials (idempotent: a
second start updates the registrations), creates one demo clerk per service, and starts the
payment simulators and the service apps, each on its own port. The service apps themselves
know the hub only by its URL; this module is the operator who registers them (it runs beside
the hub, as ``flask oidc-clients`` / ``flask saml-sps`` would).
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from services.kit.config import PaymentConfig, ServiceConfig
from services.kit.definition import Service

SERVICE_MODULES = ("ummeldung", "sperrmuell", "hundesteuer", "meldebescheinigung")
PAYPAL_PORT, GIRO_PORT = 8201, 8202
CLERK_PASSWORD = "Demo-Sachbearbeitung-2026"
PAYPAL_CLIENT, PAYPAL_SECRET = "demo-stadtkasse", "demo-paypal-secret-2026"
GIRO_MERCHANT, GIRO_PROJECT, GIRO_SECRET = "3610000", "5842", "demo-giro-secret-2026"


def module(key: str) -> ModuleType:
    return importlib.import_module(f"services.{key}")


def secret(key: str, purpose: str = "") -> str:
    """Demo credentials (development only; the hub refuses known secrets in production)."""
    return f"demo-{key}{'-' + purpose if purpose else ''}-secret-2026"


def clerk_email(key: str) -> str:
    return f"sachbearbeitung.{key}@example.org"


def client_ids(key: str) -> dict[str, str]:
    return {
        "citizen": f"svc-{key}",
        "clerk": f"svc-{key}-verwaltung",
        "status": f"svc-{key}-status",
    }


def payment_config(
    paypal_url: str, giro_url: str, giro_hash: str = "sha256", paypal_client: str = PAYPAL_CLIENT
) -> PaymentConfig:
    return PaymentConfig(
        paypal_api=paypal_url,
        paypal_client_id=paypal_client,
        paypal_secret=PAYPAL_SECRET,
        paypal_webhook_id="WH-DEMO-STADTKASSE",
        giro_api=giro_url,
        giro_merchant_id=GIRO_MERCHANT,
        giro_project_id=GIRO_PROJECT,
        giro_secret=GIRO_SECRET,
        giro_hash=giro_hash,
    )


def service_config(
    key: str,
    base_url: str,
    hub_url: str,
    database_url: str,
    var_dir: Path,
    payment: PaymentConfig,
) -> ServiceConfig:
    ids = client_ids(key)
    return ServiceConfig(
        base_url=base_url,
        hub_url=hub_url,
        database_url=database_url,
        var_dir=var_dir,
        secret_key=secret(key, "session") * 2,
        client_id=ids["citizen"],
        client_secret=secret(key),
        clerk_client_id=ids["clerk"],
        clerk_client_secret=secret(key, "clerk"),
        status_client_id=ids["status"],
        status_client_secret=secret(key, "status"),
        payment=payment,
    )


# --- registration at the hub ----------------------------------------------------------------


def register_service(hub: Flask, service: Service, service_app: Flask, base_url: str) -> None:
    """Register (or update) the service's relying parties and its demo clerk at the hub."""
    from account.demo import ensure_demo_account

    with hub.test_request_context():
        if service.protocol == "oidc":
            _register_oidc(service, base_url)
        else:
            _register_saml(service, service_app, base_url)
        ensure_demo_account(
            clerk_email(service.key),
            CLERK_PASSWORD,
            [service.clerk_role],
            {"given_names": "Sam", "family_names": f"Sachbearbeitung {service.key}"},
        )


def _oidc_client(client_id: str, spec_values: dict[str, object], known_secret: str) -> None:
    from idp.oidc import registry
    from idp.oidc.registry import ClientSpec

    spec = ClientSpec(**spec_values)  # type: ignore[arg-type]
    problems = registry.problems(spec, production=False)
    if problems:
        raise RuntimeError(f"{client_id}: {problems}")
    client = registry.get(client_id)
    if client is None:
        client, _secret = registry.register(spec, client_id=client_id)
    else:
        registry.update(client, spec)
    registry.set_known_secret(client, known_secret)


def _register_oidc(service: Service, base_url: str) -> None:
    scopes = {"profile", "address", "email", "phone"}
    ids = client_ids(service.key)
    _oidc_client(
        ids["citizen"],
        {
            "name": str(service.title),
            "redirect_uris": [base_url + "/oidc/callback/citizen"],
            "post_logout_redirect_uris": [base_url + "/abgemeldet"],
            "backchannel_logout_uri": base_url + "/oidc/backchannel-logout/citizen",
            "scopes": ["openid", *sorted(scopes)],
            "release": list(service.attributes),
            "min_level": service.level,
            "consent": "skip",
            "api_scopes": ["status:write"],
        },
        secret(service.key),
    )
    _oidc_client(
        ids["clerk"],
        {
            "name": f"{service.title} – Sachbearbeitung",
            "redirect_uris": [base_url + "/oidc/callback/clerk"],
            "post_logout_redirect_uris": [base_url + "/abgemeldet"],
            "backchannel_logout_uri": base_url + "/oidc/backchannel-logout/clerk",
            "scopes": ["openid", "profile"],
            "release": ["given_names", "family_names"],
            "min_level": "low",
            "consent": "skip",
            "roles": [service.clerk_role],
        },
        secret(service.key, "clerk"),
    )


def _register_saml(service: Service, service_app: Flask, base_url: str) -> None:
    from idp.saml import registry
    from idp.saml.models import sp_by_entity_id
    from idp.saml.registry import SpSettings

    client = service_app.test_client()
    for path, settings, name in (
        (
            "/saml/metadata",
            SpSettings(
                name_id_formats=("persistent",),
                release=tuple(service.attributes),
                min_level=service.level,
            ),
            str(service.title),
        ),
        (
            "/verwaltung/saml/metadata",
            SpSettings(
                name_id_formats=("persistent",),
                release=("given_names", "family_names"),
                roles=(service.clerk_role,),
            ),
            f"{service.title} – Sachbearbeitung",
        ),
    ):
        metadata = registry.read_metadata(client.get(path).data)
        sp = sp_by_entity_id(metadata.entity_id)
        if sp is None:
            registry.register(metadata, settings, name=name)
        else:
            registry.change(sp, settings, metadata=metadata, name=name)
    _oidc_client(
        client_ids(service.key)["status"],
        {
            "name": str(service.title),
            "redirect_uris": [],
            "api_scopes": ["status:write"],
            "saml_entity_id": base_url + "/saml/metadata",
        },
        secret(service.key, "status"),
    )


# --- serving -------------------------------------------------------------------------------


@dataclass
class Running:
    name: str
    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def serve(name: str, app: object, host: str, port: int) -> Running:
    server = make_server(host, port, app, threaded=True)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return Running(name, f"http://{host}:{server.server_port}", server, thread)


def start_all(hub: Flask, host: str, var_dir: Path) -> list[str]:
    """devrun: the payment simulators and every service app on their ports, registered at the
    hub with demo credentials; the banner lines (a taken port is reported, not fatal)."""
    from connectors.payment.giro_simulator import GiroSimulator, Project
    from connectors.payment.giro_simulator import create_app as giro_app
    from connectors.payment.paypal_simulator import Merchant, PayPalSimulator
    from connectors.payment.paypal_simulator import create_app as paypal_app
    from services.kit import create_service_app
    from services.kit.storage import upgrade

    hub_url = hub.extensions["settings"].base_url
    paypal_url, giro_url = f"http://{host}:{PAYPAL_PORT}", f"http://{host}:{GIRO_PORT}"
    urls = {key: f"http://{host}:{module(key).PORT}" for key in SERVICE_MODULES}
    # One PayPal app per service, as a city would set it up: each has its own webhook URL.
    merchants = {
        f"{PAYPAL_CLIENT}-{key}": Merchant(
            PAYPAL_SECRET, url + "/zahlung/paypal/benachrichtigung", "WH-DEMO-STADTKASSE"
        )
        for key, url in urls.items()
    }
    lines = ["  Services (demo clerks: password " + CLERK_PASSWORD + "):"]
    paypal = PayPalSimulator(paypal_url, merchants)
    giro = GiroSimulator(giro_url, {GIRO_PROJECT: Project(GIRO_MERCHANT, GIRO_SECRET)})
    for name, app, port in (
        ("PayPal sim", paypal_app(paypal), PAYPAL_PORT),
        ("Giro sim", giro_app(giro), GIRO_PORT),
    ):
        lines.append(_start(name, app, host, port, "/sim/"))
    for key in SERVICE_MODULES:
        payment = payment_config(paypal_url, giro_url, paypal_client=f"{PAYPAL_CLIENT}-{key}")
        service: Service = module(key).SERVICE
        folder = var_dir / "services" / key
        database = f"sqlite:///{folder / 'service.db'}"
        upgrade(database)
        config = service_config(key, urls[key], hub_url, database, folder, payment)
        app = create_service_app(service, config)
        register_service(hub, service, app, urls[key])
        line = _start(str(service.title), app, host, module(key).PORT, "/")
        lines.append(f"{line}  ({service.protocol}, {service.level}; {clerk_email(key)})")
    return [*lines, ""]


def _start(name: str, app: object, host: str, port: int, path: str) -> str:
    try:
        running = serve(name, app, host, port)
    except OSError as exc:
        return f"    {name + ':':<24} not started (port {port}: {exc.strerror})"
    return f"    {name + ':':<24} {running.url}{path}"
