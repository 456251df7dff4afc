"""``python -m bench [name ...]``: run the benchmarks (default: all) and print a table each."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from bench import login, oidc, saml
from bench.report import Config, Table

BENCHMARKS: dict[str, Callable[[Config], Table]] = {
    "login": login.run,
    "oidc": oidc.run,
    "saml": saml.run,
}


def main(argv: list[str] | None = None) -> int:
    defaults = Config()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name", help=f"one of {', '.join(BENCHMARKS)}")
    parser.add_argument("-n", type=int, default=defaults.n, help="operations per round")
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="rounds (median)")
    parser.add_argument("--warmup", type=int, default=defaults.warmup, help="untimed operations")
    parser.add_argument(
        "--no-gunicorn", action="store_true", help="skip the measurements through gunicorn"
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if args.n < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error("-n and --rounds must be at least 1, --warmup at least 0")
    config = Config(n=args.n, rounds=args.rounds, warmup=args.warmup, gunicorn=not args.no_gunicorn)
    # Quiet start-up (migrations, app logging); benchmarks print only their tables.
    logging.basicConfig(level=logging.WARNING)
    for name in args.names or list(BENCHMARKS):
        print(BENCHMARKS[name](config).render(), end="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
