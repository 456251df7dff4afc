"""Forms of the SAML administration (Flask-WTF: each carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from account.attributes import ATTRIBUTES
from idp.saml.release import SUBJECT

LEVEL_CHOICES = [
    SelectChoice("low", _l("niedrig (Passwort)")),
    SelectChoice("substantial", _l("substanziell")),
    SelectChoice("high", _l("hoch (Online-Ausweis)")),
]
NAME_ID_CHOICES = [
    SelectChoice("persistent", _l("persistent (pseudonym, je Dienst verschieden)")),
    SelectChoice("transient", _l("transient (bei jeder Anmeldung neu)")),
    SelectChoice("email", _l("E-Mail-Adresse")),
]
RELEASE_CHOICES = [
    *(SelectChoice(a.name, a.label) for a in ATTRIBUTES if a.saml_name),
    SelectChoice(SUBJECT, _l("Pseudonyme Kennung (urn:oid:1.3.6.1.4.1.25484.494450.3)")),
]


class ConfirmForm(FlaskForm):
    """Only the CSRF token (enable/disable buttons)."""


class SettingsForm(FlaskForm):
    """What an administrator decides for an SP (the registry checks it against the metadata)."""

    name = StringField(_l("Name des Dienstes"), validators=[Length(max=200)])
    release = SelectMultipleField(_l("Freigabeliste (Attribute)"), choices=RELEASE_CHOICES)
    name_id_formats = SelectMultipleField(
        _l("NameID-Formate (ohne Wunsch des Dienstes gilt das erste angekreuzte)"),
        choices=NAME_ID_CHOICES,
    )
    min_level = SelectField(_l("Mindest-Vertrauensniveau"), choices=LEVEL_CHOICES)
    encrypt_assertion = BooleanField(_l("Assertion verschlüsseln (AES-256-GCM, RSA-OAEP)"))
    sign_response = BooleanField(_l("Antwort (Response) signieren"))
    sign_assertion = BooleanField(_l("Assertion signieren"))
    require_signed_requests = BooleanField(_l("Nur signierte Anmeldeanfragen annehmen"))
    allow_idp_initiated = BooleanField(
        _l("Anmeldung ohne Anfrage des Dienstes erlauben (IdP-initiiert)")
    )
    roles = StringField(
        _l("Rollen, die der Dienst erfährt (clerk:<dienst>, durch Komma getrennt)"),
        validators=[Length(max=1000)],
    )


class AddForm(SettingsForm):
    metadata_file = FileField(_l("Metadaten des Dienstes (XML-Datei)"))
    metadata_url = StringField(
        _l("oder Adresse der Metadaten (https)"), validators=[Length(max=1024)]
    )


class EditForm(SettingsForm):
    metadata_file = FileField(_l("Neue Metadaten (XML-Datei, optional)"))
    refetch = BooleanField(_l("Metadaten neu von der registrierten Adresse laden"))


class RemoveForm(FlaskForm):
    confirm = BooleanField(
        _l("Dienst und alle seine pseudonymen Kennungen endgültig löschen"),
        validators=[DataRequired(_l("Bitte bestätigen Sie das Löschen."))],
    )
