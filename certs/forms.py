"""Forms of the key administration (Flask-WTF: every one carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from certs.types import KeyAlgorithm, KeyPurpose

PURPOSE_LABELS = {
    KeyPurpose.SAML_SIGNING: _l("SAML-Signatur"),
    KeyPurpose.SAML_ENCRYPTION: _l("SAML-Verschlüsselung"),
    KeyPurpose.OIDC_SIGNING: _l("OpenID-Connect-Signatur"),
    KeyPurpose.EID_WSSEC: _l("eID-Server: WS-Security"),
    KeyPurpose.EID_TLS: _l("eID-Server: TLS-Client"),
}
ALGORITHM_LABELS = {
    KeyAlgorithm.RSA_3072: _l("RSA (3072 Bit)"),
    KeyAlgorithm.EC_P256: _l("ECDSA P-256"),
}
REASON_MAX = 200


def _purpose_field() -> SelectField:
    return SelectField(
        _l("Zweck"),
        choices=[SelectChoice(p.value, label) for p, label in PURPOSE_LABELS.items()],
        validators=[DataRequired(_l("Bitte wählen Sie einen Zweck."))],
    )


def _algorithm_field() -> SelectField:
    return SelectField(
        _l("Algorithmus"),
        choices=[SelectChoice(a.value, label) for a, label in ALGORITHM_LABELS.items()],
        validators=[DataRequired(_l("Bitte wählen Sie einen Algorithmus."))],
    )


class CreateForm(FlaskForm):
    purpose = _purpose_field()
    algorithm = _algorithm_field()


class ImportForm(FlaskForm):
    purpose = _purpose_field()
    bundle = FileField(
        _l("Zertifikat mit Schlüssel (PKCS#12 oder PEM)"),
        validators=[FileRequired(_l("Bitte wählen Sie eine Datei."))],
    )
    key_file = FileField(_l("Privater Schlüssel als eigene PEM-Datei (falls getrennt)"))
    password = PasswordField(_l("Passwort der Datei"), validators=[Optional(), Length(max=1024)])


class ActivateForm(FlaskForm):
    force = BooleanField(_l("Sofort aktivieren, auch vor Ablauf der Vorlaufzeit (Notfall)"))
    reason = StringField(_l("Grund (bei Notfall)"), validators=[Length(max=REASON_MAX)])


class RetireForm(FlaskForm):
    force = BooleanField(_l("Auch wenn danach kein aktiver Schlüssel dieser Art bleibt"))


class RemoveForm(FlaskForm):
    force = BooleanField(_l("Sofort entfernen, auch vor Ablauf der Aufbewahrungszeit (Notfall)"))
    reason = StringField(_l("Grund (bei Notfall)"), validators=[Length(max=REASON_MAX)])


class RolloverForm(FlaskForm):
    purpose = _purpose_field()
    algorithm = _algorithm_field()
    reason = StringField(
        _l("Grund"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Grund an.")),
            Length(max=REASON_MAX),
        ],
    )
    remove_old = BooleanField(_l("Alten Schlüssel sofort entfernen (bei Kompromittierung)"))
    confirm = BooleanField(
        _l("Ich weiß, dass Dienste den neuen Schlüssel eventuell noch nicht kennen."),
        validators=[DataRequired(_l("Bitte bestätigen Sie den Notfallwechsel."))],
    )
