"""A local stand-in for MyOperator's OBD endpoint: demo mode, ``opdial-cli sandbox`` and every HTTP test.

It validates a request the way the real service plausibly does (see ``shared/myoperator-api.md``), in
this order: path, ``x-api-key``, JSON body, required fields, ``secret_token``, ``company_id``, company
configuration and ``public_ivr_id``, field types, the customer number, user dial vs anonymous dial,
the anonymous feature, duplicate ``reference_id`` within a TTL; and answers with the observed shapes.

On top of that, ``Faults`` make the transport misbehave for the next N requests (dropped connections,
replies lost after accepting, 500, 429, HTML 502, garbage), and ``DEMO_TRIGGERS`` let a person provoke
each problem in demo mode by dialling a particular fictional number.

The same server also plays MyOperator's logs and users API (``/user``, ``/search``,
``/recordings/link``, authorised by one ``token`` parameter): every accepted call leaves a call-log
record that shows up after ``log_delay_s``, shaped by ``LOG_TRIGGERS``; tests add any other record
with ``add_log_record``. The OBD ``Faults`` never touch the logs API (a poller running beside a test
must not use up a fault meant for a call); ``logs_fault`` makes the logs API misbehave instead.

Everything is plain Python (no Qt). Recorded requests hold the raw headers and body, secrets included:
they live only in memory, for tests that check the exact wire format.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import dataclasses
import html
import ipaddress
import json
import logging
import math
import os
import re
import selectors
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any, NamedTuple

from desktop_app.api.models import MAX_CALL_DURATION_RANGE, Account

log = logging.getLogger(__name__)

API_PATH = "/obd-api-v1"
MAX_BODY_BYTES = 64 * 1024
DEFAULT_CLI_PORT = 8765

E164_PATTERN = re.compile(r"^\+[1-9]\d{7,14}$")
USER_ID_PATTERN = re.compile(r"^[0-9a-fA-F]{16}$")
STRING_FIELDS = (
    "company_id",
    "secret_token",
    "type",
    "number",
    "public_ivr_id",
    "reference_id",
    "user_id",
    "number_2",
    "region",
    "group",
    "caller_id",
)
REQUIRED_FIELDS = ("company_id", "secret_token", "type", "number", "public_ivr_id")

# Observed and documented texts, spelled as the real service spells them (including its typo).
TEXT_NUMBER_NOT_STRING = "Provide valid Number in string format"
TEXT_NUMBER_FORMAT = "Invalid Number Format"
TEXT_INVALID_KEY = "Invalid API Key"
TEXT_ANONYMOUS_DISABLED = "annonymous dial is not enabled for this company"
TEXT_DUPLICATE = "Reference ID already taken"
TEXT_CONFIG_MISSING = "Company Config Missing"
TEXT_ACCEPTED = "Request accepted successfully"

HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>awselb/2.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
MALFORMED_BODY = '{"status":"success","details":"Request acc<!-- upstream truncated -->'
# How error answers are written: the observed JSON, or the same words as plain text or an HTML page
# (as a web framework or a proxy in front of the service might answer).
ERROR_FORMATS = ("json", "text", "html")

# ---- the logs and users API (a second token; see "The logs and users API" in the API notes) ----------
USERS_PATH = "/user"
SEARCH_PATH = "/search"
RECORDING_LINK_PATH = "/recordings/link"
LOGS_METHODS: dict[str, tuple[str, ...]] = {
    USERS_PATH: ("GET", "POST"),
    SEARCH_PATH: ("POST", "GET"),
    RECORDING_LINK_PATH: ("GET", "POST"),
}
TEXT_NOT_AUTHORIZED = "This not an authorized request"  # sic, as the service spells it
TEXT_FILE_NOT_FOUND = "File not found"
TEXT_UNKNOWN_METHOD = "Unknown method."  # what the /search/... paths of a Postman collection answer
USERS_PAGE_SIZE_MAX = 100
SEARCH_PAGE_SIZE_DEFAULT = 20
SEARCH_PAGE_SIZE_MAX = 100
RECORDING_LINK_TTL_S = 86400
LOG_CRI_MODES = ("always", "never", "alternate")
# status_error: 200 {"status":"error",...}; non_json: 200 HTML page; missing_fields: /search records
# lose the fields in MISSABLE_LOG_FIELDS; duplicate_records: /search stores every record twice.
LOGS_FAULTS = ("status_error", "non_json", "missing_fields", "duplicate_records")
MISSABLE_LOG_FIELDS = ("log_details", "_us", "_cri", "duration", "filename", "status")
LOGS_HTML_503 = "<html><body>Service Unavailable</body></html>"

# Fictional demo users (16-hex ids as the OBD API takes them; +91 90000 000xx numbers). The first is
# the default agent everywhere (``default_user_id``), so it must stay first.
DEMO_USERS: dict[str, str] = {
    "a1b2c3d4e5f60718": "Asha (demo agent)",
    "b2c3d4e5f6071829": "Ravi (demo agent)",
    "c3d4e5f607182930": "Meera (demo manager)",
}
DEMO_USER_DETAILS: dict[str, dict[str, str]] = {
    "a1b2c3d4e5f60718": {
        "email": "asha@example.com",
        "contact_number": "9000000011",
        "extension": "11",
        "role_id": "8",
    },
    "b2c3d4e5f6071829": {
        "email": "ravi@example.com",
        "contact_number": "9000000012",
        "extension": "12",
        "role_id": "8",
    },
    "c3d4e5f607182930": {
        "email": "meera@example.com",
        "contact_number": "9000000013",
        "extension": "13",
        "role_id": "4",
    },
}


@dataclass
class SandboxConfig:
    """What the sandbox accepts. Mutable while the server runs (tests flip switches between requests).

    The default credentials are deliberately fake and harmless to print.
    """

    host: str = "127.0.0.1"
    port: int = 0
    api_key: str = "sandbox-api-key-0000"
    secret_token: str = "sandbox-secret-0000"
    company_id: str = "demo-company"
    public_ivr_id: str = "demo-ivr"
    users: dict[str, str] = field(default_factory=lambda: dict(DEMO_USERS))  # user id -> name
    anonymous_enabled: bool = True
    # Companies that exist (same secret) but whose campaign configuration is missing: 500.
    config_missing_companies: tuple[str, ...] = ()
    duplicate_ttl_s: float = 172800.0  # about 48 h: a guess, see the API notes
    # "api": wrong key answers {"status":"error","code":"403","details":"Invalid API Key"};
    # "gateway": {"message":"Forbidden"}. A missing key always gets the gateway shape.
    invalid_key_style: str = "api"
    error_format: str = "json"  # one of ERROR_FORMATS: how every error answer (HTTP >= 400) is written
    # A careless or hostile server: every answer quotes the received x-api-key and secret_token back
    # in many encodings (see ``echo_forms``), so tests can check they are masked everywhere.
    echo_secrets: bool = False
    demo_triggers_enabled: bool = True
    slow_reply_s: float = 8.0
    # Binding to anything but loopback exposes the (fake) credentials: only on explicit request.
    allow_non_loopback: bool = False
    now: Callable[[], float] = time.monotonic  # for reference-id TTLs
    # ---- the logs and users API ----
    logs_token: str = "sandboxlogstoken0000000000000000"  # 32 characters, like the real one
    # Per user id in ``users``: email, contact_number (national digits), extension, role_id.
    user_details: dict[str, dict[str, str]] = field(default_factory=lambda: copy.deepcopy(DEMO_USER_DETAILS))
    log_delay_s: float = 2.0  # an accepted call's record shows up this long after acceptance
    wall_clock: Callable[[], float] = time.time  # UTC unix seconds, for log times (``now`` is monotonic)
    log_cri: str = "alternate"  # one of LOG_CRI_MODES: when ``_cri`` carries the call's reference_id
    logs_fault: str | None = None  # one of LOGS_FAULTS, while set

    @property
    def default_user_id(self) -> str | None:
        return next(iter(self.users), None)


@dataclass
class Faults:
    """Switchable misbehaviour. Counts apply to the next N requests, then fall back to 0.

    One request triggers at most one counted fault, checked in the order of the fields below, so
    setting several counts plays them in sequence. ``latency_s`` and ``retry_after`` persist.
    """

    drop_connection: int = 0  # close the socket without answering; nothing is accepted
    lose_reply: int = 0  # process the request (accept it if valid), then close without answering
    server_error: int = 0  # 500 {"message": "Internal server error"}
    rate_limit: int = 0  # 429 with Retry-After: retry_after
    html_502: int = 0  # 502 with a load balancer's HTML page
    malformed: int = 0  # 200 with a body that is not JSON
    empty_200: int = 0  # 200 with an empty body
    status_not_success: int = 0  # 200 with {"status": "error", ...}
    latency_s: float = 0.0  # delay before every reply (after processing)
    retry_after: float = 1.0

    COUNTED = (
        "drop_connection",
        "lose_reply",
        "server_error",
        "rate_limit",
        "html_502",
        "malformed",
        "empty_200",
        "status_not_success",
    )

    def take(self) -> str | None:
        """Consume one count of the first pending fault and name it (caller holds the lock)."""
        for name in self.COUNTED:
            count = getattr(self, name)
            if count > 0:
                setattr(self, name, count - 1)
                return name
        return None

    def clear(self) -> None:
        for f in fields(self):
            setattr(self, f.name, f.default)


class DemoTrigger(NamedTuple):
    """A customer number that provokes one behaviour in demo mode."""

    number: str
    behaviour: str  # what the sandbox does
    problem: str  # the problem code the app ends up showing, or "accepted" when the call goes through


# Fictional Indian mobile numbers (valid per phonenumbers, so the app lets them through); the last
# three digits hint at what they provoke.
DEMO_TRIGGERS: list[DemoTrigger] = [
    DemoTrigger("+919000000400", "400 Invalid Number Format", "invalid_number"),
    DemoTrigger("+919000000403", "403 Invalid API Key", "auth_failed"),
    DemoTrigger("+919000000431", "403 anonymous dial not enabled", "anonymous_disabled"),
    DemoTrigger("+919000000409", "403 Reference ID already taken", "duplicate_reference"),
    DemoTrigger("+919000000501", "500 Company Config Missing", "company_config_missing"),
    DemoTrigger("+919000000429", "429 Too Many Requests with Retry-After", "rate_limited"),
    DemoTrigger("+919000000500", "500 Internal server error", "server_error"),
    DemoTrigger("+919000000502", "502 HTML page from a load balancer", "server_error"),
    DemoTrigger("+919000000499", "connection dropped without an answer", "network"),
    DemoTrigger("+919000000201", "200 with a body that is not JSON", "unexpected_response"),
    DemoTrigger("+919000000408", "accepted, but the answer takes 8 s", "accepted"),
    DemoTrigger(
        "+919000000444",
        "accepted, then the answer is lost; a retry with the same reference_id is told 'already taken'",
        "accepted",
    ),
]
# What each trigger number does, by the same names as the counted faults where one fits.
_TRIGGER_ACTIONS: dict[str, str] = {
    "+919000000400": "invalid_number",
    "+919000000403": "invalid_key",
    "+919000000431": "anonymous_disabled",
    "+919000000409": "duplicate",
    "+919000000501": "config_missing",
    "+919000000429": "rate_limit",
    "+919000000500": "server_error",
    "+919000000502": "html_502",
    "+919000000499": "drop_connection",
    "+919000000201": "malformed",
    "+919000000408": "slow_reply",
    "+919000000444": "lose_reply",
}
_ACCEPTING_ACTIONS = ("slow_reply", "lose_reply")  # the classic "timeout after success"

# Customer numbers that shape the call-log record an accepted call leaves (any call type). Unlike the
# DEMO_TRIGGERS they apply even with ``demo_triggers_enabled`` off: they never refuse a call.
LOG_CUSTOMER_NO_ANSWER = "+919000000601"
LOG_AGENT_NO_ANSWER = "+919000000602"
LOG_NEVER_LOGGED = "+919000000603"
LOG_STARTS_EARLY = "+919000000604"
LOG_STARTS_LATE = "+919000000605"
LOG_START_OFFSET_S = 3  # a normal call starts this long after acceptance
LOG_RING_S = 12
LOG_TALK_S = 42


class LogTrigger(NamedTuple):
    """A customer number that gives its call a particular call-log record."""

    number: str
    behaviour: str


LOG_TRIGGERS: list[LogTrigger] = [
    LogTrigger(LOG_CUSTOMER_NO_ANSWER, "logged as missed: the agent answered, the customer did not"),
    LogTrigger(LOG_AGENT_NO_ANSWER, "logged as missed: the agent did not answer"),
    LogTrigger(LOG_NEVER_LOGGED, "never appears in the call log"),
    LogTrigger(LOG_STARTS_EARLY, "answered; the log's start time is 8 s before acceptance (clocks differ)"),
    LogTrigger(LOG_STARTS_LATE, "answered; starts 90 s after acceptance (a queued call)"),
]


class _LogShape(NamedTuple):
    start_offset_s: int = LOG_START_OFFSET_S
    ring_s: int = LOG_RING_S
    talk_s: int = LOG_TALK_S
    agent_answered: bool = True
    customer_answered: bool = True


_LOG_SHAPES: dict[str, _LogShape | None] = {  # None: no record at all
    LOG_CUSTOMER_NO_ANSWER: _LogShape(ring_s=30, talk_s=0, customer_answered=False),
    LOG_AGENT_NO_ANSWER: _LogShape(ring_s=30, talk_s=0, agent_answered=False),
    LOG_NEVER_LOGGED: None,
    LOG_STARTS_EARLY: _LogShape(start_offset_s=-8),
    LOG_STARTS_LATE: _LogShape(start_offset_s=90),
}


@dataclass(frozen=True)
class _LogEntry:
    """A stored call-log record. ``accepted_at`` (wall clock) is None for injected records, which are
    visible at once; a call's record becomes visible ``log_delay_s`` after it."""

    source: dict[str, Any]
    accepted_at: float | None = None

    def visible(self, now: float, delay_s: float) -> bool:
        return self.accepted_at is None or now >= self.accepted_at + delay_s


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as it arrived. ``headers`` has lower-case names; ``json`` is None if unparsable.

    ``response_status`` is None when no answer was sent (dropped connection, lost reply).
    """

    method: str
    path: str
    headers: dict[str, str]
    body_text: str
    json: Any
    accepted: bool
    response_status: int | None
    fault: str | None = None


@dataclass
class Reply:
    """What the handler sends back (or, with ``drop``, the decision to send nothing)."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    accepted: bool = False
    drop: bool = False
    delay_s: float = 0.0


