"""``make run``: migrate the SQLite database, create demo data, start the hub.

Development only: the in-process store, the outbox for mail, demo accounts. Later parts (the
eID simulator, the service apps) are started from here as well, each on its own port.
"""

from __future__ import annotations

import argparse
import os
import sys


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
    if settings.demo_data:
        from account.demo import DEMO_ADMIN, DEMO_CITIZEN, create_demo_data

        with app.app_context():
            create_demo_data()
        _banner(settings.base_url, DEMO_CITIZEN, DEMO_ADMIN)
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False, threaded=True)
    return 0


def _banner(base: str, citizen: tuple[str, str], admin: tuple[str, str]) -> None:
    lines = [
        "",
        "Bürgerportal (development)",
        f"  Hub:            {base}/",
        f"  Mail outbox:    {base}/dev/outbox/",
        f"  Demo citizen:   {citizen[0]} / {citizen[1]}",
        f"  Demo admin:     {admin[0]} / {admin[1]}   (admin pages: {base}/verwaltung)",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
