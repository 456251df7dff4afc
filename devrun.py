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
    return _serve(app, args.host, args.port, lambda: _banner(settings.base_url, demo))


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


if __name__ == "__main__":
    sys.exit(main())
