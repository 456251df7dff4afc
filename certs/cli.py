"""``flask certs …``: the operators' key management (see docs/KEYS.md).

A key is named by its id or its ``kid`` (or an unambiguous prefix of at least 8 characters).
Passwords are never command-line arguments (they would show in the process list): they are
asked for, or read from a file.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup

from certs import exports, rotation
from certs.lifecycle import Actor, KeyManager, manager
from certs.models import ManagedKey
from certs.sealing import reseal_all
from certs.types import CertsError, KeyAlgorithm, KeyNotFound, KeyPurpose, KeyState

P = ParamSpec("P")
R = TypeVar("R")

PURPOSE = click.Choice([p.value for p in KeyPurpose])
ALGORITHM = click.Choice([a.value for a in KeyAlgorithm])
MIN_PREFIX = 8


def _actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(via=f"cli:{user}")


def _refusals(command: Callable[P, R]) -> Callable[P, R]:
    """A refusal is a clear message and exit status 1, never a traceback."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CertsError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def resolve(found: KeyManager, ref: str) -> ManagedKey:
    rows = found.rows()
    exact = [r for r in rows if ref in (r.id, r.kid)]
    if exact:
        return exact[0]
    matches = [
        r
        for r in rows
        if len(ref) >= MIN_PREFIX and (r.id.startswith(ref) or r.kid.startswith(ref))
    ]
    if len(matches) == 1:
        return matches[0]
    raise KeyNotFound(ref)


def _password(password_file: Path | None, ask: bool, *, confirm: bool = False) -> str | None:
    if password_file is not None:
        return password_file.read_text().rstrip("\r\n")
    if ask:
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=confirm))
    return None


@click.group("certs", cls=AppGroup)
def certs() -> None:
    """Keys and certificates: list, create, import, activate, retire, remove, export, rotate."""


@certs.command("list")
@click.option("--purpose", type=PURPOSE, default=None)
def list_keys(purpose: str | None) -> None:
    """Every stored key with state, validity and fingerprint."""
    found = manager()
    rows = [r for r in found.rows() if purpose is None or r.purpose == purpose]
    if not rows:
        click.echo("no keys")
        return
    for row in rows:
        click.echo(_describe(found, row))


def _describe(found: KeyManager, row: ManagedKey) -> str:
    lines = [
        f"{row.id}  {row.purpose:<16} {row.algorithm:<9} {row.state:<8} kid={row.kid}",
        f"    valid {row.not_before:%Y-%m-%d %H:%M} .. {row.not_after:%Y-%m-%d %H:%M} UTC"
        f"  origin={row.origin}  sha256={row.fingerprint}",
    ]
    if row.subject:
        lines.append(f"    subject {row.subject}  issuer {row.issuer}")
    if row.state == KeyState.NEXT.value:
        lines.append(f"    may be activated from {found.activatable_at(row):%Y-%m-%d %H:%M} UTC")
    removable = found.removable_at(row)
    if removable is not None:
        lines.append(f"    may be removed from {removable:%Y-%m-%d %H:%M} UTC")
    return "\n".join(lines)


@certs.command("create")
@click.argument("purpose", type=PURPOSE)
@click.option("--algorithm", type=ALGORITHM, default=KeyAlgorithm.RSA_3072.value)
@click.option("--activate", is_flag=True, help="Only for the first key of its kind.")
@_refusals
def create(purpose: str, algorithm: str, activate: bool) -> None:
    """Generate a key (published as next; self-signed certificate for SAML and eID)."""
    found = manager()
    row = found.create(KeyPurpose(purpose), KeyAlgorithm(algorithm), _actor(), activate=activate)
    click.echo(_describe(found, found.get(row.id)))


@certs.command("import")
@click.argument("purpose", type=PURPOSE)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ask-password", is_flag=True, help="Ask for the file's password.")
@_refusals
def import_key(
    purpose: str, file: Path, key_file: Path | None, password_file: Path | None, ask_password: bool
) -> None:
    """Import FILE: PKCS#12, or PEM with certificate(s) and key (or the key in --key)."""
    found = manager()
    row = found.import_key(
        KeyPurpose(purpose),
        file.read_bytes(),
        key_file.read_bytes() if key_file else None,
        _password(password_file, ask_password),
        _actor(),
    )
    click.echo(_describe(found, found.get(row.id)))


