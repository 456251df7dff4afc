"""``flask certs …`` through Flask's CLI runner, on both storage backends."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import Flask

from certs.models import ManagedKey
from core.clock import FrozenClock
from core.db import db
from tests.integration.test_certs_lifecycle import key_events
from tests.unit.test_certs_imports import PASSWORD, city_pki, p12, rsa_key


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["certs", *args])


def rows(app: Flask) -> list[ManagedKey]:
    with app.app_context():
        found: list[ManagedKey] = app.extensions["certs"].rows()
        for row in found:
            db.session.expunge(row)
        return found


def one(app: Flask, purpose: str, state: str) -> ManagedKey:
    matches = [r for r in rows(app) if r.purpose == purpose and r.state == state]
    assert len(matches) == 1, matches
    return matches[0]


def test_list_shows_every_key(app: Flask) -> None:
    result = run(app, "list")
    assert result.exit_code == 0
    for row in rows(app):
        assert row.id in result.output and row.fingerprint in result.output
    assert "saml-encryption" in run(app, "list", "--purpose", "saml-encryption").output
    assert "oidc-signing" not in run(app, "list", "--purpose", "saml-encryption").output


def test_create_activate_retire_remove(app: Flask, clock: FrozenClock) -> None:
    result = run(app, "create", "eid-tls", "--algorithm", "ec-p256")
    assert result.exit_code == 0 and "next" in result.output
    first = one(app, "eid-tls", "next")
    assert run(app, "activate", first.kid).exit_code == 0  # the first of its kind: at once
    assert run(app, "create", "eid-tls", "--algorithm", "ec-p256").exit_code == 0
    second = one(app, "eid-tls", "next")

    early = run(app, "activate", second.id[:8])
    assert early.exit_code == 1 and "frühestens" in early.output
    assert one(app, "eid-tls", "next").id == second.id
    forced = run(app, "activate", second.id, "--force", "--reason", "Test")
    assert forced.exit_code == 0
    assert one(app, "eid-tls", "active").id == second.id
    assert one(app, "eid-tls", "retired").id == first.id

    refused = run(app, "remove", first.id)
    assert refused.exit_code == 1 and "frühestens" in refused.output
    assert run(app, "remove", first.id, "--force", "--reason", "Test").exit_code == 0
    last = run(app, "retire", second.id)
    assert last.exit_code == 1 and "Nachfolger" in last.output  # the purpose's last signer
    assert run(app, "retire", second.id, "--force").exit_code == 0
    assert one(app, "eid-tls", "retired").id == second.id
    with app.app_context():
        events = key_events()
        assert all(e.details.get("via", "").startswith("cli:") for e in events[-6:])


def test_refusals_are_messages_not_tracebacks(app: Flask) -> None:
    for args in (
        ("activate", "no-such-key"),
        ("create", "saml-encryption", "--algorithm", "ec-p256"),
        ("retire", one(app, "saml-signing", "active").id),
    ):
        result = run(app, *args)
        assert result.exit_code == 1, args
        assert "Error:" in result.output and "Traceback" not in result.output
    assert run(app, "create", "no-purpose").exit_code == 2


def test_import_and_export(app: Flask, tmp_path: Path) -> None:
    pki, key = city_pki(), rsa_key(3072, "cli")
    bundle = tmp_path / "stadt.p12"
    bundle.write_bytes(p12(key, pki.leaf(key), [pki.intermediate]))
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    wrong = tmp_path / "wrong"
    wrong.write_text("falsch")

    refused = run(app, "import", "saml-signing", str(bundle), "--password-file", str(wrong))
    assert refused.exit_code == 1 and "Passwort" in refused.output
    imported = run(
        app, "import", "saml-signing", str(bundle), "--password-file", str(password_file)
    )
    assert imported.exit_code == 0, imported.output
    row = one(app, "saml-signing", "next")
    assert row.origin == "imported"

    public = run(app, "export", row.id)
    certs = x509.load_pem_x509_certificates(public.output.encode())
    assert [c.subject for c in certs] == [pki.leaf(key).subject, pki.intermediate.subject]
    assert "PRIVATE" not in public.output

    target = tmp_path / "backup.p12"
    assert run(app, "export", row.id, "--private").exit_code != 0  # needs --out
    short = tmp_path / "short"
    short.write_text("kurz")
    too_short = run(
        app, "export", row.id, "--private", "--out", str(target), "--password-file", str(short)
    )
    assert too_short.exit_code == 1 and not target.exists()
    long_password = tmp_path / "long"
    long_password.write_text("ein sehr langes Backup-Passwort")
    done = run(
        app,
        "export",
        row.id,
        "--private",
        "--out",
        str(target),
        "--password-file",
        str(long_password),
    )
    assert done.exit_code == 0 and target.stat().st_mode & 0o077 == 0
    restored, _, _ = pkcs12.load_key_and_certificates(
        target.read_bytes(), b"ein sehr langes Backup-Passwort"
    )
    assert restored is not None and restored.public_key() == key.public_key()
    with app.app_context():
        assert key_events()[-1].event == "key.exported"


def test_rotate_check_rollover_rekey_and_jwks(app: Flask) -> None:
    assert "nothing to do" in run(app, "rotate").output
    assert run(app, "check").exit_code == 0
    rsa_active = next(
        r for r in rows(app) if r.purpose == "oidc-signing" and r.algorithm == "rsa-3072"
    )
    assert run(app, "rollover", "oidc-signing").exit_code == 2  # --reason is required
    result = run(
        app, "rollover", "oidc-signing", "--reason", "Schlüssel kompromittiert", "--remove-old"
    )
    assert result.exit_code == 0
    assert rsa_active.id not in {r.id for r in rows(app)}
    published = json.loads(run(app, "jwks").output)
    assert rsa_active.kid not in {k["kid"] for k in published["keys"]}
    assert len(published["keys"]) == 2
    assert "re-encrypted 0 keys" in run(app, "rekey").output
