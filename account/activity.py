"""How audit events read in the citizen's activity log."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from core.audit import AuditEvent
from core.clock import to_datetime

LABELS: dict[str, object] = {
    AuditEvent.ACCOUNT_REGISTERED: _l("Bürgerkonto angelegt"),
    AuditEvent.ACCOUNT_EMAIL_VERIFIED: _l("E-Mail-Adresse bestätigt"),
    AuditEvent.ACCOUNT_EXPORTED: _l("Daten heruntergeladen"),
    AuditEvent.ACCOUNT_DELETED: _l("Bürgerkonto gelöscht"),
    AuditEvent.LOGIN_PASSWORD_SUCCEEDED: _l("Anmeldung mit Passwort"),
    AuditEvent.LOGIN_PASSWORD_FAILED: _l("Fehlgeschlagene Anmeldung"),
    AuditEvent.LOGIN_THROTTLED: _l("Anmeldung wegen zu vieler Fehlversuche verzögert"),
    AuditEvent.LOGOUT: _l("Abmeldung"),
    AuditEvent.SESSION_REVOKED: _l("Andere Anmeldung beendet"),
    AuditEvent.PASSWORD_CHANGED: _l("Passwort geändert"),
    AuditEvent.PASSWORD_RESET_REQUESTED: _l("Link zum Zurücksetzen des Passworts angefordert"),
    AuditEvent.PASSWORD_RESET_COMPLETED: _l("Passwort zurückgesetzt"),
    AuditEvent.PASSWORD_REHASHED: _l("Passwortschutz aktualisiert"),
    AuditEvent.PROFILE_CHANGED: _l("Profil geändert"),
    AuditEvent.EMAIL_CHANGE_REQUESTED: _l("Änderung der E-Mail-Adresse angefordert"),
    AuditEvent.EMAIL_CHANGED: _l("E-Mail-Adresse geändert"),
    AuditEvent.ROLE_GRANTED: _l("Rolle erteilt"),
    AuditEvent.ROLE_REVOKED: _l("Rolle entzogen"),
    AuditEvent.OIDC_LOGIN: _l("Anmeldung bei einem Dienst"),
    AuditEvent.OIDC_LOGOUT: _l("Abmeldung durch einen Dienst"),
    AuditEvent.OIDC_CONSENT_GRANTED: _l("Angaben für einen Dienst freigegeben"),
    AuditEvent.OIDC_CONSENT_REVOKED: _l("Freigabe für einen Dienst widerrufen"),
    AuditEvent.OIDC_TOKEN_REUSE_DETECTED: _l("Wiederverwendung eines Zugangs erkannt und gesperrt"),
    AuditEvent.SAML_LOGIN: _l("Anmeldung bei einem Dienst"),
    AuditEvent.SAML_LOGOUT: _l("Abmeldung durch einen Dienst"),
    AuditEvent.LOGIN_EID_SUCCEEDED: _l("Anmeldung mit dem Online-Ausweis"),
    AuditEvent.LOGIN_EID_FAILED: _l("Anmeldung mit dem Online-Ausweis nicht gelungen"),
    AuditEvent.LOGIN_EID_STEP_UP: _l(
        "Anmeldung mit dem Online-Ausweis bestätigt (Vertrauensniveau hoch)"
    ),
    AuditEvent.EID_LINKED: _l("Online-Ausweis verknüpft"),
    AuditEvent.EID_UNLINKED: _l("Verknüpfung mit einem Online-Ausweis gelöst"),
    AuditEvent.EID_REFUSED: _l("Fremden Ausweis abgelehnt"),
    AuditEvent.PROFILE_EID_REFRESHED: _l("Angaben aus dem Ausweis aktualisiert"),
    AuditEvent.TOTP_ENABLED: _l("Anmeldung mit Code aus der App eingeschaltet"),
    AuditEvent.TOTP_DISABLED: _l("Anmeldung mit Code aus der App ausgeschaltet"),
    AuditEvent.TOTP_RECOVERY_CODE_USED: _l("Wiederherstellungscode benutzt"),
    AuditEvent.TOTP_RECOVERY_CODES_RENEWED: _l("Neue Wiederherstellungscodes erzeugt"),
    AuditEvent.TOTP_DISABLED_BY_OPERATOR: _l(
        "Anmeldung mit Code aus der App vom Bürgerservice ausgeschaltet"
    ),
    AuditEvent.LOGIN_TOTP_SUCCEEDED: _l("Anmeldung mit Passwort und Code aus der App"),
    AuditEvent.LOGIN_TOTP_FAILED: _l("Falscher Code aus der App eingegeben"),
    AuditEvent.LOGIN_TOTP_STEP_UP: _l("Anmeldung mit Code aus der App bestätigt"),
}


def event_label(event: str) -> str:
    return str(LABELS.get(event, event))


def when(value: float | datetime) -> str:
    moment = to_datetime(value) if isinstance(value, int | float) else value
    return str(format_datetime(moment, "short"))
