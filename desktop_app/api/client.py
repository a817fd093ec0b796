"""The HTTP client: sends one call, retries only where it is safe, and always returns an ``Outcome``.

Safety rule (shared/myoperator-api.md, "Idempotency"): every retry carries the *same* reference_id,
so MyOperator refuses a second copy of a call that already got through; a 403 "already taken"
answering a retry therefore means the first attempt was accepted.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import random
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
GATEWAY_STATUSES = (502, 503, 504)  # a gateway's error: the request may have been passed on
_POLL_S = 0.05  # how often the waiting thread looks at the cancel flag during an attempt
# Undone here, as the bytes arrive and within the size cap; httpx would inflate a chunk unbounded.
_ACCEPT_ENCODING = "gzip, deflate"

# Plain http is only ever allowed to this computer (validate_api_url), and a proxy would read the
# x-api-key and secret_token in clear: every http:// request, and any request to a loopback
# literal, goes direct (None = the client's own transport, which has no proxy). A proxy could
# not reach this computer's loopback anyway. HTTPS to anywhere else honours the env/system proxy.
_DIRECT = {"http://": None, "all://localhost": None, "all://127.0.0.1": None, "all://[::1]": None}


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 20.0  # MyOperator usually answers within a second; 20 s covers a slow day
    # Wall-clock limit for one whole attempt (connect + send + read). httpx's own limits apply per
    # operation, so a server trickling one byte at a time would otherwise hold an attempt for hours.
    attempt: float = 30.0

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.read, pool=self.connect)


def _ssl_context() -> ssl.SSLContext:
    """Mozilla's roots plus the OS store, so an office proxy's certificate installed by IT works.

    Built once and shared by every client (an SSLContext is safe to share between threads): loading
    both stores takes ~35 ms of CPU, and the call log is asked every few seconds. A certificate IT
    installs in the OS store while OpDial runs is trusted after a restart. OpenSSL's own variables
    for extra roots are part of the key, so setting them gives a context that reads them.
    """
    return _ssl_context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _ssl_context_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    del cert_file, cert_dir  # the cache key: load_default_certs reads them from the environment
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_default_certs()
    return context


def make_http_client(timeouts: Timeouts | None = None) -> httpx.Client:
    """One reusable, thread-safe client: TLS verification always on, redirects never followed, the
    system/env proxy honoured for HTTPS, never for plain http (loopback only) or loopback names.

    No keep-alive: every attempt opens its own connection, so ``ObdClient`` can see its socket and
    cut it at the deadline or on cancel, and a stale pooled connection never turns a call into an
    unknown outcome. Calls are seconds apart; the extra handshake does not matter.
    """
    options: dict[str, Any] = {
        "timeout": (timeouts or Timeouts()).httpx(),
        "verify": _ssl_context(),
        "trust_env": True,
        "mounts": _DIRECT,
        "follow_redirects": False,
        "limits": httpx.Limits(max_keepalive_connections=0),
        "headers": {"User-Agent": f"{APP_NAME}/{__version__}", "Accept-Encoding": _ACCEPT_ENCODING},
    }
    try:
        return httpx.Client(**options)
    except ImportError:  # a socks5:// proxy in the environment: httpx's SOCKS extra is not shipped
        log.warning("The environment names a SOCKS proxy, which OpDial cannot use; connecting directly")
        return httpx.Client(**{**options, "trust_env": False})


@dataclass
class _Attempt:
    http_status: int | None = None
    body_text: str = ""
    problem: Problem | None = None
    may_have_been_sent: bool = True
    cancelled: bool = False


class _Stopped(Exception):
    """Raised inside the attempt's thread: the attempt was abandoned before the request went out."""


class _InFlight:
    """One attempt's shared state between its thread and the waiting thread.

    httpcore's ``trace`` extension reports each step of the attempt on the attempt's own thread:
    it hands over the TCP socket as soon as it is connected, and says when the request starts
    going out (before that, nothing can have been sent, and a stopped attempt refuses to start
    sending). ``stop`` shuts the socket down, which at once wakes a read or write blocked on it,
    also during a TLS handshake. It keeps a duplicate of the socket: TLS takes the original over,
    and a duplicate can never be confused with a later connection that reuses the number.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._sending = False
        self._stopped = False
        self.result: _Attempt | None = None
        self.done = threading.Event()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith("connect_tcp.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is None:
                return
            duplicate = sock.dup()
            with self._lock:
                previous, self._socket = self._socket, duplicate
                stopped = self._stopped
            _close(previous)
            if stopped:
                self._cut()
        elif event.endswith("send_request_headers.started"):
            request = info.get("request")
            if getattr(request, "method", b"") == b"CONNECT":  # to the proxy: not the call yet
                return
            with self._lock:
                if self._stopped:
                    raise _Stopped
                self._sending = True

    @property
    def sending(self) -> bool:
        with self._lock:
            return self._sending

    def finish(self, attempt: _Attempt) -> None:
        with self._lock:
            if not self._stopped:
                self.result = attempt
            sock, self._socket = self._socket, None
        _close(sock)
        self.done.set()

    def stop(self) -> bool | None:
        """Abandon the attempt and cut its connection. Whether the request may have gone out, or
        None when the attempt had already finished (then ``result`` holds its answer)."""
        with self._lock:
            if self.result is not None:
                return None
            self._stopped = True
            sending = self._sending
        self._cut()
        return sending

    def _cut(self) -> None:
        with self._lock:
            sock, self._socket = self._socket, None
        if sock is not None:
            # shutdown, not close: only shutdown wakes another thread blocked on the connection
            with contextlib.suppress(OSError):  # the peer may have closed it already
                sock.shutdown(socket.SHUT_RDWR)
        _close(sock)


def _close(sock: socket.socket | None) -> None:
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()


class _TooLarge(Exception):
    """The answer exceeded the size cap (compressed or decompressed)."""


class _Unreadable(Exception):
    """The answer's content encoding cannot be undone."""


