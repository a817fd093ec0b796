"""The HTTP transport under hostile or broken servers, each played by a real loopback server:
a deadline per attempt (a server trickling bytes), cancel in flight, gateway errors, proxies that
must never see a secret, gzip bombs and oversized answers, and URLs that are not what they seem.
"""

from __future__ import annotations

import _thread
import gzip
import json
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator

import httpx
import pytest

from desktop_app import cli
from desktop_app.api.client import MAX_RESPONSE_BYTES, ObdClient, Timeouts, make_http_client
from desktop_app.api.models import Account, CallKind, CallRequest, Outcome
from desktop_app.api.urls import UnsafeUrlError, is_loopback_host, validate_api_url
from desktop_app.credentials import ConfigError
from desktop_app.credentials import validate_api_url as profile_validate_api_url

CUSTOMER = "+919876543210"
API_KEY, SECRET = "transport-key-5f1e2d", "transport-secret-9a8b7c"
ACCEPTED = json.dumps({"status": "success", "code": "200", "unique_id": "u-1"}).encode()
HANDS_OFF_S = 20.0  # a misbehaving test server gives up after this long, so old code fails, not hangs


def ivr_call(reference_id: str = "ref-transport") -> CallRequest:
    return CallRequest(kind=CallKind.IVR, to=CUSTOMER, reference_id=reference_id)


def account_for(url: str) -> Account:
    return Account("demo-company", "demo-ivr", API_KEY, SECRET, url)


Handler = Callable[[socket.socket, bytes], None]


