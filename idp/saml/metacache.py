"""SP metadata parsed once per process and document, not on every request.

Parsing validates the whole document again (XML hardening, every certificate loaded and
checked), which costs far more than the rest of a request. The cache is keyed by the SHA-256 of
the stored document: a registry change in any process writes a new document into the SP's row,
which every request reads anyway, so no process can use stale metadata; the registry also drops
the old entry at once (:meth:`MetadataCache.forget`). Expiry (validUntil, certificates) is
checked on every use of a cached copy by the caller (:func:`idp.saml.registry.metadata_of`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from idp.saml.spmeta import SpMetadata

DEFAULT_SIZE = 256


def _key(xml: str) -> str:
    return hashlib.sha256(xml.encode("utf-8")).hexdigest()


class MetadataCache:
    """A bounded LRU of parsed metadata (one per app)."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, SpMetadata] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, xml: str, parse: Callable[[], SpMetadata]) -> SpMetadata:
        """The parsed ``xml``; ``parse()`` runs only when it is not cached (and may raise)."""
        key = _key(xml)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        parsed = parse()
        with self._lock:
            self._entries[key] = parsed
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return parsed

    def forget(self, xml: str) -> None:
        with self._lock:
            self._entries.pop(_key(xml), None)

    def __len__(self) -> int:
        return len(self._entries)
