"""The error catalogue: every known way a call can go wrong, in plain words with a next step.

One table (``PROBLEMS``) holds the words; ``classify_response`` and ``classify_exception`` map what
actually happened onto it. Codes are stable: the CLI's JSON, history and campaigns store them.
"""

from __future__ import annotations

import email.utils
import json
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
        "Check the profile (company id, Public IVR ID, agent user id) and the optional fields; "
        "the details show MyOperator's exact words.",
    ),
    "auth_failed": ProblemText(
        "Not authorised",
        "MyOperator refused the credentials: the x-api-key or secret token is wrong, or the feature "
        "is not enabled for this company.",
        "Open Profiles and re-enter the x-api-key and secret token exactly as shown in the MyOperator "
        "panel; check the company id.",
        account_wide=True,
    ),
    "anonymous_disabled": ProblemText(
        "Anonymous dial is not enabled",
        "This MyOperator account is not allowed to place anonymous calls (both numbers passed).",
        "Use User dial instead, or ask MyOperator support to enable anonymous dialling.",
        account_wide=True,
    ),
    "duplicate_reference": ProblemText(
        "Reference id already used",
        "MyOperator already received a call with this reference id recently, so it did not place "
        "this one again.",
        "If you were re-sending a call whose outcome was unknown, the first one was queued. If you "
        "meant a new call, call again: OpDial uses a new reference id for every new call.",
    ),
    "company_config_missing": ProblemText(
        "Company not set up for calls",
        "MyOperator has no campaign configuration for this company id / Public IVR ID.",
        "Check the company id and Public IVR ID in the profile; if they are right, ask your "
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
        "Wait a minute for the phone to ring. To retry, re-send it with the same reference id "
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
        "action": "Wait a minute for the phone to ring. To retry, re-send it with the same reference id "
        "(Try again safely, or --reference-id R --resend in the CLI): MyOperator will not place "
        "it twice.",
    },
    "server_error.gateway": {
        "explanation": "MyOperator's gateway answered with an error (HTTP 502, 503 or 504). It may "
        "have passed the call on before failing, so it is not known whether the call was queued.",
        "action": "Wait a minute for the phone to ring. To retry, re-send it with the same reference id "
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


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _json_object(body_text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(body_text)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _message(data: Mapping[str, Any] | None, body_text: str) -> str:
    if data:
        for key in ("details", "message", "error", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return body_text


def _code_from_words(message: str) -> str | None:
    """Codes recognisable from MyOperator's words, whatever the HTTP status."""
    text = message.lower()
    if "valid number" in text or "invalid number format" in text:
        return "invalid_number"
    if ("annonymous" in text or "anonymous" in text) and "not enabled" in text:
        return "anonymous_disabled"
    if "duplicate reference" in text or ("reference" in text and "already taken" in text):
        return "duplicate_reference"
    if "company config missing" in text:
        return "company_config_missing"
    if "invalid api key" in text:
        return "auth_failed"
    return None


def _remaining_ttl(data: Mapping[str, Any] | None) -> int | None:
    value = (data or {}).get("remaining_ttl")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def classify_response(
    http_status: int,
    body_text: str,
    headers: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
) -> Problem | None:
    """None when MyOperator accepted the call, else the Problem.

    Success is decided by ``status == "success"`` in a JSON body, never by HTTP status alone.
    """
    headers = headers or {}
    data = _json_object(body_text)
    if http_status == 200 and data is not None and data.get("status") == "success":
        return None
    raw = (redactor or Redactor()).text(body_text)
    message = _message(data, body_text)
    by_words = _code_from_words(message) if data is not None else None
    extra: dict[str, Any] = {}
    if by_words == "duplicate_reference":
        extra["remaining_ttl"] = _remaining_ttl(data)
    if by_words:
        return problem(by_words, raw, **extra)
    if http_status == 400:
        variant = "duration" if "max_call_duration" in message else None
        return problem("bad_request", raw, variant=variant)
    if http_status in (401, 403):
        gateway = data is not None and data.get("message") == "Forbidden"
        return problem("auth_failed", raw, variant="gateway" if gateway else None)
    if http_status == 404:
        return problem("not_found", raw)
    if http_status == 429:
        return problem("rate_limited", raw, retry_after=parse_retry_after(headers.get("retry-after")))
    if http_status >= 500:
        return problem("server_error", raw, retry_after=parse_retry_after(headers.get("retry-after")))
    return problem("unexpected_response", raw or f"(empty answer, HTTP {http_status})")


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
