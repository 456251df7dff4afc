"""Every way an eID transaction can end, each with a message a citizen understands.

ResultMinor URIs: TR-03130-1 v2.4.0 §3.4 (prefix ``…/eid/server/2.0/resultminor/``).
Client results (query of the RefreshAddress): TR-03124-1 v1.4 §2.5.4.
Messages are German msgids (English in translations/en); they never contain server detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

RESULT_MAJOR_OK = "http://www.bsi.bund.de/ecard/api/1.1/resultmajor#ok"
RESULT_MAJOR_ERROR = "http://www.bsi.bund.de/ecard/api/1.1/resultmajor#error"
MINOR_PREFIX = "http://www.bsi.bund.de/eid/server/2.0/resultminor/"


class Outcome(StrEnum):
    SUCCESS = "success"
    # answers of the eID-Server (ResultMinor)
    INTERNAL_ERROR = "common#internalError"
    SCHEMA_VIOLATION = "common#schemaViolation"
    INVALID_PSK = "useID#invalidPSK"
    TOO_MANY_OPEN_SESSIONS = "useID#tooManyOpenSessions"
    MISSING_ARGUMENT = "useID#missingArgument"
    MISSING_TERMINAL_RIGHTS = "useID#missingTerminalRights"
    NO_RESULT_YET = "getResult#noResultYet"
    INVALID_SESSION = "getResult#invalidSession"
    INVALID_COUNTER = "getResult#invalidCounter"
    DENIED_DOCUMENT = "getResult#deniedDocument"
    INVALID_DOCUMENT = "getResult#invalidDocument"
    UNKNOWN_ERROR = "unknown"
    # the way to the eID-Server
    SERVER_UNREACHABLE = "server-unreachable"
    SERVER_TIMEOUT = "server-timeout"
    BAD_RESPONSE = "bad-response"
    BAD_SIGNATURE = "bad-signature"
    RESULT_NOT_READY = "result-not-ready"
    # what the eID-Client reported (TR-03124-1)
    CANCELLED_BY_USER = "cancellationByUser"
    TRUSTED_CHANNEL_FAILED = "trustedChannelEstablishmentFailed"
    CLIENT_SERVER_ERROR = "serverError"
    CLIENT_ERROR = "clientError"
    COMMUNICATION_ERROR = "communicationError"
    # the hub's own transaction
    TRANSACTION_UNKNOWN = "transaction-unknown"
    TRANSACTION_EXPIRED = "transaction-expired"
    FOREIGN_SESSION = "foreign-session"


_TECHNICAL = _l(
    "Die Anmeldung mit dem Online-Ausweis ist gerade technisch nicht möglich. Bitte versuchen "
    "Sie es später noch einmal oder melden Sie sich mit Ihrem Passwort an."
)
_RESTART = _l(
    "Dieser Vorgang ist nicht mehr gültig. Bitte starten Sie die Anmeldung mit dem "
    "Online-Ausweis noch einmal."
)

MESSAGES = {
    Outcome.SUCCESS: _l("Ihr Ausweis wurde erfolgreich gelesen."),
    Outcome.INTERNAL_ERROR: _TECHNICAL,
    Outcome.SCHEMA_VIOLATION: _TECHNICAL,
    Outcome.INVALID_PSK: _TECHNICAL,
    Outcome.TOO_MANY_OPEN_SESSIONS: _l(
        "Der Ausweis-Dienst ist gerade stark ausgelastet. Bitte versuchen Sie es in einigen "
        "Minuten noch einmal."
    ),
    Outcome.MISSING_ARGUMENT: _TECHNICAL,
    Outcome.MISSING_TERMINAL_RIGHTS: _TECHNICAL,
    Outcome.NO_RESULT_YET: _l("Ihr Ausweis wird noch gelesen."),
    Outcome.INVALID_SESSION: _RESTART,
    Outcome.INVALID_COUNTER: _RESTART,
    Outcome.DENIED_DOCUMENT: _l(
        "Dieses Ausweisdokument reicht für diese Anmeldung nicht aus. Bitte verwenden Sie Ihren "
        "Personalausweis, Ihren elektronischen Aufenthaltstitel oder Ihre eID-Karte."
    ),
    Outcome.INVALID_DOCUMENT: _l(
        "Ihr Ausweis ist nicht gültig (zum Beispiel abgelaufen oder gesperrt). Bitte wenden Sie "
        "sich an Ihr Bürgeramt."
    ),
    Outcome.UNKNOWN_ERROR: _TECHNICAL,
    Outcome.SERVER_UNREACHABLE: _l(
        "Der Ausweis-Dienst ist gerade nicht erreichbar. Bitte versuchen Sie es später noch "
        "einmal oder melden Sie sich mit Ihrem Passwort an."
    ),
    Outcome.SERVER_TIMEOUT: _l(
        "Der Ausweis-Dienst antwortet gerade nicht rechtzeitig. Bitte versuchen Sie es später "
        "noch einmal oder melden Sie sich mit Ihrem Passwort an."
    ),
    Outcome.BAD_RESPONSE: _TECHNICAL,
    Outcome.BAD_SIGNATURE: _TECHNICAL,
    Outcome.RESULT_NOT_READY: _l(
        "Das Ergebnis des Ausweis-Dienstes liegt noch nicht vor. Bitte starten Sie die "
        "Anmeldung mit dem Online-Ausweis noch einmal."
    ),
    Outcome.CANCELLED_BY_USER: _l(
        "Die Anmeldung mit dem Online-Ausweis wurde abgebrochen. Sie können es jederzeit noch "
        "einmal versuchen."
    ),
    Outcome.TRUSTED_CHANNEL_FAILED: _l(
        "Die AusweisApp konnte keine sichere Verbindung zum Ausweis-Dienst aufbauen. Bitte "
        "versuchen Sie es noch einmal."
    ),
    Outcome.CLIENT_SERVER_ERROR: _TECHNICAL,
    Outcome.CLIENT_ERROR: _l(
        "In der AusweisApp ist ein Fehler aufgetreten. Bitte prüfen Sie, ob Ihr Ausweis richtig "
        "aufliegt, und versuchen Sie es noch einmal."
    ),
    Outcome.COMMUNICATION_ERROR: _l(
        "Die AusweisApp konnte das Portal nicht erreichen. Bitte versuchen Sie es noch einmal."
    ),
    Outcome.TRANSACTION_UNKNOWN: _RESTART,
    Outcome.TRANSACTION_EXPIRED: _l(
        "Die Zeit für die Anmeldung mit dem Online-Ausweis ist abgelaufen. Bitte starten Sie "
        "sie noch einmal."
    ),
    Outcome.FOREIGN_SESSION: _l(
        "Diese Anmeldung mit dem Online-Ausweis wurde in einem anderen Browser begonnen. Bitte "
        "starten Sie sie in diesem Browser noch einmal."
    ),
}

#: Client ResultMinor values (short names; AusweisApp sends these, some clients send a URI).
CLIENT_MINORS = {
    o.value: o
    for o in (
        Outcome.CANCELLED_BY_USER,
        Outcome.TRUSTED_CHANNEL_FAILED,
        Outcome.CLIENT_SERVER_ERROR,
        Outcome.CLIENT_ERROR,
        Outcome.COMMUNICATION_ERROR,
    )
}

_SERVER_MINORS = {
    MINOR_PREFIX + o.value: o
    for o in Outcome
    if "#" in o.value and o.value.split("#")[0] in {"common", "useID", "getResult"}
}


def from_result_minor(minor: str | None) -> Outcome:
    """Map a server ResultMinor URI to an outcome (unknown or missing → UNKNOWN_ERROR)."""
    if minor is None:
        return Outcome.UNKNOWN_ERROR
    return _SERVER_MINORS.get(minor.strip(), Outcome.UNKNOWN_ERROR)


def from_client_minor(minor: str | None) -> Outcome:
    """Map the eID-Client's ResultMinor (``cancellationByUser`` or a URI ending in it)."""
    if not minor:
        return Outcome.CLIENT_ERROR
    short = minor.strip().rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return CLIENT_MINORS.get(short, Outcome.CLIENT_ERROR)


def minor_uri(outcome: Outcome) -> str:
    """The ResultMinor URI of a server outcome (for the simulator)."""
    return MINOR_PREFIX + outcome.value


@dataclass(frozen=True)
class EidFailure:
    """A transaction that did not yield a result."""

    outcome: Outcome
    #: The server's raw ResultMinor / ResultMessage, for the log (never shown to the citizen).
    detail: str = ""

    @property
    def ok(self) -> bool:
        return False

    @property
    def message(self) -> str:
        return str(MESSAGES[self.outcome])


class EidError(Exception):
    """Raised by the client; carries the typed outcome."""

    def __init__(self, outcome: Outcome, detail: str = "") -> None:
        super().__init__(f"{outcome.value}: {detail}" if detail else outcome.value)
        self.outcome = outcome
        self.detail = detail

    def failure(self) -> EidFailure:
        return EidFailure(self.outcome, self.detail)
