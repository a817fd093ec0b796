"""One mechanism that masks secrets everywhere: logs, JSON output, history, previews, curl, crash reports.

Two layers: a ``Redactor`` built from the secrets of one account masks their values wherever they
appear in text; known secret *fields* (``secret_token``, ``x-api-key``) are masked in mappings
whatever their value. Every secret the app loads is also registered process-wide, so the logging
filter and the crash dialog mask it without being handed the account.
"""

from __future__ import annotations

import base64
import functools
import json
import re
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


FRAGMENT_LENGTH = 8  # any run of this many characters of a secret is masked too


def _percent_lower(text: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def _text_forms(secret: str) -> set[str]:
    """How a secret reads in text: as is, JSON-escaped (ASCII or not, "/" escaped or not, and twice,
    as a JSON string quoted in JSON), URL-encoded (%20 or +, "/" kept or not, %2F or %2f)."""
    json_forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    json_forms |= {form.replace("/", "\\/") for form in json_forms}
    json_forms |= {json.dumps(form)[1:-1] for form in json_forms}
    url_forms = {
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        urllib.parse.quote_plus(secret, safe="/"),
    }
    url_forms |= {_percent_lower(form) for form in url_forms}
    return {secret} | json_forms | url_forms


def _base64_cores(raw: bytes) -> set[str]:
    """The base64 characters that depend only on the secret's bytes, at each of the three byte
    alignments it can have inside a larger blob, standard and URL-safe alphabets.

    With ``k`` bytes before it, the secret starts at bit 8k; a base64 character covers 6 bits, so the
    characters from ceil(8k/6) up to floor(8(k+n)/6) are the secret's own, whatever surrounds it.
    """
    cores: set[str] = set()
    n = len(raw)
    for k in range(3):
        encoded = base64.b64encode(bytes(k) + raw).decode()
        first, end = -(-8 * k // 6), 8 * (k + n) // 6
        core = encoded[first:end]
        cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores


def _encoded_forms(secret: str) -> set[str]:
    """The secret's bytes encoded: base64 (whole, padded or not, and the cores above) and hex."""
    raw = secret.encode()
    whole = base64.b64encode(raw).decode()
    safe = base64.urlsafe_b64encode(raw).decode()
    return (
        {whole, safe, whole.rstrip("="), safe.rstrip("=")}
        | _base64_cores(raw)
        | {raw.hex(), raw.hex().upper()}
    )


# The names the app itself writes next to secrets. A fragment found inside one of them is not masked:
# the demo's key "sandbox-api-key-0000" must not turn the header name x-api-key into "x********".
_VOCABULARY = " ".join(
    sorted(SECRET_FIELDS | {"secret_token", "company_id", "public_ivr_id", "reference_id"})
)


def _fragments(text: str) -> set[str]:
    size = FRAGMENT_LENGTH
    if len(text) <= size:
        return set()
    pieces = {text[i : i + size] for i in range(len(text) - size + 1)}
    return {piece for piece in pieces if piece.lower() not in _VOCABULARY}


@functools.lru_cache(maxsize=64)  # the logging filter builds a Redactor for every record
def _needles(secret: str) -> frozenset[str]:
    """Every string whose presence in a text gives away (part of) the secret."""
    texts = _text_forms(secret)
    needles = texts | _encoded_forms(secret)
    for form in texts:
        needles |= _fragments(form)
    # Nothing shorter than the secret itself (or than a fragment) counts: it could be ordinary text.
    return frozenset(n for n in needles if len(n) >= min(len(secret), FRAGMENT_LENGTH))


class Redactor:
    """Masks secrets in every form: exact, JSON- and URL-encoded, base64 (also inside a larger blob),
    hex, and any fragment of ``FRAGMENT_LENGTH`` characters or more. Overlapping or adjacent finds
    become one mask, so nothing of a secret shows between two masks."""

    def __init__(self, secrets: Iterable[str | None] = (), *, include_registered: bool = True) -> None:
        values = {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}
        if include_registered:
            values |= registered_secrets()
        needles: set[str] = set()
        for value in values:
            needles |= _needles(value)
        needles.discard(MASK)
        self._needles = sorted(needles, key=len, reverse=True)

    def text(self, text: str) -> str:
        spans = []
        for needle in self._needles:
            start = text.find(needle)
            while start != -1:
                spans.append((start, start + len(needle)))
                start = text.find(needle, start + 1)
        if not spans:
            return text
        spans.sort()
        merged = [list(spans[0])]
        for start, end in spans[1:]:
            if start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        parts, last = [], 0
        for start, end in merged:
            parts += [text[last:start], MASK]
            last = end
        parts.append(text[last:])
        return "".join(parts)

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