@certs.command("activate")
@click.argument("key")
@click.option("--force", is_flag=True, help="Before the lead time has passed (compromise).")
@click.option("--reason", default="")
@_refusals
def activate(key: str, force: bool, reason: str) -> None:
    """Let KEY sign; the active key of its kind is retired."""
    found = manager()
    row = found.activate(resolve(found, key).id, _actor(), force=force, reason=reason)
    click.echo(_describe(found, found.get(row.id)))


@certs.command("retire")
@click.argument("key")
@click.option("--force", is_flag=True, help="Even if nothing of its kind would sign any more.")
@_refusals
def retire(key: str, force: bool) -> None:
    """Stop KEY signing; it stays published and verifies until removed."""
    found = manager()
    row = found.retire(resolve(found, key).id, _actor(), force=force)
    click.echo(_describe(found, found.get(row.id)))


@certs.command("remove")
@click.argument("key")
@click.option("--force", is_flag=True, help="Before its signatures have expired (compromise).")
@click.option("--reason", default="")
@_refusals
def remove(key: str, force: bool, reason: str) -> None:
    """Unpublish and delete KEY (next or retired keys only)."""
    found = manager()
    row = resolve(found, key)
    label = f"{row.purpose}/{row.algorithm} {row.kid}"
    found.remove(row.id, _actor(), force=force, reason=reason)
    click.echo(f"removed {label}")


@certs.command("rollover")
@click.argument("purpose", type=PURPOSE)
@click.option("--algorithm", type=ALGORITHM, default=KeyAlgorithm.RSA_3072.value)
@click.option("--reason", required=True)
@click.option("--remove-old", is_flag=True, help="Unpublish the old key at once (compromise).")
@_refusals
def rollover(purpose: str, algorithm: str, reason: str, remove_old: bool) -> None:
    """Forced early rollover: a new key signs now; the old one is retired (or removed)."""
    found = manager()
    row = found.rollover(
        KeyPurpose(purpose), KeyAlgorithm(algorithm), _actor(), reason=reason, remove_old=remove_old
    )
    click.echo(_describe(found, found.get(row.id)))


@certs.command("export")
@click.argument("key")
@click.option("--private", "private", is_flag=True, help="The private key as PKCS#12.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_refusals
def export(key: str, private: bool, out: Path | None, password_file: Path | None) -> None:
    """Print KEY's certificate chain (or public key); --private writes a PKCS#12 to --out."""
    found = manager()
    row = resolve(found, key)
    if not private:
        text = exports.public_pem(found, row.id)
        if out is None:
            click.echo(text, nl=False)
        else:
            out.write_text(text)
        return
    if out is None:
        raise click.UsageError("--private needs --out FILE (never printed to the terminal)")
    password = _password(password_file, True, confirm=True) or ""
    data = exports.private_pkcs12(found, row.id, password, _actor())
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    click.echo(f"wrote {out} (PKCS#12, mode 0600)")


@certs.command("rotate")
@_refusals
def rotate() -> None:
    """The scheduled rollover: run daily (cron, systemd timer)."""
    report = rotation.rotate(manager())
    for line in report.actions:
        click.echo(line)
    for line in report.warnings:
        click.echo(f"WARNING: {line}", err=True)
    if not report.actions and not report.warnings:
        click.echo("nothing to do")


@certs.command("check")
def check() -> None:
    """The production start-up check; exit status 1 when the portal would refuse to start."""
    found = manager()
    problems = rotation.startup_problems(found)
    for line in rotation.expiry_warnings(found):
        click.echo(f"WARNING: {line}", err=True)
    if problems:
        raise click.ClickException("; ".join(problems))
    click.echo(f"ok: {len(found.policy.required)} required keys active")


@certs.command("rekey")
@_refusals
def rekey() -> None:
    """Re-encrypt every private key, and re-seal the secrets other layers keep (TOTP seeds),
    under the current CERTS_KEK (see KEK rotation)."""
    changed = exports.rewrap_all(manager(), _actor())
    click.echo(f"re-encrypted {changed} keys")
    for name, count in reseal_all(current_app).items():
        click.echo(f"re-sealed {count} {name}")


@certs.command("jwks")
@click.option("--purpose", type=PURPOSE, default=KeyPurpose.OIDC_SIGNING.value)
def jwks(purpose: str) -> None:
    """Print the published JWK Set of PURPOSE."""
    found = manager()
    click.echo(json.dumps(found.keyring.jwks(KeyPurpose(purpose)), indent=2))