def json_reply(status: int, payload: dict[str, Any], **kwargs: Any) -> Reply:
    return Reply(status, json.dumps(payload, separators=(",", ":")).encode(), **kwargs)


def api_error(status: int, details: str, **extra: Any) -> Reply:
    """The service's own error shape: code as a string, reason in ``details``."""
    return json_reply(status, {"status": "error", "code": str(status), "details": details, **extra})


def gateway_error(status: int, message: str) -> Reply:
    """The shape the API gateway in front of the service answers with."""
    return json_reply(status, {"message": message}, headers={"x-amzn-ErrorType": "ForbiddenException"})


def schema_error(message: str) -> Reply:
    """400 with JSON-schema-validator-like text, as some observed 400s carry."""
    return api_error(400, message)


def _repr_json(value: Any) -> str:
    """Render a value the way Python's jsonschema prints an instance."""
    return repr(value)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # without it every reply stalls ~40 ms (Nagle + delayed ACK)
    server_version = "opdial-sandbox"
    sys_version = ""
    timeout = 30  # an idle keep-alive connection must not pin a thread forever
    server: _HttpServer

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            reply, record = self.server.sandbox._handle(self.command, self.path, self._header_dict(), body)
        except Exception:
            log.exception("sandbox: failed to handle %s %s", self.command, self.path)
            self._send(json_reply(500, {"message": "Internal server error (sandbox bug)"}))
            return
        self.server.sandbox._record(record)
        if reply.delay_s > 0 and self.server.stopping.wait(reply.delay_s):
            reply.drop = True  # shutting down: never answer late
        if reply.drop:
            self.close_connection = True
            return
        self._send(reply)

    def _header_dict(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(api_error(400, "Invalid Content-Length"))
            self.close_connection = True
            return None
        if length > MAX_BODY_BYTES:
            self._send(api_error(413, "Request Entity Too Large"))
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes | None:
        data = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():
                    pass  # trailers
                return bytes(data)
            data += self.rfile.read(size)
            self.rfile.readline()
            if len(data) > MAX_BODY_BYTES:
                self._send(api_error(413, "Request Entity Too Large"))
                self.close_connection = True
                return None

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        if reply.body or reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox: " + format, *args)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: SandboxServer

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        # The stdlib does not track daemon handler threads, so stop() could not join them: we do.
        self._handler_threads: set[threading.Thread] = set()
        self._connections_lock = threading.Lock()
        # serve_forever() notices shutdown() only at its next poll; a wake-up socket makes stop() instant.
        self._wake_reader, self._wake_writer = socket.socketpair()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def serve_until_stopped(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while not self.stopping.is_set():
                ready = selector.select()
                if any(key.fileobj is self.socket for key, _ in ready) and not self.stopping.is_set():
                    self._handle_request_noblock()  # accept, then process_request() on a new thread

    def request_stop(self) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="opdial-sandbox-connection",
            daemon=True,
        )
        with self._connections_lock:
            self._connections.add(request)
            self._handler_threads.add(thread)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)  # handles, then shutdown_request()
        finally:
            with self._connections_lock:
                self._handler_threads.discard(threading.current_thread())

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def join_handlers(self) -> None:
        with self._connections_lock:
            running = list(self._handler_threads)
        for thread in running:
            thread.join()

    def close_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive connections so they can finish."""
        with self._connections_lock:
            open_connections = list(self._connections)
        for conn in open_connections:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-reply and sockets closed by stop() are normal here; anything else
        # is a bug worth seeing.
        if isinstance(sys.exc_info()[1], OSError):
            log.debug("sandbox: connection error from %s", client_address, exc_info=True)
        else:
            log.exception("sandbox: error while serving %s", client_address)


class SandboxServer:
    """The fake MyOperator endpoint on a loopback port. Context manager; ``start()``/``stop()`` too."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        on_request: Callable[[ReceivedRequest], None] | None = None,
    ) -> None:
        self.config = config or SandboxConfig()
        self.faults = Faults()
        self.on_request = on_request
        self._lock = threading.Lock()
        self._received: list[ReceivedRequest] = []
        self._accepted: list[dict[str, Any]] = []
        self._references: dict[tuple[str, str], float] = {}  # (company, reference_id) -> accepted at
        self._log: list[_LogEntry] = []  # the call log, oldest first
        self._calls_since_reset = 0  # for log_cri "alternate"
        self._links_made = 0  # makes every recording link different; never reset
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SandboxServer:
        if self._http is not None:
            return self
        check_bind_host(self.config.host, self.config.allow_non_loopback)
        if self.config.error_format not in ERROR_FORMATS:
            raise ValueError(
                f"unknown error format {self.config.error_format!r}: use {', '.join(ERROR_FORMATS)}"
            )
        if self.config.log_cri not in LOG_CRI_MODES:
            raise ValueError(f"unknown log_cri {self.config.log_cri!r}: use {', '.join(LOG_CRI_MODES)}")
        if self.config.logs_fault is not None and self.config.logs_fault not in LOGS_FAULTS:
            raise ValueError(f"unknown logs_fault {self.config.logs_fault!r}: use {', '.join(LOGS_FAULTS)}")
        self._http = _HttpServer((self.config.host, self.config.port), self)
        self._thread = threading.Thread(
            target=self._http.serve_until_stopped,
            name="opdial-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        http, thread = self._http, self._thread
        if http is None:
            return
        http.request_stop()
        if thread is not None:
            thread.join()
        http.close_connections()
        http.join_handlers()
        http.server_close()
        self._http = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._http is not None

    # ---- what clients and tests need -------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("the sandbox is not running")
        return self._http.server_address[1]

    @property
    def logs_url(self) -> str:
        """The base URL of the logs and users API: clients append /user, /search, /recordings/link."""
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    @property
    def url(self) -> str:
        """The OBD endpoint."""
        return self.logs_url + API_PATH

    @property
    def account(self) -> Account:
        """An account the sandbox accepts, pointing at this server."""
        c = self.config
        return Account(c.company_id, c.public_ivr_id, c.api_key, c.secret_token, api_url=self.url)

    @property
    def received(self) -> list[ReceivedRequest]:
        """Every request so far, oldest first (a snapshot)."""
        with self._lock:
            return list(self._received)

    @property
    def call_requests(self) -> list[ReceivedRequest]:
        """The requests to the OBD endpoint only (calls), not the logs and users API's."""
        return [r for r in self.received if r.path.rstrip("/") == API_PATH]

    @property
    def accepted_calls(self) -> list[dict[str, Any]]:
        """The bodies of accepted calls, oldest first (a snapshot)."""
        with self._lock:
            return list(self._accepted)

    @property
    def log_records(self) -> list[dict[str, Any]]:
        """Every call-log record (``_source``), oldest first, including ones not yet visible (a copy)."""
        with self._lock:
            return [copy.deepcopy(entry.source) for entry in self._log]

    def add_log_record(self, source: dict[str, Any]) -> None:
        """Put a record (the ``_source`` of a hit, any shape) into the call log, visible at once."""
        if not isinstance(source, dict):
            raise TypeError(f"a log record is a dict, not {type(source).__name__}")
        entry = _LogEntry(copy.deepcopy(source))  # later changes by the caller must not leak in
        with self._lock:
            self._log.append(entry)

    def reset(self) -> None:
        """Forget requests, accepted calls, reserved reference ids and the call log; clear all faults."""
        with self._lock:
            self._received.clear()
            self._accepted.clear()
            self._references.clear()
            self._log.clear()
            self._calls_since_reset = 0
            self.faults.clear()

    # ---- request processing (runs on handler threads) --------------------------------------------
    def _handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[Reply, ReceivedRequest]:
        path, _, query = target.partition("?")
        text = body.decode("utf-8", errors="replace")
        parsed = _parse_json(body)
        if _is_logs_path(path):  # before the faults: those are for the OBD endpoint only
            params = _logs_params(query, text, parsed)
            reply, applied = self._process_logs(method, path.rstrip("/"), params)
            record = ReceivedRequest(method, path, headers, text, parsed, False, reply.status, applied)
            return reply, record
        with self._lock:
            fault = self.faults.take()
            latency = self.faults.latency_s
            retry_after = self.faults.retry_after
        if fault == "drop_connection":
            reply = Reply(0, drop=True)
        elif fault in (None, "lose_reply"):
            reply = self._process(method, path, headers, parsed)
            reply.drop = reply.drop or fault == "lose_reply"
        else:
            reply = fault_reply(fault, retry_after)
        if not reply.drop:
            reply = self._dress(reply, headers, parsed)
        reply.delay_s += latency
        status = None if reply.drop else reply.status
        record = ReceivedRequest(method, path, headers, text, parsed, reply.accepted, status, fault)
        return reply, record

    def _dress(self, reply: Reply, headers: dict[str, str], parsed: Any) -> Reply:
        """Apply the configured answer style: echoed secrets, then the error format."""
        if self.config.echo_secrets:
            reply = with_echo(reply, _received_secrets(headers, parsed))
        if reply.status >= 400:
            reply = formatted_error(reply, self.config.error_format)
        return reply

    def _record(self, record: ReceivedRequest) -> None:
        with self._lock:
            self._received.append(record)
        if self.on_request is not None:
            self.on_request(record)

    def _process(self, method: str, path: str, headers: dict[str, str], parsed: Any) -> Reply:
        if path.rstrip("/") != API_PATH:
            return json_reply(404, {"message": "Not Found"})
        if method != "POST":
            return json_reply(405, {"message": "Method Not Allowed"}, headers={"Allow": "POST"})
        for check in (self._check_api_key, _check_body_shape, self._check_account, _check_fields):
            refusal = check(headers, parsed)
            if refusal is not None:
                return refusal
        return self._check_call_and_accept(parsed)

    def _check_api_key(self, headers: dict[str, str], body: Any) -> Reply | None:
        key = headers.get("x-api-key")
        if not key:
            return gateway_error(403, "Forbidden")
        if key != self.config.api_key:
            if self.config.invalid_key_style == "gateway":
                return gateway_error(403, "Forbidden")
            return api_error(403, TEXT_INVALID_KEY)
        return None

    def _check_account(self, headers: dict[str, str], body: dict[str, Any]) -> Reply | None:
        c = self.config
        if body["secret_token"] != c.secret_token:
            return api_error(403, "Invalid secret_token")
        company = body["company_id"]
        if company != c.company_id and company not in c.config_missing_companies:
            return api_error(403, "Invalid company_id")
        if company in c.config_missing_companies or body["public_ivr_id"] != c.public_ivr_id:
            return api_error(500, TEXT_CONFIG_MISSING)
        return None

    def _check_call_and_accept(self, body: dict[str, Any]) -> Reply:
        for check in (_check_number, self._check_parties):
            refusal = check(body)
            if refusal is not None:
                return refusal
        action = _TRIGGER_ACTIONS.get(body["number"]) if self.config.demo_triggers_enabled else None
        with self._lock:  # duplicate check and reservation must be atomic
            duplicate = self._duplicate(body)
            if duplicate is not None:
                return duplicate
            if action is not None and action not in _ACCEPTING_ACTIONS:
                return self._demo_refusal(action)
            reply = self._accept(body)
        if action == "slow_reply":
            reply.delay_s += self.config.slow_reply_s
        elif action == "lose_reply":
            reply.drop = True
        return reply

    def _check_parties(self, body: dict[str, Any]) -> Reply | None:
        """Type "1" needs exactly one of user_id and number_2; type "2" ignores both."""
        if body["type"] != "1":
            return None
        user_id, agent = body.get("user_id"), body.get("number_2")
        if user_id and agent:
            return api_error(400, "Provide either user_id or number_2, not both")
        if not user_id and not agent:
            return api_error(400, "user_id or number_2 is required for type 1")
        if user_id:
            if not USER_ID_PATTERN.match(user_id):
                return schema_error(f"{_repr_json(user_id)} does not match '^[0-9a-f]{{16}}$'")
            if user_id.lower() not in {u.lower() for u in self.config.users}:
                return api_error(400, "Invalid user_id: no such user in this company")
            return None
        if not E164_PATTERN.match(agent):
            return api_error(400, TEXT_NUMBER_FORMAT + " (number_2)")
        if not self.config.anonymous_enabled:
            return api_error(403, TEXT_ANONYMOUS_DISABLED)
        return None

    def _duplicate(self, body: dict[str, Any]) -> Reply | None:
        """403 when this company used the reference_id within the TTL (caller holds the lock)."""
        reference = body.get("reference_id")
        if not reference:
            return None
        accepted_at = self._references.get((body["company_id"], reference))
        if accepted_at is None:
            return None
        remaining = self.config.duplicate_ttl_s - (self.config.now() - accepted_at)
        if remaining <= 0:
            return None
        return api_error(403, TEXT_DUPLICATE, remaining_ttl=math.ceil(remaining))

    def _accept(self, body: dict[str, Any]) -> Reply:
        """Queue the call: remember it, reserve its reference_id and write its future call-log record
        (caller holds the lock)."""
        reference = body.get("reference_id") or None
        unique_id = uuid.uuid4().hex
        accepted_at = self.config.wall_clock()
        shape = _LOG_SHAPES.get(body["number"], _LogShape())
        # Built first (a few dict literals): a bad log_cri then refuses the call instead of half-booking it.
        source = None
        if shape is not None:
            cri = self._cri(reference, self._calls_since_reset)
            source = call_log_record(body, unique_id, accepted_at, self._agent_of(body), shape, cri)
        if reference:
            self._references[(body["company_id"], reference)] = self.config.now()
        self._accepted.append(body)
        self._calls_since_reset += 1
        if source is not None:
            self._log.append(_LogEntry(source, accepted_at))
        payload = {
            "details": TEXT_ACCEPTED,
            "status": "success",
            "code": "200",
            "unique_id": unique_id,
            "reference_id": reference,
        }
        return json_reply(200, payload, accepted=True)

    def _cri(self, reference: str | None, call_index: int) -> str:
        mode = self.config.log_cri
        if mode not in LOG_CRI_MODES:
            raise ValueError(f"unknown log_cri {mode!r}: use {', '.join(LOG_CRI_MODES)}")
        filled = mode == "always" or (mode == "alternate" and call_index % 2 == 0)
        return (reference or "") if filled else ""

    def _agent_of(self, body: dict[str, Any]) -> dict[str, str]:
        """The agent's leg: the dialled user, the anonymous agent number, or (IVR) the first user."""
        users = self.config.users
        if body["type"] == "1" and body.get("number_2") and not body.get("user_id"):
            return {"user_id": "", "name": body["number_2"], "extension": ""}
        wanted = body.get("user_id") if body["type"] == "1" else None
        user_id = next((u for u in users if wanted is None or u.lower() == wanted.lower()), None)
        if user_id is None:
            return {"user_id": "", "name": "", "extension": ""}
        extension = self.config.user_details.get(user_id, {}).get("extension", "")
        return {"user_id": user_id, "name": users[user_id], "extension": extension}

    # ---- the logs and users API (runs on handler threads) ----------------------------------------
    def _process_logs(self, method: str, route: str, params: dict[str, str]) -> tuple[Reply, str | None]:
        """The answer and the logs fault it played (None when none did)."""
        allowed = LOGS_METHODS.get(route)
        if allowed is None:
            return logs_error(404, 404, TEXT_UNKNOWN_METHOD), None
        if method not in allowed:
            return logs_error(405, 405, "Method Not Allowed"), None
        if params.get("token") != self.config.logs_token:
            return json_reply(400, {"status": "error", "message": TEXT_NOT_AUTHORIZED, "code": 400}), None
        fault = self.config.logs_fault
        if fault == "status_error":
            return logs_error(200, 500, "Something went wrong"), fault
        if fault == "non_json":
            return Reply(200, LOGS_HTML_503.encode(), content_type="text/html"), fault
        if fault not in (None, *LOGS_FAULTS):
            raise ValueError(f"unknown logs_fault {fault!r}")
        if route == USERS_PATH:
            return self._users(params), None
        if route == SEARCH_PATH:
            return self._search(params, fault), fault
        return self._recording_link(params), None

    def _users(self, params: dict[str, str]) -> Reply:
        keyword = params.get("keyword", "").strip().lower()
        page = _int_param(params, "page", 1)
        size = min(_int_param(params, "page-size", USERS_PAGE_SIZE_MAX), USERS_PAGE_SIZE_MAX)
        users = [self._user_entry(user_id, name) for user_id, name in list(self.config.users.items())]
        if keyword:
            users = [
                u for u in users if any(keyword in u[k].lower() for k in ("name", "email", "contact_number"))
            ]
        data = users[(page - 1) * size : page * size]
        return json_reply(200, {"status": "success", "code": 200, "data": data})

    def _user_entry(self, user_id: str, name: str) -> dict[str, str]:
        details = self.config.user_details.get(user_id, {})
        return {
            "uuid": user_id,
            "name": name,
            "email": details.get("email", ""),
            "contact_number": details.get("contact_number", ""),
            "extension": details.get("extension", ""),
            "role_id": details.get("role_id", "8"),
            "is_active": "1",
        }

    def _search(self, params: dict[str, str], fault: str | None) -> Reply:
        now, delay = self.config.wall_clock(), self.config.log_delay_s
        with self._lock:  # the sources themselves are never changed once stored
            visible = [e.source for e in self._log if e.visible(now, delay)]
        low, high = _int_or_none(params.get("from")), _int_or_none(params.get("to"))
        key = params.get("search_key", "").strip()
        matches = [
            s for s in visible if _in_window(s, low, high) and (not key or _matches_search_key(s, key))
        ]
        # Newest first; among equal start times the one stored last first (sorted() is stable).
        matches = sorted(reversed(matches), key=_start_time, reverse=True)
        if fault == "duplicate_records":
            matches = [s for s in matches for _ in range(2)]
        offset = _int_param(params, "log_from", 0, minimum=0)
        size = _int_param(params, "page_size", SEARCH_PAGE_SIZE_DEFAULT)
        page = matches[offset : offset + min(size, SEARCH_PAGE_SIZE_MAX)]
        if fault == "missing_fields":
            page = [{k: v for k, v in s.items() if k not in MISSABLE_LOG_FIELDS} for s in page]
        hits = [{"_source": s} for s in page]
        data = {"total": len(matches), "hits": hits}
        return json_reply(200, {"status": "success", "code": 200, "data": data})

    def _recording_link(self, params: dict[str, str]) -> Reply:
        filename = params.get("file", "")
        with self._lock:
            if not filename or not any(e.source.get("filename") == filename for e in self._log):
                return logs_error(404, 404, TEXT_FILE_NOT_FOUND)
            self._links_made += 1
            serial = self._links_made
        expires = int(self.config.wall_clock()) + RECORDING_LINK_TTL_S
        url = f"{self.logs_url}/recordings/{urllib.parse.quote(filename)}?expires={expires}&n={serial}"
        return json_reply(200, {"status": "success", "code": 200, "url": url})

    def _demo_refusal(self, action: str) -> Reply:
        """The answer a refusing demo trigger provokes (caller holds the lock)."""
        if action == "invalid_number":
            return api_error(400, TEXT_NUMBER_FORMAT)
        if action == "invalid_key":
            return api_error(403, TEXT_INVALID_KEY)
        if action == "anonymous_disabled":
            return api_error(403, TEXT_ANONYMOUS_DISABLED)
        if action == "duplicate":
            return api_error(403, TEXT_DUPLICATE, remaining_ttl=math.ceil(self.config.duplicate_ttl_s) - 1)
        if action == "config_missing":
            return api_error(500, TEXT_CONFIG_MISSING)
        if action == "drop_connection":
            return Reply(0, drop=True)
        return fault_reply(action, self.faults.retry_after)


def fault_reply(fault: str, retry_after: float) -> Reply:
    """The canned answer for a counted fault (the request itself is not processed)."""
    if fault == "server_error":
        return json_reply(500, {"message": "Internal server error"})
    if fault == "rate_limit":
        return json_reply(429, {"message": "Too Many Requests"}, headers={"Retry-After": f"{retry_after:g}"})
    if fault == "html_502":
        return Reply(502, HTML_502.encode(), content_type="text/html")
    if fault == "malformed":
        return Reply(200, MALFORMED_BODY.encode())
    if fault == "empty_200":
        return Reply(200, b"")
    if fault == "status_not_success":
        return api_error_200()
    raise ValueError(f"unknown fault {fault!r}")


def _reply_json(reply: Reply) -> dict[str, Any] | None:
    if not reply.content_type.startswith("application/json"):
        return None
    data = _parse_json(reply.body)
    return data if isinstance(data, dict) else None


def formatted_error(reply: Reply, error_format: str) -> Reply:
    """A JSON error answer rewritten as plain text or an HTML page carrying the same words."""
    if error_format not in ERROR_FORMATS:
        raise ValueError(f"unknown error format {error_format!r}; choose one of {', '.join(ERROR_FORMATS)}")
    data = _reply_json(reply)
    if error_format == "json" or data is None:
        return reply  # already text (the load balancer's HTML 502) or meant to stay JSON
    words = next((data[k] for k in ("details", "message") if isinstance(data.get(k), str)), "")
    extra = "".join(
        f"\n{k}: {v}" for k, v in data.items() if k not in ("status", "code", "details", "message")
    )
    try:
        phrase = HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = "Error"
    if error_format == "text":
        body, content_type = words + extra + "\n", "text/plain; charset=utf-8"
    else:
        paragraphs = "".join(f"<p>{html.escape(line)}</p>\n" for line in (words + extra).splitlines())
        body = (
            f"<!DOCTYPE html>\n<html>\n<head><title>{reply.status} {html.escape(phrase)}</title></head>\n"
            f"<body>\n<h1>{html.escape(phrase)}</h1>\n{paragraphs}</body>\n</html>\n"
        )
        content_type = "text/html; charset=utf-8"
    return dataclasses.replace(reply, body=body.encode(), content_type=content_type)


def echo_forms(secret: str) -> list[str]:
    """A secret as a careless server might quote it back: as is, URL-encoded, base64 (also inside a
    larger blob, at each of the three byte alignments), hex, and in fragments. (JSON escaping comes
    with the JSON body itself.) Written out here independently of the app's Redactor on purpose."""
    raw = secret.encode()
    blobs = [b"", b"<", b"<<"]  # 0, 1 and 2 bytes before the secret shift its base64 alignment
    forms = [
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), urllib.parse.quote(secret, safe="")),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        *(base64.b64encode(b"session:" + pad + raw + b";end").decode() for pad in blobs),
        *(base64.urlsafe_b64encode(b"session:" + pad + raw + b";end").decode() for pad in blobs),
        raw.hex(),
        raw.hex().upper(),
        secret[:8],
        secret[len(secret) // 2 - 4 : len(secret) // 2 + 5],
        secret[-8:],
    ]
    return forms


