"""The HTTP client: sends one call, retries only where it is safe, and always returns an ``Outcome``.

Safety rule (shared/myoperator-api.md, "Idempotency"): every retry carries the *same* reference_id,
so MyOperator refuses a second copy of a call that already got through; a 403 "already taken"
answering a retry therefore means the first attempt was accepted.
"""

from __future__ import annotations

import json
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import certifi
import httpx

from desktop_app import APP_NAME, __version__
from desktop_app.api import catalogue
from desktop_app.api.models import (
    Account,
    CallRequest,
    Outcome,
    Problem,
    build_body,
    build_headers,
)
from desktop_app.api.redaction import Redactor, register_secret
from desktop_app.api.urls import UnsafeUrlError, is_loopback_host, validate_api_url

__all__ = [
    "ObdClient",
    "Timeouts",
    "UnsafeUrlError",
    "is_loopback_host",
    "make_http_client",
    "validate_api_url",
]

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 1_000_000  # MyOperator answers in a few hundred bytes; more is not an answer
MAX_RETRY_AFTER_S = 60.0  # a longer wait is reported to the caller instead of blocking a click


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 20.0  # MyOperator usually answers within a second; 20 s covers a slow day

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.read, pool=self.connect)


def _ssl_context() -> ssl.SSLContext:
    """Mozilla's roots plus the OS store, so an office proxy's certificate installed by IT works."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_default_certs()
    return context


def make_http_client(timeouts: Timeouts | None = None) -> httpx.Client:
    """One reusable client: TLS verification always on, the system/env proxy honoured."""
    return httpx.Client(
        timeout=(timeouts or Timeouts()).httpx(),
        verify=_ssl_context(),
        trust_env=True,
        follow_redirects=False,
        headers={"User-Agent": f"{APP_NAME}/{__version__}"},
    )


@dataclass
class _Attempt:
    http_status: int | None = None
    body_text: str = ""
    problem: Problem | None = None
    may_have_been_sent: bool = True


class ObdClient:
    """Places calls for one account. Thread-safe: one client can serve several workers."""

    def __init__(
        self,
        account: Account,
        *,
        timeouts: Timeouts | None = None,
        max_attempts: int = 3,
        backoff_s: float = 1.0,
        max_retry_after_s: float = MAX_RETRY_AFTER_S,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.account = account
        self.url = validate_api_url(account.api_url)
        register_secret(account.api_key, account.secret_token)
        self.redactor = Redactor(account.secrets)
        self.max_attempts = max(1, max_attempts)
        self.backoff_s = backoff_s
        self.max_retry_after_s = max_retry_after_s
        self._owns_http = http is None
        self._http = http or make_http_client(timeouts)
        self._sleep = sleep

    def __enter__(self) -> ObdClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- one call ---------------------------------------------------------------------------

    def place_call(
        self, request: CallRequest, cancel: threading.Event | None = None, *, resending: bool = False
    ) -> Outcome:
        """Send one call. ``resending``: an earlier send of this very request (same reference_id) may
        have reached MyOperator, so a "reference already taken" answer means it was accepted then."""
        started = time.monotonic()
        cancel = cancel or threading.Event()
        problems = request.problems()
        if problems:
            bad = catalogue.problem("bad_request", " ".join(problems))
            return Outcome("rejected", request, problem=bad, attempts=0)
        body = json.dumps(build_body(request, self.account)).encode()
        headers = build_headers(self.account)
        sent_before = resending  # an earlier attempt may have reached MyOperator
        attempt = _Attempt()
        number = 0
        for number in range(1, self.max_attempts + 1):
            if cancel.is_set():
                return self._cancelled(request, number - 1, started, sent_before)
            attempt = self._send_once(body, headers, request)
            if attempt.problem is None:
                return self._accepted(request, attempt, number, started, confirmed=False)
            if attempt.problem.code == "duplicate_reference" and sent_before:
                return self._accepted(request, attempt, number, started, confirmed=True)
            sent_before = sent_before or attempt.may_have_been_sent
            delay = self._retry_delay(attempt.problem, number)
            if delay is None:
                break
            log.info("Retrying %s in %.1fs (%s)", request.reference_id, delay, attempt.problem.code)
            if self._wait(delay, cancel):
                return self._cancelled(request, number, started, sent_before)
        return self._finish(request, attempt, number, started)

    def _send_once(self, body: bytes, headers: dict[str, str], request: CallRequest) -> _Attempt:
        try:
            with self._http.stream("POST", self.url, content=body, headers=headers) as response:
                raw = self._read_limited(response)
                status, response_headers = response.status_code, response.headers
        except httpx.HTTPError as exc:
            log.warning("Call %s: %s", request.reference_id, self.redactor.text(repr(exc)))
            return _Attempt(
                problem=catalogue.classify_exception(exc, self.redactor),
                may_have_been_sent=catalogue.was_sent(exc),
            )
        if raw is None:
            huge = catalogue.problem(
                "unexpected_response", f"(answer larger than {MAX_RESPONSE_BYTES} bytes)"
            )
            return _Attempt(http_status=status, problem=huge)
        text = raw.decode("utf-8", errors="replace")
        log.info("Call %s: HTTP %s %s", request.reference_id, status, self.redactor.text(text[:500]))
        found = catalogue.classify_response(status, text, response_headers, self.redactor)
        return _Attempt(http_status=status, body_text=self.redactor.text(text), problem=found)

    @staticmethod
    def _read_limited(response: httpx.Response) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def _retry_delay(self, problem: Problem, attempt_number: int) -> float | None:
        """Seconds to wait before the next attempt, or None when retrying is not safe or sensible."""
        if attempt_number >= self.max_attempts:
            return None
        if not catalogue.PROBLEMS.get(problem.code, catalogue.PROBLEMS["unexpected_response"]).retryable:
            return None
        if problem.retry_after is not None:
            return problem.retry_after if problem.retry_after <= self.max_retry_after_s else None
        base = self.backoff_s * (2 ** (attempt_number - 1))
        return base * random.uniform(0.8, 1.2)  # jitter: many clients must not retry in lockstep

    def _wait(self, delay: float, cancel: threading.Event) -> bool:
        """Sleep for ``delay``; True when cancelled meanwhile."""
        if self._sleep is not None:
            self._sleep(delay)
            return cancel.is_set()
        return cancel.wait(delay)

    # -- outcomes ---------------------------------------------------------------------------

    def _accepted(
        self, request: CallRequest, attempt: _Attempt, attempts: int, started: float, *, confirmed: bool
    ) -> Outcome:
        data = _loads(attempt.body_text)
        unique_id = data.get("unique_id") if isinstance(data.get("unique_id"), str) else None
        return Outcome(
            "accepted",
            request,
            http_status=attempt.http_status,
            unique_id=unique_id,
            raw_response=attempt.body_text[: catalogue.RAW_LIMIT],
            attempts=attempts,
            confirmed_by_duplicate=confirmed,
            elapsed_s=time.monotonic() - started,
        )

    def _finish(self, request: CallRequest, attempt: _Attempt, attempts: int, started: float) -> Outcome:
        """The last attempt failed. Rejected when MyOperator refused; failed when the outcome is unknown."""
        problem = attempt.problem
        unknown = attempt.http_status is None or (
            problem is not None and problem.code == "unexpected_response"
        )
        return Outcome(
            "failed" if unknown else "rejected",
            request,
            http_status=attempt.http_status,
            problem=problem,
            raw_response=(attempt.body_text or (problem.raw if problem else ""))[: catalogue.RAW_LIMIT],
            attempts=attempts,
            elapsed_s=time.monotonic() - started,
        )

    @staticmethod
    def _cancelled(request: CallRequest, attempts: int, started: float, sent_before: bool) -> Outcome:
        # Nothing was sent when nothing went out before; either way no acceptance is known.
        problem = catalogue.problem(
            "cancelled", "" if sent_before else "(cancelled before anything was sent)"
        )
        return Outcome(
            "failed",
            request,
            problem=problem,
            attempts=attempts,
            elapsed_s=time.monotonic() - started,
        )


def _loads(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