class _BoundedBody:
    """Collects an answer body from its raw bytes, undoing gzip/deflate as they arrive, and never
    holds more than ``limit`` bytes, compressed or decompressed (a gzip bomb stops at the cap)."""

    def __init__(self, content_encoding: str, limit: int = MAX_RESPONSE_BYTES) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise _Unreadable(f"(answer in an unsupported content encoding: {content_encoding[:80]})")
        self._coding = codings[0] if codings else None
        wbits = zlib.MAX_WBITS | 16 if self._coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(wbits) if self._coding else None
        self._limit = limit
        self._raw_size = 0
        self._started = False
        self.data = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._raw_size += len(chunk)
        if self._raw_size > self._limit:
            raise _TooLarge
        if self._inflater is None:
            self._keep(chunk)
            return
        try:
            self._inflate(chunk)
        except zlib.error:
            if self._coding != "deflate" or self._started:
                raise _Unreadable(f"(answer is not valid {self._coding} data)") from None
            # "deflate" is sometimes sent raw, without the zlib header (as httpx also allows)
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            self._inflate(chunk)
        self._started = True

    def _inflate(self, data: bytes) -> None:
        assert self._inflater is not None
        while data:
            # One byte more than there is room for: producing it proves the body is too large.
            piece = self._inflater.decompress(data, self._limit - len(self.data) + 1)
            self._keep(piece)
            if not piece and self._inflater.unconsumed_tail == data:
                break
            data = self._inflater.unconsumed_tail

    def _keep(self, piece: bytes) -> None:
        if len(self.data) + len(piece) > self._limit:
            raise _TooLarge
        self.data += piece


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
        self.url = _checked_url(account.api_url)
        register_secret(account.api_key, account.secret_token)
        self.redactor = Redactor(account.secrets)
        self.max_attempts = max(1, max_attempts)
        self.backoff_s = backoff_s
        self.max_retry_after_s = max_retry_after_s
        self.timeouts = timeouts or Timeouts()
        self._owns_http = http is None
        self._http = http or make_http_client(self.timeouts)
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
            attempt = self._attempt(body, headers, request, cancel)
            if attempt.cancelled:
                sent = sent_before or attempt.may_have_been_sent
                return self._cancelled(request, number, started, sent)
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
        return self._finish(request, attempt, number, started, sent_before)

    def _attempt(
        self, body: bytes, headers: dict[str, str], request: CallRequest, cancel: threading.Event
    ) -> _Attempt:
        """One attempt on its own thread, while this thread watches the deadline and ``cancel``; at
        either, it cuts the attempt's connection and returns at once, whatever the server does."""
        flight = _InFlight()
        worker = threading.Thread(
            target=self._work,
            args=(flight, body, headers, request),
            name=f"opdial-call-{request.reference_id}",
            daemon=True,  # an abandoned attempt (cut, or stuck in DNS) never holds up exit
        )
        deadline = time.monotonic() + self.timeouts.attempt
        worker.start()
        try:
            while not flight.done.wait(max(0.0, min(_POLL_S, deadline - time.monotonic()))):
                if cancel.is_set() or time.monotonic() >= deadline:
                    break
        except BaseException:  # Ctrl+C in the CLI: never leave the attempt running behind
            flight.stop()
            raise
        sent = flight.stop()
        if sent is None:  # it finished (possibly just now): its own answer is the truth
            assert flight.result is not None
            return flight.result
        if cancel.is_set():
            log.info("Call %s: cancelled during the attempt (sent: %s)", request.reference_id, sent)
            return _Attempt(may_have_been_sent=sent, cancelled=True)
        log.warning("Call %s: no answer within %gs", request.reference_id, self.timeouts.attempt)
        raw = f"(no complete answer within {self.timeouts.attempt:g} s)"
        late = catalogue.problem("timeout", raw, variant=None if sent else "connect")
        return _Attempt(problem=late, may_have_been_sent=sent)

    def _work(self, flight: _InFlight, body: bytes, headers: dict[str, str], request: CallRequest) -> None:
        try:
            attempt = self._send_once(body, headers, request, flight)
        except Exception as exc:  # a cut connection may surface as any error; the waiter decides
            problem = catalogue.classify_exception(exc, self.redactor)
            attempt = _Attempt(problem=problem, may_have_been_sent=flight.sending)
        flight.finish(attempt)

    def _send_once(
        self, body: bytes, headers: dict[str, str], request: CallRequest, flight: _InFlight
    ) -> _Attempt:
        headers = {**headers, "Accept-Encoding": _ACCEPT_ENCODING}
        extensions = {"trace": flight.trace}
        try:
            with self._http.stream(
                "POST", self.url, content=body, headers=headers, extensions=extensions
            ) as response:
                status, response_headers = response.status_code, response.headers
                raw = self._read_limited(response)
        except httpx.HTTPError as exc:
            log.warning("Call %s: %s", request.reference_id, self.redactor.text(repr(exc)))
            return _Attempt(
                problem=catalogue.classify_exception(exc, self.redactor),
                # Before the request started going out nothing can have been sent, whatever failed.
                may_have_been_sent=catalogue.was_sent(exc) and flight.sending,
            )
        if not isinstance(raw, bytes):
            log.warning("Call %s: HTTP %s %s", request.reference_id, status, raw)
            return _Attempt(http_status=status, problem=catalogue.problem("unexpected_response", raw))
        text = raw.decode("utf-8", errors="replace")
        log.info("Call %s: HTTP %s %s", request.reference_id, status, self.redactor.text(text[:500]))
        found = catalogue.classify_response(status, text, response_headers, self.redactor)
        return _Attempt(http_status=status, body_text=self.redactor.text(text), problem=found)

    @staticmethod
    def _read_limited(response: httpx.Response) -> bytes | str:
        """The decoded body, or why there is none (too large, undecodable) as raw text."""
        try:
            body = _BoundedBody(response.headers.get("content-encoding", ""))
            for chunk in response.iter_raw():
                body.feed(chunk)
        except _TooLarge:
            return f"(answer too large: more than {MAX_RESPONSE_BYTES} bytes, compressed or not)"
        except _Unreadable as exc:
            return str(exc)
        return bytes(body.data)

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

    def _finish(
        self, request: CallRequest, attempt: _Attempt, attempts: int, started: float, sent: bool
    ) -> Outcome:
        """The last attempt failed. Rejected when MyOperator refused; failed when the outcome is unknown.

        A gateway's 502/503/504 is not a refusal: the gateway may have passed the request on before
        failing, so it is unknown. MyOperator's own refusals (words the catalogue recognises, even
        with a 5xx, like 500 "Company Config Missing") stay rejections.
        """
        problem = attempt.problem
        gateway = (
            attempt.http_status in GATEWAY_STATUSES
            and problem is not None
            and problem.code == "server_error"
        )
        if gateway and problem is not None:
            problem = catalogue.problem(
                "server_error", problem.raw, variant="gateway", retry_after=problem.retry_after
            )
        unknown = (
            attempt.http_status is None
            or gateway
            or (problem is not None and problem.code == "unexpected_response")
        )
        return Outcome(
            "failed" if unknown else "rejected",
            request,
            http_status=attempt.http_status,
            problem=problem,
            raw_response=(attempt.body_text or (problem.raw if problem else ""))[: catalogue.RAW_LIMIT],
            attempts=attempts,
            elapsed_s=time.monotonic() - started,
            may_have_been_sent=sent,
        )

    @staticmethod
    def _cancelled(request: CallRequest, attempts: int, started: float, sent_before: bool) -> Outcome:
        # Nothing was sent when nothing went out before; either way no acceptance is known.
        problem = catalogue.problem(
            "cancelled",
            "(cancelled while waiting for the answer: the request may have reached MyOperator)"
            if sent_before
            else "(cancelled before anything was sent)",
        )
        return Outcome(
            "failed",
            request,
            problem=problem,
            attempts=attempts,
            elapsed_s=time.monotonic() - started,
            may_have_been_sent=sent_before,
        )


def _checked_url(url: str) -> str:
    """``validate_api_url``, and httpx must read the same host from it (no parser may disagree)."""
    text = validate_api_url(url)
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise UnsafeUrlError(f"The API URL {text!r} is not a valid web address ({exc}).") from None
    if parsed.scheme == "http" and not is_loopback_host(parsed.host):
        raise UnsafeUrlError(f"The API URL {text!r} does not clearly name this computer.")
    return text


def _loads(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
