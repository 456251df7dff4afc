"""Forms of the provider's pages (Flask-WTF: each carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from account.attributes import ATTRIBUTES
from idp.oidc.scopes import SUPPORTED_SCOPES


class ConfirmForm(FlaskForm):
    """Only the CSRF token (consent decision, revocation buttons)."""


LEVEL_CHOICES = [
    SelectChoice("low", _l("niedrig (Passwort)")),
    SelectChoice("substantial", _l("substanziell")),
    SelectChoice("high", _l("hoch (Online-Ausweis)")),
]
AUTH_CHOICES = [
    SelectChoice(
        "client_secret_basic", _l("Geheimnis im Authorization-Header (client_secret_basic)")
    ),
    SelectChoice("client_secret_post", _l("Geheimnis im Formular (client_secret_post)")),
    SelectChoice(
        "private_key_jwt", _l("Signierte Zusicherung mit eigenem Schlüssel (private_key_jwt)")
    ),
    SelectChoice("none", _l("Öffentlicher Client ohne Geheimnis (nur mit PKCE)")),
]
CONSENT_CHOICES = [
    SelectChoice("required", _l("Bürgerinnen und Bürger werden gefragt")),
    SelectChoice("skip", _l("Ohne Nachfrage (eigener Dienst der Stadt)")),
]


class ClientForm(FlaskForm):
    """Registration and editing of a relying party (the registry checks the content)."""

    name = StringField(_l("Name des Dienstes"), validators=[DataRequired(), Length(max=200)])
    client_id = StringField(_l("Client-ID (leer: zufällig)"), validators=[Length(max=64)])
    redirect_uris = TextAreaField(_l("Weiterleitungsadressen (eine je Zeile, exakt)"))
    post_logout_redirect_uris = TextAreaField(_l("Adressen nach der Abmeldung (eine je Zeile)"))
    backchannel_logout_uri = StringField(
        _l("Back-Channel-Logout-Adresse"), validators=[Length(max=500)]
    )
    auth_method = SelectField(_l("Anmeldung des Clients"), choices=AUTH_CHOICES)
    jwks = TextAreaField(_l("Öffentliche Schlüssel (JWK Set, nur für private_key_jwt)"))
    scopes = SelectMultipleField(
        _l("Erlaubte Scopes"),
        choices=[SelectChoice(s, s) for s in SUPPORTED_SCOPES if s != "openid"],
    )
    release = SelectMultipleField(
        _l("Freigabeliste (Attribute)"), choices=[SelectChoice(a.name, a.label) for a in ATTRIBUTES]
    )
    min_level = SelectField(_l("Mindest-Vertrauensniveau"), choices=LEVEL_CHOICES)
    consent = SelectField(_l("Einwilligung"), choices=CONSENT_CHOICES)
    id_token_alg = SelectField(
        _l("Signaturalgorithmus des ID-Tokens"),
        choices=[SelectChoice(a, a) for a in ("RS256", "PS256", "ES256")],
    )
    sector_identifier = StringField(
        _l("Sektor für pseudonyme Kennungen (leer: die Client-ID)"), validators=[Length(max=255)]
    )
