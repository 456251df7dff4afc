"""The relying-party registry: checks, hashed secrets shown once, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from core.audit import AuditRecord
from core.db import db
from idp.oidc import registry
from idp.oidc.models import OidcClient
from idp.oidc.registry import ClientSpec

EC_PUBLIC = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}


def _spec(**changes: object) -> ClientSpec:
    values: dict[str, object] = {"name": "Sperrmüll", "redirect_uris": ["https://rp.example/cb"]}
    values.update(changes)
    return ClientSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"redirect_uris": ["/relative"]}, "redirect_uris"),
        ({"redirect_uris": ["https://rp.example/cb#frag"]}, "redirect_uris"),
        ({"redirect_uris": ["https://user:pw@rp.example/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "redirect_uris"),
        ({"post_logout_redirect_uris": ["ftp://rp.example/"]}, "post_logout_redirect_uris"),
        ({"backchannel_logout_uri": "not a url"}, "backchannel_logout_uri"),
        ({"auth_method": "client_secret_jwt"}, "auth_method"),
        ({"scopes": ["openid", "offline_access"]}, "scopes"),
        ({"scopes": ["profile"]}, "scopes"),
        ({"release": ["password"]}, "release"),
        ({"min_level": "medium"}, "min_level"),
        ({"consent": "never"}, "consent"),
        ({"id_token_alg": "HS256"}, "id_token_alg"),
        ({"id_token_alg": "none"}, "id_token_alg"),
        ({"auth_method": "private_key_jwt"}, "jwks"),
        (
            {"auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}},
            "jwks",
        ),
        ({"auth_method": "private_key_jwt", "jwks": {"keys": [{**EC_PUBLIC, "d": "x"}]}}, "jwks"),
        ({"auth_method": "private_key_jwt", "jwks": {"nokeys": 1}}, "jwks"),
    ],
)
def test_bad_specs_are_refused(app: Flask, changes: dict[str, object], field: str) -> None:
    with app.test_request_context():
        found = registry.problems(_spec(**changes), production=False)
    assert field in [name for name, _ in found]


def test_http_redirects_only_on_loopback_in_production(app: Flask) -> None:
    with app.test_request_context():
        assert registry.problems(_spec(redirect_uris=["http://rp.example/cb"]), True)
        assert not registry.problems(_spec(redirect_uris=["http://127.0.0.1:9000/cb"]), True)
        assert not registry.problems(_spec(redirect_uris=["http://rp.example/cb"]), False)


def test_secret_is_shown_once_and_stored_as_keyed_hash(app: Flask) -> None:
    with app.test_request_context():
        client, secret = registry.register(_spec())
        assert secret and len(secret) >= 43
        stored = db.session.get(OidcClient, client.client_id)
        assert stored is not None and stored.secret_hash
        assert secret not in stored.secret_hash and len(stored.secret_hash) == 64
        assert registry.secret_matches(stored, secret)
        assert not registry.secret_matches(stored, secret[:-1] + "x")
        assert not registry.secret_matches(stored, "")
        new = registry.rotate_secret(stored)
        assert new and new != secret
        assert registry.secret_matches(stored, new) and not registry.secret_matches(stored, secret)
        events = [r.event for r in db.session.scalars(select(AuditRecord))]
        assert "oidc.client_registered" in events and "oidc.client_secret_rotated" in events


def test_public_and_key_clients_have_no_secret(app: Flask) -> None:
    with app.test_request_context():
        _c, secret = registry.register(_spec(auth_method="none"))
        assert secret is None
        spec = _spec(auth_method="private_key_jwt", jwks={"keys": [EC_PUBLIC]})
        assert registry.problems(spec, production=False) == []
        client, secret = registry.register(spec)
        assert secret is None and client.jwks == {"keys": [EC_PUBLIC]}
        # switching to a secret method issues a secret; staying keeps it
        spec.auth_method = "client_secret_post"
        assert registry.update(client, spec)
        assert registry.update(client, spec) is None


def test_sector_identifier_defaults_to_client_id_and_is_kept(app: Flask) -> None:
    with app.test_request_context():
        client, _s = registry.register(_spec())
        assert client.sector_identifier == client.client_id
        spec = registry.spec_of(client)
        spec.sector_identifier = ""
        registry.update(client, spec)
        assert client.sector_identifier == client.client_id


def test_cli_create_show_update_disable(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "oidc-clients", "create", "Kita-Anmeldung", "--client-id", "kita",
            "--redirect-uri", "https://kita.example/cb", "--scope", "profile",
            "--release", "given_names", "--min-level", "low", "--consent", "skip",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "client_id: kita" in result.output and "client_secret: " in result.output
    again = runner.invoke(
        args=[
            "oidc-clients",
            "create",
            "X",
            "--client-id",
            "kita",
            "--redirect-uri",
            "https://x.example/",
        ]
    )
    assert again.exit_code != 0 and "exists" in again.output
    bad = runner.invoke(
        args=["oidc-clients", "create", "X", "--redirect-uri", "https://x.example/#f"]
    )
    assert bad.exit_code != 0 and "redirect_uris" in bad.output
    shown = runner.invoke(args=["oidc-clients", "show", "kita"])
    data = json.loads(shown.output)
    assert data["scopes"] == ["openid", "profile"] and data["consent"] == "skip"
    assert "secret" not in shown.output.replace("client_secret_basic", "")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [EC_PUBLIC]}))
    changed = runner.invoke(
        args=[
            "oidc-clients",
            "update",
            "kita",
            "--auth-method",
            "private_key_jwt",
            "--jwks-file",
            str(jwks),
        ]
    )
    assert changed.exit_code == 0, changed.output
    assert runner.invoke(args=["oidc-clients", "rotate-secret", "kita"]).exit_code != 0
    assert runner.invoke(args=["oidc-clients", "disable", "kita"]).exit_code == 0
    listed = runner.invoke(args=["oidc-clients", "list"]).output
    assert "kita\tdisabled\tprivate_key_jwt\tKita-Anmeldung" in listed
    assert runner.invoke(args=["oidc-clients", "disable", "nope"]).exit_code != 0
