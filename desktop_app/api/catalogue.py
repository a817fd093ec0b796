"""The error catalogue: every known way a call can go wrong, in plain words with a next step.

One table (``PROBLEMS``) holds the words; ``classify_response`` and ``classify_exception`` map what
actually happened onto it. Codes are stable: the CLI's JSON, history and campaigns store them.
"""

from __future__ import annotations

import email.utils
import html.parser
import json
import math
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop_app.api.models import Problem
from desktop_app.api.redaction import Redactor

RAW_LIMIT = 4000  # characters of a raw response kept for the details view


@dataclass(frozen=True)
class ProblemText:
    title: str
    explanation: str
    action: str
    retryable: bool = False  # safe and sensible to try again automatically (same reference_id)
    account_wide: bool = False  # every further call would fail the same way: stop a campaign


PROBLEMS: dict[str, ProblemText] = {
    "invalid_number": ProblemText(
        "Number format refused",
        "MyOperator did not accept the number. It must be in international form: + then country code "
        "and number, e.g. +919876543210.",
        "Check the number (country code, no missing digits) and call again.",
    ),
    "bad_request": ProblemText(
        "Request refused as incomplete",
        "MyOperator says a field is missing or has the wrong type.",
        "Check the profile (Company ID, Public IVR ID, agent User ID) and the optional fields; "
        "the details show MyOperator's exact words.",
    ),
    "auth_failed": ProblemText(
        "Not authorised",
        "MyOperator refused the credentials: the x-api-key or secret token is wrong, or the feature "
        "is not enabled for this company.",
        "Open Profiles and re-enter the x-api-key and secret token exactly as shown in the MyOperator "
        "panel; check the Company ID.",
        account_wide=True,
    ),
    "anonymous_disabled": ProblemText(
        "Anonymous dial is not enabled",
        "This MyOperator account is not allowed to place anonymous calls (both numbers passed).",
        "Use User dial instead, or ask MyOperator support to enable anonymous dialling.",
        account_wide=True,
    ),
    "duplicate_reference": ProblemText(
        "Reference ID already used",
        "MyOperator already received a call with this Reference ID recently, so it did not place "
        "this one again.",
        "If you were re-sending a call whose outcome was unknown, the first one was queued. If you "
        "meant a new call, call again: OpDial uses a new Reference ID for every new call.",
    ),
    "company_config_missing": ProblemText(
        "Company not set up for calls",
        "MyOperator has no campaign configuration for this Company ID / Public IVR ID.",
        "Check the Company ID and Public IVR ID in the profile; if they are right, ask your "
        "MyOperator account manager to enable the campaign.",
        account_wide=True,
    ),
    "not_found": ProblemText(
        "Wrong API address",
        "The server answered that the API address does not exist.",
        "Check the API URL in the profile (the default is https://obd-api.myoperator.co/obd-api-v1).",
        account_wide=True,
    ),
    "rate_limited": ProblemText(
        "Too many calls at once",
        "MyOperator asked OpDial to slow down.",
        "Wait a moment and call again; for campaigns, lower the calls per minute.",
        retryable=True,
    ),
    "server_error": ProblemText(
        "MyOperator had a problem",
        "The service answered with a server error; the call was most likely not placed.",
        "Try again in a minute. If it keeps happening, check MyOperator's status or contact support.",
        retryable=True,
    ),
    "timeout": ProblemText(
        "No answer in time",
        "MyOperator did not answer in time, so OpDial cannot tell whether the call was queued.",
        "Wait a minute for the phone to ring. To retry, re-send it with the same Reference ID "
        "(Try again safely in the window, --reference-id R --resend in the CLI): MyOperator will "
        "not place it twice.",
        retryable=True,
    ),
    "network": ProblemText(
        "Cannot reach MyOperator",
        "OpDial could not connect to MyOperator.",
        "Check your internet connection, VPN or office proxy, then try again.",
        retryable=True,
    ),
    "tls": ProblemText(
        "Secure connection failed",
        "The secure (HTTPS) connection could not be verified. An office proxy that inspects traffic, "
        "a wrong system clock or a wrong API URL can cause this.",
        "Check the computer's date and time; if your office uses a proxy, ask IT to install its "
        "certificate in the system store.",
    ),
    "unexpected_response": ProblemText(
        "Unexpected answer",
        "MyOperator's answer was not in the expected form, so OpDial cannot tell whether the call "
        "was queued.",
        "Wait a minute for the phone to ring before calling again; the details show the raw answer.",
        retryable=True,
    ),
    "cancelled": ProblemText(
        "Cancelled",
        "You cancelled the call before MyOperator answered.",
        "If the request had already gone out, the phone may still ring.",
    ),
}

