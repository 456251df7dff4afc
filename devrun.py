"""``make run``: migrate the SQLite database, create demo data, start the hub.

Development only: the in-process store, the outbox for mail, demo accounts. Later parts (the
eID simulator, the service apps) are started from here as well, each on its own port.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.serving import BaseWSGIServer

    from core.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Bürgerportal for development.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    os.environ.setdefault("PORTAL_ENV", "development")
    os.environ.setdefault("DEMO_DATA", "true")
    os.environ.setdefault("PORTAL_BASE_URL", f"http://{args.host}:{args.port}")
    simulated = _configure_eid_simulator(args.host)

    from core import migrate
    from core.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if settings.is_production:
        print(
            "devrun.py is for development; use gunicorn 'wsgi:app' in production", file=sys.stderr
        )
        return 2
    migrate.upgrade(settings.database_url)

    import wsgi

    app = wsgi.create_app(settings)
    demo: tuple[tuple[str, str], tuple[str, str]] | None = None
    if settings.demo_data:
        from account.demo import DEMO_ADMIN, DEMO_CITIZEN, create_demo_data

        with app.app_context():
            create_demo_data()
        demo = (DEMO_CITIZEN, DEMO_ADMIN)
    eid_lines = _start_eid_simulator(app, args.host)[0] if simulated else _eid_banner(settings)
    service_lines = _start_services(app, args.host, settings.var_dir)

    def banner() -> None:
        _banner(settings.base_url, demo)
        print("\n".join(eid_lines + service_lines), flush=True)

    return _serve(app, args.host, args.port, banner)


def _serve(app: Flask, host: str, port: int, banner: Callable[[], None]) -> int:
    """Bind first (a taken port is a clear message, not a traceback), then print the URLs."""
    from werkzeug.serving import make_server

    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        print(f"cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        print("start it on another port, e.g. `PORT=8001 make run`", file=sys.stderr)
        return 2
    banner()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _banner(base: str, demo: tuple[tuple[str, str], tuple[str, str]] | None) -> None:
    lines = [
        "",
        "Bürgerportal (development)",
        f"  Hub:            {base}/",
        f"  Login:          {base}/anmelden",
        f"  Mail outbox:    {base}/dev/outbox/",
        f"  Health:         {base}/healthz   {base}/readyz",
    ]
    if demo is not None:
        (citizen, admin) = demo
        lines += [
            f"  Demo citizen:   {citizen[0]} / {citizen[1]}",
            f"  Demo admin:     {admin[0]} / {admin[1]}   (admin pages: {base}/verwaltung)",
        ]
    lines += ["  Stop with Ctrl+C.", ""]
    print("\n".join(lines), flush=True)


def _simulator_dir() -> Path:
    return Path(os.environ.get("PORTAL_VAR_DIR", "var")) / "eid-simulator"


def _configure_eid_simulator(host: str) -> bool:
    """Point the hub at the simulator (unless EID_ENABLED=false or EID_SERVER_URL names another
    eID-Server): its SOAP endpoint (``EID_SIMULATOR_PORT``, default 8470) and its signing
    certificate, made now in ``var/eid-simulator``. The simulator learns the hub's WS-Security
    certificate once the hub has made its keys (:func:`_start_eid_simulator`)."""
    from connectors.eid.simulator import keys
    from connectors.eid.wiring import SIMULATOR_MARK

    os.environ.setdefault("EID_ENABLED", "true")
    if os.environ["EID_ENABLED"].strip().lower() not in {"1", "true", "yes", "on"}:
        return False
    if os.environ.get("EID_SERVER_URL"):
        return False
    port = int(os.environ.get("EID_SIMULATOR_PORT", "8470"))
    keys.load_or_create(_simulator_dir(), "wssec", SIMULATOR_MARK)
    os.environ["EID_SERVER_URL"] = f"http://{host}:{port}/eID"
    os.environ.setdefault("EID_SERVER_CERT", str(_simulator_dir() / "wssec.crt"))
    os.environ.setdefault("EID_SERVICE_SECTOR", "https://buergerportal.example")
    return True


def _eid_banner(settings: Settings) -> list[str]:
    if not settings.eid_enabled:
        return ["  Online-Ausweis: off (EID_ENABLED=false)", ""]
    return [f"  eID-Server:     {settings.eid_server_url} (no simulator started)", ""]


def _start_eid_simulator(app: Flask, host: str) -> tuple[list[str], list[BaseWSGIServer]]:
    """The eID-Server simulator and its eID-Client stand-in (``EID_CLIENT_URL``, default
    AusweisApp's address) in background threads, trusting the hub's WS-Security certificate."""
    import threading
    from urllib.parse import urlsplit

    from werkzeug.serving import make_server

    from certs import KeyPurpose, keyring
    from connectors.eid.schema import InterfaceVersion
    from connectors.eid.simulator.app import build
    from connectors.eid.simulator.config import SimulatorConfig

    settings: Settings = app.extensions["settings"]
    with app.app_context():
        hub_cert = keyring().active(KeyPurpose.EID_WSSEC).certificate_pem()
    server = urlsplit(settings.eid_server_url)
    config = SimulatorConfig(
        var_dir=_simulator_dir(),
        server_url=f"http://{host}:{server.port}",
        client_url=settings.eid_client_url,
        sector=settings.eid_sector,
        version=InterfaceVersion(settings.eid_interface_version),
        service_cert_pem=hub_cert,
    )
    client_url = settings.eid_client_url
    client = urlsplit(client_url)
    sim = build(config)
    started: list[BaseWSGIServer] = []
    lines: list[str] = []
    for name, bind, port, wsgi_app, url in (
        ("eID-Server sim", host, server.port or 80, sim.server_app, f"{config.server_url}/eID"),
        ("eID-Client sim", client.hostname or host, client.port or 80, sim.client_app, client_url),
    ):
        try:
            started.append(make_server(bind, port, wsgi_app, threaded=True))
        except OSError as exc:
            lines.append(
                f"  {name}: not started ({exc.strerror}; set EID_SIMULATOR_PORT / EID_CLIENT_URL)"
            )
            continue
        lines.append(f"  {name}: {url}")
    for running in started:
        threading.Thread(target=running.serve_forever, daemon=True).start()
    lines.append(f"  Test cards:     PIN 123456 (control page {config.server_url}/)")
    return [*lines, ""], started


def _start_services(app: Flask, host: str, var_dir: os.PathLike[str]) -> list[str]:
    """The city's service apps and the payment simulators, registered at the hub (dev_services)."""
    from pathlib import Path

    import dev_services

    with app.app_context():
        return dev_services.start_all(app, host, Path(var_dir))


if __name__ == "__main__":
    sys.exit(main())
