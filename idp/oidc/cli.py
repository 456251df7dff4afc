"""``flask oidc-clients …``: the relying-party registry for operators."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup

from idp.oidc import registry
from idp.oidc.models import OidcClient
from idp.oidc.registry import ClientSpec

F = TypeVar("F", bound=Callable[..., Any])


@click.group("oidc-clients", cls=AppGroup)
def oidc_clients() -> None:
    """OpenID Connect relying parties."""


def _spec_options(func: F) -> F:
    options = [
        click.option("--redirect-uri", "redirect_uris", multiple=True, help="exact, repeatable"),
        click.option("--auth-method", type=click.Choice(registry.AUTH_METHODS)),
        click.option("--post-logout-uri", "post_logout_redirect_uris", multiple=True),
        click.option("--backchannel-logout-uri"),
        click.option("--scope", "scopes", multiple=True, help="openid is always added"),
        click.option("--release", multiple=True, help="attribute names (account/attributes.py)"),
        click.option("--min-level", type=click.Choice(["low", "substantial", "high"])),
        click.option("--consent", type=click.Choice(registry.CONSENT_MODES)),
        click.option("--id-token-alg", type=click.Choice(registry.ID_TOKEN_ALGS)),
        click.option("--jwks-file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option("--sector-identifier"),
        click.option("--api-scope", "api_scopes", multiple=True, help="client_credentials"),
        click.option("--role", "roles", multiple=True, help="clerk:<service> it may learn"),
        click.option("--saml-sp", "saml_entity_id", help="SAML SP whose NameIDs it uses"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _merge(spec: ClientSpec, options: dict[str, Any]) -> ClientSpec:
    for name in ("redirect_uris", "post_logout_redirect_uris", "release", "api_scopes", "roles"):
        if options.get(name):
            setattr(spec, name, list(options[name]))
    if options.get("scopes"):
        spec.scopes = ["openid", *options["scopes"]]
    for name in ("auth_method", "backchannel_logout_uri", "min_level", "consent"):
        if options.get(name) is not None:
            setattr(spec, name, options[name])
    if options.get("id_token_alg"):
        spec.id_token_alg = options["id_token_alg"]
    if options.get("sector_identifier"):
        spec.sector_identifier = options["sector_identifier"]
    if options.get("saml_entity_id") is not None:
        spec.saml_entity_id = options["saml_entity_id"]
    jwks_file: Path | None = options.get("jwks_file")
    if jwks_file is not None:
        try:
            spec.jwks = json.loads(jwks_file.read_text())
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"cannot read {jwks_file}: {exc}") from exc
    return spec


def _checked(spec: ClientSpec) -> None:
    found = registry.problems(spec, current_app.extensions["settings"].is_production)
    if found:
        raise click.ClickException("; ".join(f"{name}: {msg}" for name, msg in found))


def _client(client_id: str) -> OidcClient:
    client = registry.get(client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id}")
    return client


def _echo_secret(secret: str | None) -> None:
    if secret:
        click.echo(f"client_secret: {secret}")
        click.echo("(shown once: it is stored only as a keyed hash)")


@oidc_clients.command("create")
@click.argument("name")
@click.option("--client-id", help="default: random")
@_spec_options
def create(name: str, client_id: str | None, **options: Any) -> None:
    """Register the relying party NAME."""
    with current_app.test_request_context():
        spec = _merge(ClientSpec(name=name, redirect_uris=[]), options)
        _checked(spec)
        if client_id is not None:
            if not registry.CLIENT_ID_RE.match(client_id):
                raise click.ClickException("client id: 3-64 of A-Z a-z 0-9 . _ ~ -")
            if registry.get(client_id) is not None:
                raise click.ClickException(f"client {client_id} exists already")
        client, secret = registry.register(spec, client_id=client_id)
    click.echo(f"client_id: {client.client_id}")
    _echo_secret(secret)


@oidc_clients.command("update")
@click.argument("client_id")
@click.option("--name")
@_spec_options
def update(client_id: str, name: str | None, **options: Any) -> None:
    """Change the given settings of CLIENT_ID (others stay as they are)."""
    with current_app.test_request_context():
        client = _client(client_id)
        spec = _merge(registry.spec_of(client), options)
        if name:
            spec.name = name
        _checked(spec)
        secret = registry.update(client, spec)
    click.echo(f"updated {client_id}")
    _echo_secret(secret)


@oidc_clients.command("rotate-secret")
@click.argument("client_id")
def rotate_secret(client_id: str) -> None:
    """Replace the secret of CLIENT_ID (the old one stops working at once)."""
    secret = registry.rotate_secret(_client(client_id))
    if secret is None:
        raise click.ClickException("this client does not authenticate with a secret")
    _echo_secret(secret)


@oidc_clients.command("disable")
@click.argument("client_id")
def disable(client_id: str) -> None:
    registry.set_enabled(_client(client_id), False)
    click.echo(f"disabled {client_id}")


@oidc_clients.command("enable")
@click.argument("client_id")
def enable(client_id: str) -> None:
    registry.set_enabled(_client(client_id), True)
    click.echo(f"enabled {client_id}")


@oidc_clients.command("list")
def list_clients() -> None:
    for c in registry.all_clients():
        state = "enabled" if c.enabled else "disabled"
        click.echo(f"{c.client_id}\t{state}\t{c.auth_method}\t{c.name}")


@oidc_clients.command("show")
@click.argument("client_id")
def show(client_id: str) -> None:
    client = _client(client_id)
    data = {"client_id": client.client_id, "enabled": client.enabled, **vars_of(client)}
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def vars_of(client: OidcClient) -> dict[str, Any]:
    spec = registry.spec_of(client)
    return {k: v for k, v in vars(spec).items()}
