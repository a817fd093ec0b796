"""One mechanism that masks secrets everywhere: logs, JSON output, history, previews, curl, crash reports.

Two layers: a ``Redactor`` built from the secrets of one account masks their values wherever they
appear in text; known secret *fields* (``secret_token``, ``x-api-key``) are masked in mappings
whatever their value. Every secret the app loads is also registered process-wide, so the logging
filter and the crash dialog mask it without being handed the account.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "********"
SECRET_FIELDS = frozenset({"secret_token", "x-api-key", "api_key", "apikey", "authorization"})
_MIN_SECRET_LENGTH = 4  # shorter strings would mask ordinary text; such secrets are refused earlier

_registry_lock = threading.Lock()
_registered: set[str] = set()


def mask(value: str | None) -> str:
    """What a secret looks like on screen: nothing of it, not even its length."""
    return MASK if value else ""


def register_secret(*values: str | None) -> None:
    """Remember secrets process-wide so logs and crash reports mask them too."""
    with _registry_lock:
        _registered.update(v for v in values if v and len(v) >= _MIN_SECRET_LENGTH)


def registered_secrets() -> frozenset[str]:
    with _registry_lock:
        return frozenset(_registered)


def _forms(secret: str) -> set[str]:
    """The ways a secret can appear in text: as is, JSON-escaped, URL-encoded."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    }


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = (), *, include_registered: bool = True) -> None:
        values = {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}
        if include_registered:
            values |= registered_secrets()
        forms: set[str] = set()
        for value in values:
            forms |= _forms(value)
        # Longest first so a secret containing another is masked whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def text(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def value(self, key: str, value: Any) -> Any:
        if key.lower() in SECRET_FIELDS and isinstance(value, str):
            return mask(value)
        return self.any(value)

    def mapping(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {key: self.value(key, value) for key, value in data.items()}

    def any(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return self.mapping(value)
        if isinstance(value, list | tuple):
            return [self.any(v) for v in value]
        return value
