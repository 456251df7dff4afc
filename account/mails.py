"""The e-mails the Bürgerkonto sends, in the citizen's language."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from account.services import services
from connectors.mail import Message
from core.web.urls import external_url


def _send(to: str, locale: str, subject: str, body: str) -> None:
    services().mailer.send(Message(to=to, subject=subject, body=body))


def verification(to: str, token: str, locale: str) -> None:
    with force_locale(locale):
        link = external_url("account.verify_email", token=token)
        hours = services().settings.email_verification_ttl // 3600
        _send(
            to,
            locale,
            _("Bitte bestätigen Sie Ihre E-Mail-Adresse"),
            _(
                "Guten Tag,\n\nbitte bestätigen Sie Ihre E-Mail-Adresse für das Bürgerportal:\n\n"
                "%(link)s\n\nDer Link ist %(hours)d Stunden gültig und kann einmal benutzt "
                "werden.\n"
                "Wenn Sie sich nicht registriert haben, können Sie diese E-Mail ignorieren.",
                link=link,
                hours=hours,
            ),
        )


def already_registered(to: str, locale: str) -> None:
    with force_locale(locale):
        login = external_url("account.login")
        reset = external_url("account.forgot_password")
        _send(
            to,
            locale,
            _("Sie haben bereits ein Bürgerkonto"),
            _(
                "Guten Tag,\n\njemand hat versucht, mit dieser E-Mail-Adresse ein Bürgerkonto "
                "anzulegen. Sie haben bereits eines.\n\nAnmelden: %(login)s\n"
                "Passwort vergessen: %(reset)s\n\nWaren Sie das nicht, müssen Sie nichts tun.",
                login=login,
                reset=reset,
            ),
        )


def password_reset(to: str, token: str, locale: str) -> None:
    with force_locale(locale):
        link = external_url("account.reset_password", token=token)
        minutes = services().settings.password_reset_ttl // 60
        _send(
            to,
            locale,
            _("Passwort zurücksetzen"),
            _(
                "Guten Tag,\n\nmit diesem Link legen Sie ein neues Passwort fest:\n\n%(link)s\n\n"
                "Der Link ist %(minutes)d Minuten gültig und kann einmal benutzt werden.\n"
                "Wenn Sie das nicht angefordert haben, können Sie diese E-Mail ignorieren; "
                "Ihr Passwort bleibt unverändert.",
                link=link,
                minutes=minutes,
            ),
        )


def password_changed(to: str, locale: str) -> None:
    with force_locale(locale):
        _send(
            to,
            locale,
            _("Ihr Passwort wurde geändert"),
            _(
                "Guten Tag,\n\ndas Passwort Ihres Bürgerkontos wurde soeben geändert, und alle "
                "anderen Anmeldungen wurden beendet.\nWaren Sie das nicht, setzen Sie bitte sofort "
                "ein neues Passwort über „Passwort vergessen“."
            ),
        )


def email_change(to: str, token: str, locale: str) -> None:
    with force_locale(locale):
        link = external_url("account.confirm_email_change", token=token)
        _send(
            to,
            locale,
            _("Neue E-Mail-Adresse bestätigen"),
            _(
                "Guten Tag,\n\nbitte bestätigen Sie diese neue E-Mail-Adresse für Ihr "
                "Bürgerkonto:\n\n%(link)s\n\nWenn Sie das nicht angefordert haben, können Sie "
                "diese E-Mail ignorieren.",
                link=link,
            ),
        )


def account_deleted(to: str, locale: str) -> None:
    with force_locale(locale):
        _send(
            to,
            locale,
            _("Ihr Bürgerkonto wurde gelöscht"),
            _("Guten Tag,\n\nIhr Bürgerkonto und Ihre Profildaten wurden gelöscht."),
        )


def card_linked(to: str, locale: str) -> None:
    with force_locale(locale):
        security = external_url("account.sessions")
        _send(
            to,
            locale,
            _("Ein Ausweis wurde mit Ihrem Bürgerkonto verknüpft"),
            _(
                "Guten Tag,\n\nsoeben wurde ein Ausweis mit Online-Ausweisfunktion mit Ihrem "
                "Bürgerkonto verknüpft. Mit ihm kann man sich jetzt bei Ihrem Konto anmelden.\n\n"
                "Waren Sie das nicht, lösen Sie die Verknüpfung bitte sofort unter „Sicherheit“ "
                "(%(link)s) und ändern Sie Ihr Passwort.",
                link=security,
            ),
        )


def card_unlinked(to: str, locale: str) -> None:
    with force_locale(locale):
        security = external_url("account.sessions")
        _send(
            to,
            locale,
            _("Die Verknüpfung mit einem Ausweis wurde gelöst"),
            _(
                "Guten Tag,\n\nsoeben wurde die Verknüpfung eines Ausweises mit Ihrem "
                "Bürgerkonto gelöst. Mit diesem Ausweis kann man sich nicht mehr bei Ihrem Konto "
                "anmelden.\n\nWaren Sie das nicht, prüfen Sie bitte unter „Sicherheit“ "
                "(%(link)s) Ihre Anmeldungen und ändern Sie Ihr Passwort.",
                link=security,
            ),
        )


def totp_enabled(to: str, locale: str) -> None:
    with force_locale(locale):
        security = external_url("account.sessions")
        _send(
            to,
            locale,
            _("Die Anmeldung mit Code aus der App ist eingeschaltet"),
            _(
                "Guten Tag,\n\nfür Ihr Bürgerkonto ist jetzt die Anmeldung in zwei Schritten "
                "eingeschaltet: Nach dem Passwort fragt das Bürgerportal nach dem Code aus Ihrer "
                "Authenticator-App. Alle anderen Anmeldungen wurden beendet.\n\n"
                "Waren Sie das nicht, ändern Sie bitte sofort Ihr Passwort und prüfen Sie unter "
                "„Sicherheit“ (%(link)s) Ihre Anmeldungen.",
                link=security,
            ),
        )


def totp_disabled(to: str, locale: str) -> None:
    with force_locale(locale):
        security = external_url("account.sessions")
        _send(
            to,
            locale,
            _("Die Anmeldung mit Code aus der App ist ausgeschaltet"),
            _(
                "Guten Tag,\n\nfür Ihr Bürgerkonto ist die Anmeldung mit Code aus der "
                "Authenticator-App soeben ausgeschaltet worden. Zum Anmelden genügt jetzt wieder "
                "das Passwort.\n\nWaren Sie das nicht, ändern Sie bitte sofort Ihr Passwort und "
                "schalten Sie die Anmeldung mit Code unter „Sicherheit“ (%(link)s) wieder ein.",
                link=security,
            ),
        )


def recovery_code_used(to: str, locale: str, left: int) -> None:
    with force_locale(locale):
        security = external_url("account.sessions")
        _send(
            to,
            locale,
            _("Anmeldung mit einem Wiederherstellungscode"),
            _(
                "Guten Tag,\n\nsoeben hat sich jemand mit Ihrem Passwort und einem "
                "Wiederherstellungscode bei Ihrem Bürgerkonto angemeldet. Jeder Code gilt nur "
                "einmal; Ihnen bleiben %(left)d.\n\nWaren Sie das nicht, ändern Sie bitte sofort "
                "Ihr Passwort und prüfen Sie unter „Sicherheit“ (%(link)s) Ihre Anmeldungen.",
                left=left,
                link=security,
            ),
        )


def recovery_codes_renewed(to: str, locale: str) -> None:
    with force_locale(locale):
        security = external_url("account.sessions")
        _send(
            to,
            locale,
            _("Neue Wiederherstellungscodes für Ihr Bürgerkonto"),
            _(
                "Guten Tag,\n\nfür Ihr Bürgerkonto wurden soeben zehn neue "
                "Wiederherstellungscodes erzeugt. Die bisherigen Codes gelten nicht mehr.\n\n"
                "Waren Sie das nicht, ändern Sie bitte sofort Ihr Passwort und prüfen Sie unter "
                "„Sicherheit“ (%(link)s) Ihre Anmeldungen.",
                link=security,
            ),
        )


def totp_disabled_by_operator(to: str, locale: str) -> None:
    with force_locale(locale):
        security = external_url("account.sessions")
        _send(
            to,
            locale,
            _("Der Bürgerservice hat die Anmeldung mit Code ausgeschaltet"),
            _(
                "Guten Tag,\n\nauf Ihre Bitte hat der Bürgerservice die Anmeldung mit Code aus "
                "der Authenticator-App für Ihr Bürgerkonto ausgeschaltet. Ihre "
                "Wiederherstellungscodes gelten nicht mehr, und alle Anmeldungen wurden "
                "beendet. Zum Anmelden genügt jetzt wieder das Passwort.\n\n"
                "Richten Sie die Anmeldung mit Code bitte unter „Sicherheit“ (%(link)s) neu "
                "ein.\n\nHaben Sie das nicht veranlasst, ändern Sie bitte sofort Ihr Passwort "
                "und wenden Sie sich an den Bürgerservice.",
                link=security,
            ),
        )