class LoopbackServer:
    """A tiny threaded TCP server on 127.0.0.1: reads one HTTP request per connection, records it,
    then lets ``handler`` answer (or misbehave) on the raw socket."""

    def __init__(self, handler: Handler, *, keep_alive: bool = False) -> None:
        self.handler = handler
        self.keep_alive = keep_alive  # serve further requests on the same connection
        self.requests: list[bytes] = []
        self.connected = threading.Event()
        self.got_request = threading.Event()
        self.client_went_away = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/obd-api-v1"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(HANDS_OFF_S)
            self.connected.set()
            try:
                while True:
                    request = read_request(conn)
                    if b"\r\n\r\n" not in request:
                        self.client_went_away.set()  # closed before a whole request (or a TLS hello)
                        return
                    self.requests.append(request)
                    self.got_request.set()
                    self.handler(conn, request)
                    if not self.keep_alive:
                        return
            except OSError:
                self.client_went_away.set()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._accepting.join(5)
        for thread in self._threads:
            thread.join(HANDS_OFF_S + 5)


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def start(handler: Handler) -> LoopbackServer:
        servers.append(LoopbackServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def trickle(conn: socket.socket, _request: bytes) -> None:
    """One byte of an endless answer every 50 ms: each byte resets httpx's read timeout."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    end = time.monotonic() + HANDS_OFF_S
    while time.monotonic() < end:
        conn.sendall(b" ")
        time.sleep(0.05)
    conn.sendall(ACCEPTED)  # old code would still be reading here; the attempt must be long over


def trickle_headers(conn: socket.socket, _request: bytes) -> None:
    """The status line itself, one byte at a time: httpcore never returns to its caller meanwhile."""
    end = time.monotonic() + HANDS_OFF_S
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 10_000:
        if time.monotonic() > end:
            return
        conn.sendall(bytes([byte]))
        time.sleep(0.05)


def answer(status: int, body: bytes, *headers: str) -> Handler:
    def handler(conn: socket.socket, _request: bytes) -> None:
        head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close", *headers]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    return handler


# -- a deadline per attempt ------------------------------------------------------------------------


@pytest.mark.parametrize("handler", [trickle, trickle_headers], ids=["body", "headers"])
def test_a_trickling_server_is_cut_at_the_attempt_deadline(serve, handler):
    server = serve(handler)
    timeouts = Timeouts(connect=2, read=10, attempt=1.0)
    started = time.monotonic()
    with ObdClient(account_for(server.url), timeouts=timeouts, max_attempts=1) as client:
        outcome = client.place_call(ivr_call())
        # The connection itself is cut, not left trickling behind the returned outcome.
        assert server.client_went_away.wait(HANDS_OFF_S / 2)
    assert time.monotonic() - started < HANDS_OFF_S  # generous: the point is that it ends
    assert (outcome.status, outcome.problem.code) == ("failed", "timeout")
    assert outcome.may_have_been_sent and outcome.unknown  # the request had gone out
    assert "1 s" in outcome.problem.raw


def test_the_deadline_is_thirty_seconds_unless_configured():
    assert Timeouts().attempt == 30.0


def test_a_timed_out_attempt_is_retried_under_the_same_reference_id(serve):
    server = serve(trickle_headers)
    timeouts = Timeouts(connect=2, read=10, attempt=0.5)
    with ObdClient(account_for(server.url), timeouts=timeouts, max_attempts=2, sleep=lambda s: None) as c:
        outcome = c.place_call(ivr_call("ref-deadline"))
    assert outcome.attempts == 2 and outcome.problem.code == "timeout"
    assert len(server.requests) == 2
    assert all(b'"reference_id": "ref-deadline"' in r for r in server.requests)


def _cancel_when(event: threading.Event, cancel: threading.Event) -> dict[str, float]:
    marks: dict[str, float] = {}

    def run() -> None:
        if event.wait(HANDS_OFF_S):
            time.sleep(0.2)  # well inside the attempt
            marks["cancelled"] = time.monotonic()
            cancel.set()

    threading.Thread(target=run, daemon=True).start()
    return marks


def test_cancel_aborts_the_attempt_in_flight_with_an_unknown_outcome(serve):
    server = serve(trickle)
    cancel = threading.Event()
    marks = _cancel_when(server.got_request, cancel)
    timeouts = Timeouts(connect=2, read=10, attempt=60)
    with ObdClient(account_for(server.url), timeouts=timeouts, max_attempts=3) as client:
        outcome = client.place_call(ivr_call(), cancel)
        returned = time.monotonic()
        assert server.client_went_away.wait(HANDS_OFF_S / 2)  # cut, not left to trickle
    assert "cancelled" in marks
    assert returned - marks["cancelled"] < 5.0  # generous; without the fix: the whole trickle (20 s)
    assert (outcome.status, outcome.problem.code) == ("failed", "cancelled")
    assert outcome.may_have_been_sent and outcome.unknown
    assert "may have reached" in outcome.problem.raw
    assert len(server.requests) == 1  # cancel never starts another attempt


def test_ctrl_c_while_waiting_cuts_the_attempt_instead_of_leaving_it_running(serve):
    server = serve(trickle)

    def interrupt() -> None:
        if server.got_request.wait(HANDS_OFF_S):
            _thread.interrupt_main()  # what Ctrl+C does to the CLI's main thread

    threading.Thread(target=interrupt, daemon=True).start()
    timeouts = Timeouts(connect=2, read=10, attempt=60)
    with ObdClient(account_for(server.url), timeouts=timeouts) as client:
        with pytest.raises(KeyboardInterrupt):
            client.place_call(ivr_call())
        assert server.client_went_away.wait(HANDS_OFF_S / 2)  # cut before the client is closed


def test_cancel_during_the_tls_handshake_sent_nothing_and_nothing_follows(serve):
    # The server never answers the TLS handshake: the request cannot have gone out yet.
    server = serve(answer(200, ACCEPTED))  # never reached: no whole request ever arrives
    cancel = threading.Event()
    marks = _cancel_when(server.connected, cancel)
    url = server.url.replace("http://", "https://")
    timeouts = Timeouts(connect=30, read=10, attempt=60)
    with ObdClient(account_for(url), timeouts=timeouts) as client:
        outcome = client.place_call(ivr_call(), cancel)
        assert server.client_went_away.wait(HANDS_OFF_S / 2)  # the handshake is cut, too
    assert time.monotonic() - marks["cancelled"] < 5.0
    assert (outcome.status, outcome.problem.code) == ("failed", "cancelled")
    assert not outcome.may_have_been_sent and not outcome.unknown
    assert "before anything was sent" in outcome.problem.raw
    assert server.requests == []  # and no request follows later


def test_an_attempt_cancelled_while_waiting_for_a_connection_never_sends_later(serve):
    # A shared client with one pooled connection, held by another call: the cancelled call's
    # attempt is still queued for it when cancelled, and must not send once the connection frees up.
    release = threading.Event()

    def held(conn: socket.socket, _request: bytes) -> None:
        release.wait(HANDS_OFF_S)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(ACCEPTED) + ACCEPTED)

    server = LoopbackServer(held, keep_alive=True)
    http = httpx.Client(limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
    try:
        client = ObdClient(account_for(server.url), http=http, max_attempts=1)
        first: list[Outcome] = []
        holder = threading.Thread(target=lambda: first.append(client.place_call(ivr_call("ref-a"))))
        holder.start()
        assert server.got_request.wait(HANDS_OFF_S)
        cancel = threading.Event()
        threading.Timer(0.3, cancel.set).start()
        second = client.place_call(ivr_call("ref-b"), cancel)
        assert (second.problem.code, second.may_have_been_sent) == ("cancelled", False)
        release.set()
        holder.join(HANDS_OFF_S)
        for thread in threading.enumerate():  # the cancelled attempt's own thread, left behind
            if thread.name == "opdial-call-ref-b":
                thread.join(HANDS_OFF_S)
        assert first and first[0].accepted
        assert len(server.requests) == 1 and b"ref-a" in server.requests[0]
    finally:
        http.close()
        release.set()
        server.close()


# -- gateway errors are unknown, MyOperator's refusals are not --------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_error_after_all_retries_is_unknown_not_a_rejection(serve, status):
    server = serve(answer(status, b"<html><body>Bad Gateway</body></html>", "Content-Type: text/html"))
    with ObdClient(account_for(server.url), max_attempts=3, sleep=lambda s: None) as client:
        outcome = client.place_call(ivr_call("ref-gateway"))
    assert (outcome.status, outcome.http_status, outcome.problem.code) == ("failed", status, "server_error")
    assert outcome.unknown and outcome.attempts == 3
    assert "not known whether" in outcome.problem.explanation
    assert "same Reference ID" in outcome.problem.action
    assert all(b'"reference_id": "ref-gateway"' in r for r in server.requests) and len(server.requests) == 3


def test_the_sandbox_html_502_is_unknown_and_a_safe_resend_confirms_it(sandbox):
    sandbox.faults.html_502 = 3
    with ObdClient(sandbox.account, max_attempts=3, sleep=lambda s: None) as client:
        first = client.place_call(ivr_call("ref-502"))
        assert first.unknown and first.status == "failed"
        again = client.place_call(first.request, resending=True)
    assert again.accepted and len(sandbox.accepted_calls) == 1


def test_a_500_company_config_missing_stays_a_rejection(sandbox):
    sandbox.config.config_missing_companies = ("demo-company",)
    with ObdClient(sandbox.account, sleep=lambda s: None) as client:
        outcome = client.place_call(ivr_call())
    assert (outcome.status, outcome.http_status) == ("rejected", 500)
    assert outcome.problem.code == "company_config_missing" and not outcome.unknown


def test_a_gateway_status_is_unknown_even_with_words_the_catalogue_knows(serve):
    # A 502/503/504 comes from whatever stands in front of MyOperator; its words say nothing sure
    # about the call, which may have been processed behind it. Only a 500 is MyOperator's refusal.
    body = json.dumps({"status": "error", "code": "503", "details": "Company Config Missing"}).encode()
    server = serve(answer(503, body, "Content-Type: application/json"))
    with ObdClient(account_for(server.url), sleep=lambda s: None) as client:
        outcome = client.place_call(ivr_call())
    assert (outcome.status, outcome.problem.code) == ("failed", "server_error")
    assert outcome.unknown


def test_outcome_unknown_is_false_when_nothing_can_have_been_sent():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with ObdClient(account_for(f"http://127.0.0.1:{port}/x"), sleep=lambda s: None) as client:
        outcome = client.place_call(ivr_call())
    assert outcome.status == "failed" and not outcome.may_have_been_sent and not outcome.unknown


# -- proxies never see secrets ----------------------------------------------------------------------


class RecordingProxy(LoopbackServer):
    """A proxy that records every request (forwarded http or CONNECT) and refuses to go further."""

    def __init__(self) -> None:
        super().__init__(answer(403, b"", "Proxy-Agent: test"))

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"


@pytest.fixture
def proxy(monkeypatch) -> Iterator[RecordingProxy]:
    server = RecordingProxy()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, server.address)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.close()


def test_plain_http_to_loopback_never_goes_through_the_proxy(proxy, sandbox):
    with ObdClient(sandbox.account) as client:
        outcome = client.place_call(ivr_call())
    assert outcome.accepted and len(sandbox.received) == 1
    assert proxy.requests == []  # the proxy saw neither the x-api-key nor the secret_token


@pytest.mark.parametrize("host", ["localhost", "[::1]"])
def test_other_loopback_names_go_direct_too(proxy, host):
    # Nothing listens there; what matters is that the proxy never hears of it.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with ObdClient(account_for(f"http://{host}:{port}/x"), max_attempts=1) as client:
        outcome = client.place_call(ivr_call())
    assert outcome.problem.code == "network" and proxy.requests == []


def test_https_honours_the_proxy_and_only_ever_shows_it_a_connect(proxy):
    # .invalid never resolves: should the proxy be skipped, no packet leaves this computer.
    url = "https://api.opdial-test.invalid/obd-api-v1"
    with ObdClient(account_for(url), max_attempts=1) as client:
        outcome = client.place_call(ivr_call())
    (seen,) = proxy.requests
    assert seen.startswith(b"CONNECT api.opdial-test.invalid:443 ")
    assert API_KEY.encode() not in seen and SECRET.encode() not in seen
    assert outcome.status == "failed" and outcome.problem.code == "network"
    assert "proxy" in outcome.problem.explanation.lower()
    assert not outcome.may_have_been_sent  # the proxy refused the tunnel: the call never went out


def test_no_proxy_still_applies_to_https(proxy, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "opdial-test.invalid")
    with ObdClient(account_for("https://api.opdial-test.invalid/x"), max_attempts=1) as client:
        outcome = client.place_call(ivr_call())
    assert outcome.problem.code == "network" and proxy.requests == []  # a DNS failure, direct


def test_a_socks_proxy_in_the_environment_does_not_stop_the_demo(monkeypatch, sandbox):
    # httpx cannot use SOCKS without an extra OpDial does not ship; building the client used to raise.
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1")
    with ObdClient(sandbox.account) as client:
        assert client.place_call(ivr_call()).accepted


# -- bounded memory on hostile answers -----------------------------------------------------------


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 200 KB of gzip that inflates to 200 MB of zeros, built without holding 200 MB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(200)]
    return b"".join(parts) + packer.flush()


def _peak_growth(run: Callable[[], object]) -> tuple[object, int]:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak - before


def test_a_gzip_bomb_stops_at_the_cap_without_inflating_in_memory(serve, gzip_bomb):
    assert len(gzip_bomb) < 400_000
    server = serve(answer(200, gzip_bomb, "Content-Encoding: gzip", "Content-Type: application/json"))
    with ObdClient(account_for(server.url), max_attempts=1) as client:
        outcome, growth = _peak_growth(lambda: client.place_call(ivr_call()))
    assert (outcome.status, outcome.problem.code) == ("failed", "unexpected_response")
    assert "too large" in outcome.problem.raw
    assert growth < 20_000_000, f"peak memory grew by {growth} bytes"


def test_an_oversized_plain_answer_is_too_large(serve):
    server = serve(answer(200, b" " * (MAX_RESPONSE_BYTES + 10), "Content-Type: application/json"))
    with ObdClient(account_for(server.url), max_attempts=1) as client:
        outcome = client.place_call(ivr_call())
    assert (outcome.status, outcome.problem.code) == ("failed", "unexpected_response")
    assert "too large" in outcome.problem.raw and outcome.unknown


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_a_small_compressed_answer_is_still_understood(serve, encoding):
    if encoding == "gzip":
        body = gzip.compress(ACCEPTED)
    elif encoding == "deflate":
        body = zlib.compress(ACCEPTED)
    else:
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body, encoding = packer.compress(ACCEPTED) + packer.flush(), "deflate"
    server = serve(answer(200, body, f"Content-Encoding: {encoding}", "Content-Type: application/json"))
    with ObdClient(account_for(server.url), max_attempts=1) as client:
        outcome = client.place_call(ivr_call())
    assert outcome.accepted and outcome.unique_id == "u-1"
    assert b"accept-encoding: gzip, deflate" in server.requests[0].lower()


def test_an_unknown_content_encoding_is_an_unexpected_answer(serve):
    server = serve(answer(200, b"\x00\x01", "Content-Encoding: br"))
    with ObdClient(account_for(server.url), max_attempts=1) as client:
        outcome = client.place_call(ivr_call())
    assert outcome.problem.code == "unexpected_response" and "content encoding" in outcome.problem.raw


# -- URLs: only literal loopback is this computer; malformed URLs are words -------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "https://",
        "ftp://x",
        "http://host:99999",
        "http://127.0.0.1:99999/x",
        "http://127.0.0.1:0/x",
        "http://localhost:abc/",
        "http://[::1]x/",
        "http://[nonsense]/",
        "http://127.0.0.1\\@example.com/",
        "https://ｌｏｃａｌｈｏｓｔ/",
        "https://user@example.com/x",
    ],
)
def test_a_malformed_url_is_refused_in_words(url):
    with pytest.raises(UnsafeUrlError, match="API URL"):
        validate_api_url(url)
    with pytest.raises(ConfigError, match="API URL"):  # as profiles and settings report it
        profile_validate_api_url(url)
    with pytest.raises(UnsafeUrlError):
        ObdClient(account_for(url))


@pytest.mark.parametrize(
    "url", ["http://a.localhost/x", "http://localhost./x", "http://127.0.0.1.example.com/x", "http://127.1/"]
)
def test_names_that_only_look_local_are_not_this_computer(url):
    with pytest.raises(UnsafeUrlError, match="plain http"):
        validate_api_url(url)


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("a.localhost", False),
        ("localhost.", False),
        ("localhost.example.com", False),
        ("10.0.0.1", False),
        ("", False),
    ],
)
def test_only_literal_loopback_counts_as_this_computer(host, local):
    assert is_loopback_host(host) is local


def test_a_malformed_url_in_the_environment_is_an_exit_2_with_words(capsys, sandbox_env, monkeypatch):
    monkeypatch.setenv("OPDIAL_API_URL", "http://[::1")
    code = cli.main(["call", "ivr", "--to", CUSTOMER])
    err = capsys.readouterr().err
    assert code == 2 and "API URL" in err and "Traceback" not in err


def test_make_http_client_keeps_its_safety_settings():
    # Also proven end to end above (proxy) and in test_transport_security.py (TLS, redirects).
    with make_http_client() as http:
        assert http.follow_redirects is False
