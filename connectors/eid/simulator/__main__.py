"""``python -m connectors.eid.simulator``: the eID-Server double and the eID-Client stand-in.

Development only. The eID-Server listens on ``--server-port`` (plain HTTP, or TLS requiring a
client certificate with ``--tls-cert/--tls-key/--client-ca``); the eID-Client stand-in on the
port of ``--client-url`` (AusweisApp's ``http://127.0.0.1:24727/eID-Client`` by default; move
it when a real AusweisApp occupies the port). Keys are generated in ``--var-dir``.
"""

from __future__ import annotations

import argparse
import contextlib
import ssl
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import make_server

from connectors.eid.schema import InterfaceVersion
from connectors.eid.simulator.app import build
from connectors.eid.simulator.config import SimulatorConfig
from connectors.eid.tctoken import DEFAULT_CLIENT_URL


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m connectors.eid.simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--server-port", type=int, default=8470)
    parser.add_argument("--client-url", default=DEFAULT_CLIENT_URL)
    parser.add_argument("--var-dir", type=Path, default=Path("var/eid-simulator"))
    parser.add_argument("--version", choices=[v.value for v in InterfaceVersion], default="2.4.0")
    parser.add_argument("--sector", default="https://buergerportal.example")
    parser.add_argument("--service-cert", type=Path, help="PEM of the hub's WS-Security cert")
    parser.add_argument("--no-result-polls", type=int, default=0)
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument("--client-ca", type=Path, help="CA of the accepted TLS client certs")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> SimulatorConfig:
    scheme = "https" if args.tls_cert else "http"
    cert = args.service_cert.read_bytes() if args.service_cert else None
    return SimulatorConfig(
        var_dir=args.var_dir,
        server_url=f"{scheme}://{args.host}:{args.server_port}",
        client_url=args.client_url,
        version=InterfaceVersion(args.version),
        sector=args.sector,
        service_cert_pem=cert,
        no_result_polls=args.no_result_polls,
    )


def _tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not args.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    if args.client_ca:
        context.load_verify_locations(args.client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = config_from(args)
    sim = build(config)
    client = urlsplit(config.client_url)
    server = make_server(
        args.host, args.server_port, sim.server_app, threaded=True, ssl_context=_tls(args)
    )
    stand_in = make_server(
        client.hostname or "127.0.0.1", client.port or 24727, sim.client_app, threaded=True
    )
    threading.Thread(target=stand_in.serve_forever, name="eid-client", daemon=True).start()
    print(f"eID-Server simulator: {config.server_url}/eID  (control page {config.server_url}/)")
    print(f"eID-Client stand-in:  {config.client_url}")
    if config.service_cert_pem is None:
        print("warning: no --service-cert: every SOAP request is answered internalError")
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
