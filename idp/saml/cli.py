"""``flask saml-sps …``: register, list, change, disable and remove SAML service providers."""

from __future__ import annotations

from pathlib import Path

import click

from idp.saml import registry
from idp.saml.models import ServiceProvider, all_sps, sp_by_entity_id
from idp.saml.registry import RegistryRefused, SpSettings
from idp.saml.spmeta import MetadataRefused


def _split(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _sp(entity_id: str) -> ServiceProvider:
    sp = sp_by_entity_id(entity_id)
    if sp is None:
        raise click.ClickException(f"no SP {entity_id}")
    return sp


@click.group("saml-sps")
def saml_sps() -> None:
    """SAML service providers."""


@saml_sps.command("add")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url")
@click.option("--name")
@click.option("--release", help="comma-separated attribute names (account/attributes.py)")
@click.option("--name-id-formats", default="persistent,transient", show_default=True)
@click.option("--min-level", default="low", type=click.Choice(registry.LEVELS))
@click.option("--roles", help="comma-separated roles the SP may learn (clerk:<service>)")
@click.option("--encrypt/--no-encrypt", default=False)
@click.option("--sign-response/--no-sign-response", default=True)
@click.option("--sign-assertion/--no-sign-assertion", default=True)
@click.option("--require-signed-requests/--allow-unsigned-requests", default=True)
@click.option(
    "--idp-initiated/--no-idp-initiated",
    default=False,
    help="allow IdP-initiated SSO (GET /saml/unsolicited, docs/SAML.md)",
)
def add(
    path: Path | None,
    url: str | None,
    name: str | None,
    release: str | None,
    name_id_formats: str,
    min_level: str,
    roles: str | None,
    encrypt: bool,
    sign_response: bool,
    sign_assertion: bool,
    require_signed_requests: bool,
    idp_initiated: bool,
) -> None:
    """Register an SP from its metadata (--file or --url)."""
    if (path is None) == (url is None):
        raise click.ClickException("give exactly one of --file and --url")
    settings = SpSettings(
        sign_response=sign_response,
        sign_assertion=sign_assertion,
        encrypt_assertion=encrypt,
        require_signed_requests=require_signed_requests,
        allow_idp_initiated=idp_initiated,
        name_id_formats=_split(name_id_formats) or (),
        release=_split(release) or (),
        min_level=min_level,
        roles=_split(roles) or (),
    )
    try:
        data = path.read_bytes() if path is not None else registry.fetch_metadata(url or "")
        metadata = registry.read_metadata(data)
        sp = registry.register(metadata, settings, name=name, metadata_url=url)
    except (MetadataRefused, RegistryRefused, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"registered {sp.entity_id} ({sp.name})")


@saml_sps.command("list")
def list_() -> None:
    """All SPs with their state."""
    for sp in all_sps():
        state = "enabled" if sp.enabled else "disabled"
        unsolicited = "\tidp-initiated" if sp.allow_idp_initiated else ""
        click.echo(
            f"{sp.entity_id}\t{sp.name}\t{state}\tmin={sp.min_level}\t{','.join(sp.release)}"
            + unsolicited
        )


@saml_sps.command("set")
@click.argument("entity_id")
@click.option("--release")
@click.option("--name-id-formats")
@click.option("--min-level", type=click.Choice(registry.LEVELS))
@click.option("--roles", help="comma-separated roles the SP may learn (empty: none)")
@click.option("--encrypt/--no-encrypt", default=None)
@click.option(
    "--idp-initiated/--no-idp-initiated",
    default=None,
    help="allow IdP-initiated SSO (GET /saml/unsolicited, docs/SAML.md)",
)
def set_(
    entity_id: str,
    release: str | None,
    name_id_formats: str | None,
    min_level: str | None,
    roles: str | None,
    encrypt: bool | None,
    idp_initiated: bool | None,
) -> None:
    """Change an SP's release list, NameID formats, minimum level, roles, encryption or
    whether it accepts IdP-initiated SSO."""
    sp = _sp(entity_id)
    current = registry.settings_of(sp)
    changed = SpSettings(
        sign_response=current.sign_response,
        sign_assertion=current.sign_assertion,
        encrypt_assertion=current.encrypt_assertion if encrypt is None else encrypt,
        require_signed_requests=current.require_signed_requests,
        allow_idp_initiated=(
            current.allow_idp_initiated if idp_initiated is None else idp_initiated
        ),
        name_id_formats=_split(name_id_formats) or current.name_id_formats,
        release=current.release if release is None else (_split(release) or ()),
        min_level=min_level or current.min_level,
        roles=current.roles if roles is None else (_split(roles) or ()),
    )
    try:
        registry.change(sp, changed)
    except (MetadataRefused, RegistryRefused) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"changed {entity_id}")


@saml_sps.command("disable")
@click.argument("entity_id")
def disable(entity_id: str) -> None:
    registry.set_enabled(_sp(entity_id), False)
    click.echo(f"disabled {entity_id}")


@saml_sps.command("enable")
@click.argument("entity_id")
def enable(entity_id: str) -> None:
    registry.set_enabled(_sp(entity_id), True)
    click.echo(f"enabled {entity_id}")


@saml_sps.command("remove")
@click.argument("entity_id")
def remove(entity_id: str) -> None:
    registry.remove(_sp(entity_id))
    click.echo(f"removed {entity_id}")
