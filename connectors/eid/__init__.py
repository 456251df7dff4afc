"""Online-Ausweis (eID): client of the BSI TR-03130 eID-Interface, TC token and eID-Client
activation (TR-03124-1). ``simulator/`` is a standalone double of both sides for development
and tests. Key material is injected (``MessageSigner``, ``MessageVerifier``, ``TlsIdentity``)."""

from connectors.eid.client import EidServerClient, PollPolicy
from connectors.eid.fields import EidType, EidTypeSelection, Permission, Requirement
from connectors.eid.messages import Psk, UseIdRequest
from connectors.eid.outcomes import EidError, EidFailure, Outcome
from connectors.eid.results import (
    EidResult,
    GeneralDate,
    GeneralPlace,
    Level,
    LevelOfAssuranceResult,
    OperationsAllowedByUser,
    PersonalData,
    RestrictedID,
    StructuredPlace,
)
from connectors.eid.schema import InterfaceVersion
from connectors.eid.transaction import (
    EidConfig,
    EidSuccess,
    EidTransactions,
    Finished,
    StartedTransaction,
)
from connectors.eid.transport import PemTlsIdentity, SoapTransport, TlsIdentity
from connectors.eid.wssec import MessageSigner, MessageVerifier, XmlsecSigner, XmlsecVerifier

__all__ = [
    "EidConfig",
    "EidError",
    "EidFailure",
    "EidResult",
    "EidServerClient",
    "EidSuccess",
    "EidTransactions",
    "EidType",
    "EidTypeSelection",
    "Finished",
    "GeneralDate",
    "GeneralPlace",
    "InterfaceVersion",
    "Level",
    "LevelOfAssuranceResult",
    "MessageSigner",
    "MessageVerifier",
    "OperationsAllowedByUser",
    "Outcome",
    "PemTlsIdentity",
    "Permission",
    "PersonalData",
    "PollPolicy",
    "Psk",
    "Requirement",
    "RestrictedID",
    "SoapTransport",
    "StartedTransaction",
    "StructuredPlace",
    "TlsIdentity",
    "UseIdRequest",
    "XmlsecSigner",
    "XmlsecVerifier",
]