# Refinements of a code's words for a more specific cause; the code stays the same.
VARIANTS: dict[str, dict[str, str]] = {
    "network.dns": {
        "explanation": "The name of the MyOperator server could not be looked up (DNS).",
        "action": "Check that you are online and the API URL is spelled right; try again.",
    },
    "network.refused": {
        "explanation": "The server refused the connection.",
        "action": "Check the API URL and port; if it is the demo sandbox, it may have stopped.",
    },
    "network.proxy": {
        "explanation": "The office proxy refused or failed to forward the request.",
        "action": "Check the proxy settings (HTTPS_PROXY) or ask IT whether MyOperator is allowed.",
    },
    "network.dropped": {
        "explanation": "The connection dropped before MyOperator answered, so it is not known "
        "whether the call was queued.",
        "action": "Wait a minute for the phone to ring. To retry, re-send it with the same Reference ID "
        "(Try again safely, or --reference-id R --resend in the CLI): MyOperator will not place "
        "it twice.",
    },
    "timeout.connect": {
        "explanation": "Connecting to MyOperator took too long; the call was not sent.",
        "action": "Check your connection or proxy, then try again.",
    },
    "auth_failed.gateway": {
        "explanation": "MyOperator's gateway refused the x-api-key.",
    },
    # A gateway or proxy in front of MyOperator answered (502/503/504): the call may have got
    # through behind it, so only a re-send under the same reference id is safe.
    "server_error.gateway": {
        "explanation": "A gateway in front of MyOperator answered with an error instead of MyOperator "
        "itself. MyOperator may still have received and queued the call, so it is not known whether "
        "it was placed.",
        "action": "Wait a minute for the phone to ring. Do not place a new call: to retry, re-send it "
        "with the same Reference ID (Try again safely in the window, --reference-id R --resend in "
        "the CLI): MyOperator will not place it twice.",
    },
    "bad_request.duration": {
        "explanation": "MyOperator refused the maximum call duration: it must be a whole number of "
        "seconds between 1 and 5400.",
    },
}


def problem(code: str, raw: str = "", *, variant: str | None = None, **extra: Any) -> Problem:
    """A Problem with the catalogue's words (and a variant's refinements)."""
    text = PROBLEMS.get(code, PROBLEMS["unexpected_response"])
    words = {"title": text.title, "explanation": text.explanation, "action": text.action}
    if variant:
        words.update(VARIANTS.get(f"{code}.{variant}", {}))
    return Problem(code=code, raw=raw[:RAW_LIMIT], **words, **extra)


# A longer Retry-After, or one that is not a finite number (inf, nan, 1e400), is reported as this:
# nobody waits a week for an answer, and a finite value keeps timers and strict JSON working.
RETRY_AFTER_CEILING_S = 7 * 24 * 3600.0


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), at most ``RETRY_AFTER_CEILING_S``.

    None when absent or unreadable; a huge or non-finite number becomes the ceiling, never inf/nan.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = when.timestamp() - (time.time() if now is None else now)
        except (TypeError, ValueError, OverflowError, IndexError):
            return None
    if math.isnan(seconds):
        return RETRY_AFTER_CEILING_S
    return min(max(0.0, seconds), RETRY_AFTER_CEILING_S)


GATEWAY_STATUSES = frozenset({502, 503, 504})  # answered by a proxy or load balancer, not the API


def _message(data: Mapping[str, Any] | None, body_text: str) -> str:
    if data:
        for key in ("details", "message", "error", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return body_text


def _strings(value: Any, depth: int = 0) -> list[str]:
    """Every string value in a parsed JSON document (keys left out: they name fields, not errors)."""
    if isinstance(value, str):
        return [value]
    if depth > 20:
        return []
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v, depth + 1)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, depth + 1)]
    return []