def _received_secrets(headers: dict[str, str], parsed: Any) -> list[str]:
    token = parsed.get("secret_token") if isinstance(parsed, dict) else None
    return [s for s in (headers.get("x-api-key"), token) if isinstance(s, str) and s]


def with_echo(reply: Reply, secrets: list[str]) -> Reply:
    """The reply with every received secret quoted back in every form of ``echo_forms``."""
    if not secrets:
        return reply
    echo = " | ".join(form for secret in secrets for form in echo_forms(secret))
    data = _reply_json(reply)
    if data is not None:
        body = json.dumps({**data, "echo": echo}, separators=(",", ":")).encode()
    else:
        body = reply.body + b"\n" + echo.encode()
    return dataclasses.replace(reply, body=body)


def api_error_200() -> Reply:
    """HTTP 200 whose body says it failed: success must be decided by ``status``, not HTTP."""
    return json_reply(200, {"status": "error", "code": "500", "details": "Unable to process request"})


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


# ---- the logs and users API: parameters, records, matching ----------------------------------------
def logs_error(http_status: int, code: int, message: str) -> Reply:
    """The logs API's error shape: ``code`` a number, reason in ``message``."""
    return json_reply(http_status, {"status": "error", "code": code, "message": message})


def _is_logs_path(path: str) -> bool:
    return path.rstrip("/") in LOGS_METHODS or path.startswith(SEARCH_PATH + "/")


