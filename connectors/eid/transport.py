"""The SOAP leg to the eID-Server: HTTP POST over mutual TLS, with a timeout on every call.

TR-03130-1 §2.3: the eService authenticates with a TLS client certificate; the server's
certificate is checked against the configured trust anchor. Where the key material comes from
is not this module's business: it asks a :class:`TlsIdentity` for an ``ssl.SSLContext``.
"""

from __future__ import annotations

import http.client
import os
import ssl
import tempfile
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

from connectors.eid.outcomes import EidError, Outcome

MAX_ANSWER_BYTES = 1024 * 1024

#: Called with (SOAPAction, request bytes, answer bytes) for every exchange (tests record these).
ExchangeObserver = Callable[[str, bytes, bytes], None]


class TlsIdentity(Protocol):
    def ssl_context(self) -> ssl.SSLContext:
        """A client context: our key and certificate, and the trust anchor for the server."""
        ...


class PemTlsIdentity:
    """A client TLS identity from PEM bytes (key, certificate chain, CA of the eID-Server).

    ``ssl`` loads a client key only from a file, so the PEM is written to a private temporary
    file (mode 0600) for the moment of loading and removed at once. The context is built once.
    """

    def __init__(self, key_pem: bytes, cert_pem: bytes, server_ca_pem: bytes) -> None:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=server_ca_pem.decode())
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        with tempfile.TemporaryDirectory(prefix="eid-tls-") as directory:
            path = os.path.join(directory, "identity.pem")
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(key_pem + b"\n" + cert_pem)
            context.load_cert_chain(path)
        self._context = context

    def ssl_context(self) -> ssl.SSLContext:
        return self._context


class SoapTransport:
    """POSTs one SOAP message and returns the answer bytes; failures become typed outcomes."""

    def __init__(
        self,
        url: str,
        tls: TlsIdentity | None,
        timeout_seconds: float,
        allow_http: bool = False,
        observer: ExchangeObserver | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"https", "http"} or not parts.hostname:
            raise ValueError(f"eID-Server URL must be an absolute https URL, got {url!r}")
        if parts.scheme == "http" and not allow_http:
            raise ValueError("the eID-Server URL must use https (http only in development/test)")
        if parts.scheme == "https" and tls is None:
            raise ValueError("an https eID-Server URL needs a TLS client identity")
        self._parts = parts
        self._tls = tls
        self._timeout = timeout_seconds
        self._observer = observer

    def post(self, action: str, payload: bytes) -> bytes:
        try:
            status, answer = self._exchange(action, payload)
        except TimeoutError:
            raise EidError(Outcome.SERVER_TIMEOUT, "no answer in time") from None
        except ssl.SSLError as exc:
            raise EidError(Outcome.SERVER_UNREACHABLE, f"TLS: {exc.reason}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise EidError(Outcome.SERVER_UNREACHABLE, type(exc).__name__) from None
        if self._observer is not None:
            self._observer(action, payload, answer)
        if status not in {200, 500}:
            raise EidError(Outcome.BAD_RESPONSE, f"HTTP {status}")
        return answer

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self._parts.hostname or "", self._parts.port
        if self._parts.scheme == "https":
            assert self._tls is not None
            return http.client.HTTPSConnection(
                host, port, timeout=self._timeout, context=self._tls.ssl_context()
            )
        return http.client.HTTPConnection(host, port, timeout=self._timeout)

    def _exchange(self, action: str, payload: bytes) -> tuple[int, bytes]:
        connection = self._connection()
        try:
            path = self._parts.path or "/"
            if self._parts.query:
                path += "?" + self._parts.query
            connection.request(
                "POST",
                path,
                body=payload,
                headers={
                    "Content-Type": "text/xml; charset=utf-8",
                    "SOAPAction": f'"{action}"',
                },
            )
            response = connection.getresponse()
            answer = response.read(MAX_ANSWER_BYTES + 1)
            if len(answer) > MAX_ANSWER_BYTES:
                raise EidError(Outcome.BAD_RESPONSE, "answer too large")
            return response.status, answer
        finally:
            connection.close()