class _TextOfHtml(html.parser.HTMLParser):
    """The visible text of an HTML page: tags dropped, entities decoded, scripts and styles skipped."""

    _HIDDEN = frozenset({"script", "style", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._HIDDEN:
            self._hidden += 1
        self.parts.append(" ")  # <br>, <p>, <td>...: words on either side stay apart

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._HIDDEN and self._hidden:
            self._hidden -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        elif not self._hidden:
            self.parts.append(data)

    def text(self) -> str:
        # The title usually repeats the status line; the body says why. Keep both, title first.
        return " ".join(" ".join(self._title + self.parts).split())


def html_text(body_text: str) -> str:
    """The words a person would read on an HTML page."""
    parser = _TextOfHtml()
    try:
        parser.feed(body_text)
        parser.close()
    except Exception:  # html.parser is lenient, but odd markup must never break classification
        return " ".join(re.sub(r"<[^>]*>", " ", body_text).split())
    return parser.text()


_HTML_START = re.compile(r"\s*(<!doctype\s+html|<html|<head|<body|<title|<h[1-6]|<p[\s>]|<center|<div)", re.I)


def is_html(body_text: str, content_type: str = "") -> bool:
    return "html" in content_type.lower() or bool(_HTML_START.match(body_text))


def _normalised(text: str) -> str:
    """Lower case, camelCase split, every run of non-letters/digits one space: the guide writes
    "Duplicate Reference ID", the API "Reference ID already taken", others DUPLICATE_REFERENCE_ID."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    return " " + " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split()) + " "


# The vendor guide's phrases and the API's own spellings (shared/myoperator-api.md), on normalised
# text; checked in this order, so a body naming two errors gets the more specific one.
_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("invalid_number", re.compile(r"valid (phone |mobile )?number|number format")),
    ("anonymous_disabled", re.compile(r"(?=.* ann?onymous )(?=.* (not (been )?enabled|disabled) )")),
    (
        "duplicate_reference",
        re.compile(r" duplicate reference |(?=.* reference )(?=.* already (taken|used) )"),
    ),
    ("company_config_missing", re.compile(r" company config(uration)? (is )?missing")),
    ("auth_failed", re.compile(r" invalid (x )?api ?key ")),
)


def _code_from_words(message: str) -> str | None:
    """Codes recognisable from MyOperator's words, whatever the HTTP status."""
    text = _normalised(message)
    for code, pattern in _WORDS:
        if pattern.search(text):
            return code
    return None


def _words_of_body(http_status: int, body_text: str, data: Any, content_type: str) -> str | None:
    """The code MyOperator's words name in any body: JSON (its message first, then any string in
    it), plain text or HTML.

    Precedence, so that words are not over-read: a gateway status (502/503/504) is never read for
    words (a proxy's page says nothing about the call, which may have been processed behind it);
    a body that is not JSON is read only on an error status (a garbled 200 may be a truncated
    success, and stays unknown).
    """
    if http_status in GATEWAY_STATUSES:
        return None
    if data is not None:
        # The reason's own field first; then any string, for shapes nobody has documented.
        message = _message(data if isinstance(data, dict) else None, "")
        return _code_from_words(message) or _code_from_words(" | ".join(_strings(data)))
    if http_status < 400:
        return None
    text = html_text(body_text) if is_html(body_text, content_type) else body_text
    return _code_from_words(text)


def _remaining_ttl(data: Mapping[str, Any] | None) -> int | None:
    value = (data or {}).get("remaining_ttl")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _parsed_json(body_text: str) -> Any:
    try:
        return json.loads(body_text)
    except (ValueError, RecursionError):
        return None


def classify_response(
    http_status: int,
    body_text: str,
    headers: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
) -> Problem | None:
    """None when MyOperator accepted the call, else the Problem.

    Success is decided by ``status == "success"`` in a JSON body, never by HTTP status alone.
    Then MyOperator's words, in a JSON, plain-text or HTML body (``_words_of_body``), then the
    HTTP status.
    """
    headers = headers or {}
    parsed = _parsed_json(body_text)
    data = parsed if isinstance(parsed, dict) else None
    if http_status == 200 and data is not None and data.get("status") == "success":
        return None
    raw = (redactor or Redactor()).text(body_text)
    content_type = _header(headers, "content-type") or ""
    by_words = _words_of_body(http_status, body_text, parsed, content_type)
    extra: dict[str, Any] = {}
    if by_words == "duplicate_reference":
        extra["remaining_ttl"] = _remaining_ttl(data)
    if by_words:
        return problem(by_words, raw, **extra)
    message = _message(data, body_text)
    if http_status == 400:
        variant = "duration" if "max_call_duration" in message else None
        return problem("bad_request", raw, variant=variant)
    if http_status in (401, 403):
        gateway = message.strip() == "Forbidden" if data is None else data.get("message") == "Forbidden"
        return problem("auth_failed", raw, variant="gateway" if gateway else None)
    if http_status == 404:
        return problem("not_found", raw)
    retry_after = parse_retry_after(_header(headers, "retry-after"))
    if http_status == 429:
        return problem("rate_limited", raw, retry_after=retry_after)
    if http_status >= 500:
        variant = "gateway" if http_status in GATEWAY_STATUSES else None
        return problem("server_error", raw, variant=variant, retry_after=retry_after)
    return problem("unexpected_response", raw or f"(empty answer, HTTP {http_status})")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (httpx headers are case-insensitive; a dict is not)."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def classify_exception(exc: BaseException, redactor: Redactor | None = None) -> Problem:
    """A transport failure (no HTTP answer) as a Problem."""
    import httpx  # only once something went wrong: keeps the catalogue cheap to import

    raw = (redactor or Redactor()).text(f"{type(exc).__name__}: {exc}")
    chain = _causes(exc)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ssl.SSLError) for e in chain) or "certificate" in text or "ssl" in text:
        return problem("tls", raw)
    if isinstance(exc, httpx.ConnectTimeout):
        return problem("timeout", raw, variant="connect")
    if isinstance(exc, httpx.TimeoutException):
        return problem("timeout", raw)
    if isinstance(exc, httpx.ProxyError):
        return problem("network", raw, variant="proxy")
    if isinstance(exc, httpx.ConnectError):
        if any(s in text for s in ("name or service", "getaddrinfo", "nodename", "no address", "resolve")):
            return problem("network", raw, variant="dns")
        if "refused" in text:
            return problem("network", raw, variant="refused")
        return problem("network", raw)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return problem("network", raw, variant="dropped")
    return problem("network", raw)


def was_sent(exc: BaseException) -> bool:
    """Whether a failed attempt may have reached MyOperator (so its outcome is unknown)."""
    import httpx

    return not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.ProxyError)