def _logs_params(query: str, body_text: str, parsed: Any) -> dict[str, str]:
    """The query string, then a JSON object or form body on top (production clients use all three).

    A body that is neither JSON nor form-encoded adds nothing. JSON values that are not strings are
    kept as their JSON text (``50`` -> ``"50"``).
    """
    params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
    if isinstance(parsed, dict):
        params.update({str(k): v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()})
    elif body_text:
        params.update({k: v[0] for k, v in urllib.parse.parse_qs(body_text, keep_blank_values=True).items()})
    return params


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(float(value.strip()))
    return None


def _int_param(params: dict[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    """A numeric parameter, leniently: unreadable means the default, too small means ``minimum``."""
    value = _int_or_none(params.get(name))
    return default if value is None else max(minimum, value)


def _start_time(source: dict[str, Any]) -> int:
    return _int_or_none(source.get("start_time")) or 0


def _in_window(source: dict[str, Any], low: int | None, high: int | None) -> bool:
    if low is None and high is None:
        return True
    start = _int_or_none(source.get("start_time"))
    return start is not None and (low is None or start >= low) and (high is None or start <= high)


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The dicts in a list field of a record (injected records may hold anything)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _matches_search_key(source: dict[str, Any], key: str) -> bool:
    """Free text, case-insensitive: the customer's number (raw or E.164), an agent's name, a unique id."""
    texts = [source.get("caller_number_raw"), source.get("caller_number")]
    for leg in _dicts(source.get("log_details")):
        texts += [agent.get("name") for agent in _dicts(leg.get("received_by"))]
    texts += [param.get("vl") for param in _dicts(source.get("additional_parameters"))]
    wanted = key.lower()
    return any(isinstance(text, str) and wanted in text.lower() for text in texts)


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def call_log_record(
    body: dict[str, Any],
    unique_id: str,
    accepted_at: float,
    agent: dict[str, str],
    shape: _LogShape,
    cri: str,
) -> dict[str, Any]:
    """The ``_source`` an accepted OBD call leaves in the call log, shaped like the reference sample.

    ``agent`` is the agent's leg (``user_id``, ``name``, ``extension``); the agent rings first, then
    the customer. ``accepted_at`` is wall-clock (UTC unix) seconds.
    """
    number = body["number"]
    start = int(accepted_at) + shape.start_offset_s
    answered = shape.agent_answered and shape.customer_answered
    talk = shape.talk_s if answered else 0
    end = start + shape.ring_s + talk
    if shape.agent_answered:
        leg_start, action, dial_status = start + shape.ring_s, "received", "ANSWER"
    else:
        leg_start, action, dial_status = start, "missed", "NOANSWER"
    leg = {
        "received_by": [dict(agent)],
        "action": action,
        "_ds": dial_status,
        "start_time": leg_start,
        "end_time": end,
        "duration": _hms(talk),
    }
    return {
        "allcaller_id": uuid.uuid4().hex,
        "caller_number_raw": number.lstrip("+")[-10:],
        "caller_number": number,
        "event": 2,  # outgoing
        "status": 1 if answered else 2,
        "start_time": start,
        "end_time": end,
        "duration": _hms(end - start),  # ring + talk
        "filename": f"{uuid.uuid4().hex}-v2.mp3" if answered else "",
        "additional_parameters": [{"ky": "unique_id", "vl": unique_id}],
        "log_details": [leg],
        # No user on an anonymous dial, so nobody to list.
        "_us": [{"ky": agent["user_id"], "vl": action}] if agent["user_id"] else [],
        "_cri": cri,
        "_ri": "",
    }


def _check_body_shape(headers: dict[str, str], body: Any) -> Reply | None:
    """A JSON object carrying the fields needed to identify the account, as strings."""
    if body is None:
        return api_error(400, "Invalid request body: expected JSON")
    if not isinstance(body, dict):
        return schema_error(f"{_repr_json(body)} is not of type 'object'")
    for name in REQUIRED_FIELDS:
        if name not in body:
            return schema_error(f"{name!r} is a required property")
    for name in ("company_id", "secret_token", "public_ivr_id"):
        if not isinstance(body[name], str):
            return schema_error(f"{_repr_json(body[name])} is not of type 'string'")
    return None


def _check_fields(headers: dict[str, str], body: dict[str, Any]) -> Reply | None:
    """Field types as a JSON schema would check them; ``number`` has its own message (below)."""
    for name in STRING_FIELDS:
        if name != "number" and name in body and not isinstance(body[name], str):
            return schema_error(f"{_repr_json(body[name])} is not of type 'string'")
    if body["type"] not in ("1", "2"):
        return schema_error(f"{_repr_json(body['type'])} is not one of ['1', '2']")
    if "max_call_duration" in body:
        refusal = _check_duration(body["max_call_duration"])
        if refusal is not None:
            return refusal
    if "call_hold" in body and not isinstance(body["call_hold"], bool):
        return schema_error(f"{_repr_json(body['call_hold'])} is not of type 'boolean'")
    return None


def _check_duration(value: Any) -> Reply | None:
    low, high = MAX_CALL_DURATION_RANGE
    if isinstance(value, bool) or not isinstance(value, int):
        return schema_error(f"{_repr_json(value)} is not of type 'integer'")
    if value < low:
        return schema_error(f"{value} is less than the minimum of {low}")
    if value > high:
        return schema_error(f"{value} is greater than the maximum of {high}")
    return None


def _check_number(body: dict[str, Any]) -> Reply | None:
    number = body["number"]
    if not isinstance(number, str) or not number.startswith("+"):
        return api_error(400, TEXT_NUMBER_NOT_STRING)
    if not E164_PATTERN.match(number):
        return api_error(400, TEXT_NUMBER_FORMAT)
    return None


def check_bind_host(host: str, allow_non_loopback: bool) -> None:
    """Refuse to expose the sandbox beyond this machine unless explicitly asked to."""
    if allow_non_loopback or is_loopback(host):
        return
    raise ValueError(f"refusing to bind the sandbox to non-loopback address {host!r}")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---- opdial-cli sandbox --------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``opdial-cli sandbox``."""
    parser.add_argument("--port", type=int, default=DEFAULT_CLI_PORT, help="port (0 = any free one)")
    parser.add_argument(
        "--host",
        default=None,
        help="address to bind (default 127.0.0.1; anything else exposes the sandbox to the network)",
    )
    parser.add_argument("--latency", type=float, default=0.0, metavar="S", help="delay every reply by S s")
    parser.add_argument("--no-anonymous", action="store_true", help="answer anonymous dials with 403")
    parser.add_argument(
        "--config-missing", action="store_true", help="answer every call with 500 Company Config Missing"
    )
    parser.add_argument(
        "--duplicate-ttl", type=float, default=172800.0, metavar="S", help="reference_id window (seconds)"
    )
    parser.add_argument("--retry-after", type=float, default=1.0, metavar="S", help="Retry-After on 429")
    parser.add_argument(
        "--no-demo-triggers", action="store_true", help="treat the demo trigger numbers like any other"
    )
    parser.add_argument(
        "--error-format",
        choices=ERROR_FORMATS,
        default="json",
        help="write error answers as JSON (as observed), plain text or an HTML page",
    )
    parser.add_argument(
        "--echo-secrets",
        action="store_true",
        help="quote the received x-api-key and secret_token back in every answer, in many encodings "
        "(to check that OpDial masks them)",
    )


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    config = SandboxConfig(
        host=args.host or "127.0.0.1",
        port=args.port,
        anonymous_enabled=not args.no_anonymous,
        duplicate_ttl_s=args.duplicate_ttl,
        demo_triggers_enabled=not args.no_demo_triggers,
        allow_non_loopback=args.host is not None,
        error_format=getattr(args, "error_format", "json"),
        echo_secrets=bool(getattr(args, "echo_secrets", False)),
    )
    if args.config_missing:
        config.config_missing_companies = (config.company_id,)
    return config


def environment(server: SandboxServer) -> dict[str, str]:
    """The OPDIAL_* variables that point the app or the CLI at this sandbox."""
    c = server.config
    return {
        "OPDIAL_API_URL": server.url,
        "OPDIAL_API_KEY": c.api_key,
        "OPDIAL_SECRET_TOKEN": c.secret_token,
        "OPDIAL_COMPANY_ID": c.company_id,
        "OPDIAL_PUBLIC_IVR_ID": c.public_ivr_id,
        "OPDIAL_USER_ID": c.default_user_id or "",
    }


def describe(server: SandboxServer, *, windows: bool = os.name == "nt") -> Iterator[str]:
    """The banner: where it listens, the fake credentials, the env vars, the demo numbers."""
    c = server.config
    yield f"OpDial sandbox (a fake MyOperator OBD endpoint) listening on {server.url}"
    yield "Demo credentials (fake; accepted only by this sandbox):"
    yield "  x-api-key      " + c.api_key
    yield "  secret_token   " + c.secret_token
    yield "  company_id     " + c.company_id
    yield "  public_ivr_id  " + c.public_ivr_id
    for user_id, name in c.users.items():
        yield f"  user_id        {user_id}  ({name})"
    yield f"Logs and users API (fake; /user, /search, /recordings/link) at {server.logs_url}"
    yield "  token          " + c.logs_token
    yield "Point OpDial at it:"
    for name, value in environment(server).items():
        yield f'  $env:{name} = "{value}"' if windows else f"  export {name}={value}"
    if c.demo_triggers_enabled:
        yield "Customer numbers that provoke a problem:"
        for trigger in DEMO_TRIGGERS:
            yield f"  {trigger.number}  {trigger.behaviour}  [{trigger.problem}]"
    yield f"Customer numbers that shape the call log (records appear {c.log_delay_s:g} s after acceptance):"
    for log_trigger in LOG_TRIGGERS:
        yield f"  {log_trigger.number}  {log_trigger.behaviour}"
    yield "Press Ctrl+C to stop."


def describe_json(server: SandboxServer) -> dict[str, Any]:
    """The banner as one JSON object (``opdial-cli --json sandbox``)."""
    return {
        "url": server.url,
        "environment": environment(server),
        "users": dict(server.config.users),
        "demo_triggers": [t._asdict() for t in DEMO_TRIGGERS] if server.config.demo_triggers_enabled else [],
        "logs_url": server.logs_url,
        "logs_token": server.config.logs_token,
        "log_triggers": [t._asdict() for t in LOG_TRIGGERS],
    }


SHOWN_FIELDS = ("type", "number", "number_2", "reference_id")


def request_summary(record: ReceivedRequest) -> dict[str, Any]:
    """What the CLI shows of a request: never headers, secret_token or the raw body."""
    body = record.json if isinstance(record.json, dict) else {}
    summary: dict[str, Any] = {
        "method": record.method,
        "path": record.path,
        "status": record.response_status,
        "accepted": record.accepted,
        "fault": record.fault,
    }
    for name in SHOWN_FIELDS:
        if isinstance(body.get(name), str):
            summary[name] = body[name]
    return summary


def _request_line(record: ReceivedRequest) -> str:
    summary = request_summary(record)
    status = "no reply" if record.response_status is None else str(record.response_status)
    parts = [time.strftime("%H:%M:%S"), record.method, record.path, "->", status]
    if record.accepted:
        parts.append("accepted")
    if record.fault:
        parts.append(f"fault={record.fault}")
    parts += [f"{name}={summary[name]}" for name in SHOWN_FIELDS if name in summary]
    return " ".join(parts)


def request_printer(as_json: bool, stream: IO[str] | None = None) -> Callable[[ReceivedRequest], None]:
    """Print each request as one whole line, even when handler threads finish at the same moment.

    ``print`` writes the text and the newline separately, so two threads could share a line; here
    each line is one write under a lock. ``stream`` defaults to the current ``sys.stdout``.
    """
    lock = threading.Lock()

    def show(record: ReceivedRequest) -> None:
        line = (json.dumps(request_summary(record)) if as_json else _request_line(record)) + "\n"
        out = stream or sys.stdout
        with lock:
            out.write(line)
            out.flush()

    return show


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl+C (SIGINT) stops the sandbox even when it was started as a background job (``&``) of a
    script: such a job inherits SIGINT ignored, and Python then keeps it ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_cli(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C. Returns the process exit code. With ``args.json``: JSON lines."""
    as_json = bool(getattr(args, "json", False))
    show = request_printer(as_json)
    with _interruptible():
        try:
            server = SandboxServer(config_from_args(args), on_request=show)
            server.faults.latency_s = args.latency
            server.faults.retry_after = args.retry_after
            server.start()
        except (OSError, ValueError) as exc:
            print(f"opdial-cli sandbox: cannot start: {exc}", file=sys.stderr, flush=True)
            return 2
        try:
            banner = [json.dumps(describe_json(server))] if as_json else list(describe(server))
            print("\n".join(banner), flush=True)
            while True:
                time.sleep(0.5)  # short sleeps keep Ctrl+C responsive on every platform
        except KeyboardInterrupt:
            print("Stopping the sandbox.", file=sys.stderr, flush=True)
        finally:
            server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opdial-sandbox", description="Run the OpDial sandbox server.")
    add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="JSON lines instead of text")
    return run_cli(parser.parse_args(argv))
