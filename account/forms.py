"""Forms (Flask-WTF: every one carries the CSRF token)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, Form, PasswordField, StringField
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from account.attributes import PROFILE_EDITABLE, Attribute
from account.emails import normalise

#: Never a limit on the password a citizen may choose (the policy decides that), only a guard
#: against absurd request sizes before Argon2 sees the value.
PASSWORD_INPUT_LIMIT = 4096


def _email_syntax(form: Form, field: Field) -> None:
    if field.data and normalise(field.data) is None:
        raise ValidationError(_l("Bitte geben Sie eine gültige E-Mail-Adresse ein."))


def _email_field() -> EmailField:
    return EmailField(
        _l("E-Mail-Adresse"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")),
            Length(max=320),
            _email_syntax,
        ],
    )


def _password_field(label: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(_l("Bitte geben Sie ein Passwort ein.")),
            Length(max=PASSWORD_INPUT_LIMIT),
        ],
    )


class RegisterForm(FlaskForm):
    email = _email_field()
    password = _password_field(_l("Passwort"))
    password_repeat = PasswordField(
        _l("Passwort wiederholen"),
        validators=[
            InputRequired(_l("Bitte wiederholen Sie das Passwort.")),
            EqualTo("password", _l("Die beiden Passwörter stimmen nicht überein.")),
        ],
    )


class EidRegisterForm(FlaskForm):
    """Registration with the ID card: the profile comes from the card; the e-mail address is
    needed (verified by a link), a password is optional."""

    email = _email_field()
    password = PasswordField(
        _l("Passwort (freiwillig)"), validators=[Optional(), Length(max=PASSWORD_INPUT_LIMIT)]
    )
    password_repeat = PasswordField(
        _l("Passwort wiederholen"),
        validators=[EqualTo("password", _l("Die beiden Passwörter stimmen nicht überein."))],
    )


class LoginForm(FlaskForm):
    email = _email_field()
    password = _password_field(_l("Passwort"))


class EmailOnlyForm(FlaskForm):
    email = _email_field()


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a button that confirms a one-time link."""


class NewPasswordForm(FlaskForm):
    password = _password_field(_l("Neues Passwort"))
    password_repeat = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[
            InputRequired(_l("Bitte wiederholen Sie das Passwort.")),
            EqualTo("password", _l("Die beiden Passwörter stimmen nicht überein.")),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current = _password_field(_l("Aktuelles Passwort"))


class EmailChangeForm(FlaskForm):
    email = _email_field()
    password = _password_field(_l("Aktuelles Passwort"))


class DeleteForm(FlaskForm):
    password = _password_field(_l("Aktuelles Passwort"))
    confirm = BooleanField(
        _l("Ich möchte mein Bürgerkonto endgültig löschen."),
        validators=[DataRequired(_l("Bitte bestätigen Sie die Löschung."))],
    )


def profile_form_class() -> type[FlaskForm]:
    """A form with one optional text field per editable attribute of the attribute table."""
    fields = {
        a.name: StringField(a.label, validators=_profile_validators(a)) for a in PROFILE_EDITABLE
    }
    return type("ProfileForm", (FlaskForm,), fields)


def _profile_validators(attribute: Attribute) -> list[Any]:
    validators: list[Any] = [
        Length(
            max=attribute.max_length,
            message=_l("Höchstens %(max)d Zeichen.", max=attribute.max_length),
        )
    ]
    if attribute.input_type == "date":
        validators.append(_past_date)
    if attribute.input_type == "tel":
        validators.append(
            Regexp(
                r"^\+?[0-9 ()/-]{3,40}$|^$",
                message=_l("Bitte nur Ziffern, Leerzeichen und + ( ) / - verwenden."),
            )
        )
    return validators


def _past_date(form: Form, field: Field) -> None:
    if not field.data:
        return
    try:
        value = date.fromisoformat(field.data)
    except ValueError:
        raise ValidationError(_l("Bitte als Datum im Format JJJJ-MM-TT angeben.")) from None
    if value > date.today() or value.year < 1900:
        raise ValidationError(_l("Bitte ein Datum in der Vergangenheit angeben."))


class CodeForm(FlaskForm):
    """The six digits from the authenticator app (WCAG 1.3.5: ``autocomplete="one-time-code"``;
    a numeric keyboard on phones)."""

    code = StringField(
        _l("Code aus der App (6 Ziffern)"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Code aus Ihrer App ein.")),
            Length(max=32, message=_l("Der Code hat 6 Ziffern.")),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "spellcheck": "false",
            "autocapitalize": "off",
            "size": "8",
        },
    )


class RecoveryCodeForm(FlaskForm):
    """One of the ten recovery codes (letters and digits, hyphens optional)."""

    code = StringField(
        _l("Wiederherstellungscode"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Ihrer Wiederherstellungscodes ein.")),
            Length(max=64, message=_l("Ein Wiederherstellungscode hat 16 Zeichen.")),
        ],
        render_kw={
            "autocomplete": "off",
            "spellcheck": "false",
            "autocapitalize": "off",
            "size": "22",
        },
    )
