"""``make run``: migrate the SQLite database, create demo data, start the hub.

Development only: the in-process store, the outbox for mail, demo accounts. Later parts (the
eID simulator, the service apps) are started from here as well, each on its own port.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Bürgerportal for development.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    os.environ.setdefault("PORTAL_ENV", "development")
    os.environ.setdefault("DEMO_DATA", "true")
    os.environ.setdefault("PORTAL_BASE_URL", f"http://{args.host}:{args.port}")

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
    eid_lines = _start_eid_simulator(args.host, settings.var_dir)
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


def _start_eid_simulator(host: str, var_dir: os.PathLike[str]) -> list[str]:
    """The eID-Server simulator (``EID_SIMULATOR_PORT``, default 8470) and its eID-Client
    stand-in (``EID_CLIENT_URL``, default AusweisApp's address) in background threads."""
    import threading
    from pathlib import Path
    from urllib.parse import urlsplit

    from werkzeug.serving import make_server

    from connectors.eid.simulator.app import build
    from connectors.eid.simulator.config import SimulatorConfig
    from connectors.eid.tctoken import DEFAULT_CLIENT_URL

    port = int(os.environ.get("EID_SIMULATOR_PORT", "8470"))
    client_url = os.environ.get("EID_CLIENT_URL", DEFAULT_CLIENT_URL)
    config = SimulatorConfig(
        var_dir=Path(var_dir) / "eid-simulator",
        server_url=f"http://{host}:{port}",
        client_url=client_url,
    )
    client = urlsplit(client_url)
    try:
        sim = build(config)
        servers = [
            make_server(host, port, sim.server_app, threaded=True),
            make_server(client.hostname or host, client.port or 80, sim.client_app, threaded=True),
        ]
    except OSError as exc:
        reason = f"{exc.strerror}; set EID_SIMULATOR_PORT / EID_CLIENT_URL"
        return [f"  eID simulator:  not started ({reason})", ""]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return [
        f"  eID-Server sim: {config.server_url}/eID   (control page {config.server_url}/)",
        f"  eID-Client sim: {client_url}",
        "",
    ]


def _start_services(app: Flask, host: str, var_dir: os.PathLike[str]) -> list[str]:
    """The city's service apps and the payment simulators, registered at the hub (dev_services)."""
    from pathlib import Path

    import dev_services

    with app.app_context():
        return dev_services.start_all(app, host, Path(var_dir))


if __name__ == "__main__":
    sys.exit(main())
