"""The transport's security claims, each against a real server on 127.0.0.1:

* TLS: a certificate the client does not trust, a trusted one for another name, an expired one —
  each ends as the catalogue's "tls" problem and the server never sees a request (no secret leaves);
  the same server with its CA trusted is accepted, so the failures are about trust and nothing else.
* Redirects are never followed: the server they point to records nothing, the secrets never reach it,
  and the call ends as a problem with the status the first server gave.
* An answer larger than the size cap is not accepted, however well formed.

The certificates come from ``trustme`` (a throwaway CA made per test). Trusting that CA uses no
OpDial switch: it is put where OpenSSL's default verify paths look (``SSL_CERT_FILE``), which the
client's ``load_default_certs`` reads — the same path an office proxy's certificate installed by IT
takes.
"""

from __future__ import annotations

import datetime
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from desktop_app.api.client import ObdClient
from desktop_app.api.models import Account, CallKind, CallRequest

API_KEY = "key-transport-7f3a9c2e"
SECRET_TOKEN = "secret-transport-51e2d84b"
CUSTOMER = "+919876543210"
USER_ID = "a1b2c3d4e5f60718"
SUCCESS = {
    "status": "success",
    "code": 200,
    "details": "Request accepted successfully",
    "unique_id": "obd-5501-accepted",
}
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
OVERSIZED_BYTES = 2_000_000  # twice the client's 1 MB cap; a literal, so a raised cap cannot move it


@dataclass
class Reply:
    status: int = 200
    body: bytes = field(default_factory=lambda: json.dumps(SUCCESS).encode())
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append(
            Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        reply = self.server.reply
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST
    do_PUT = do_POST

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


class LoopbackServer(ThreadingHTTPServer):
    """A recording HTTP(S) server on a free loopback port, answering every request with ``reply``."""

    daemon_threads = True

    def __init__(self, reply: Reply | None = None, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.reply = reply or Reply()
        self.received: list[Received] = []
        self.scheme = "https" if tls else "http"
        if tls is not None:
            # A failed handshake raises ssl.SSLError (an OSError) in accept(); socketserver drops it.
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}/obd-api-v1"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_proxy_no_extra_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy in the environment would answer instead of our server; extra CAs would change trust."""
    for name in (*PROXY_VARIABLES, *(n.lower() for n in PROXY_VARIABLES), "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


def trust(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CA trusted the way a system store is: through OpenSSL's default verify paths."""
    if ssl.get_default_verify_paths().openssl_cafile_env != "SSL_CERT_FILE":
        pytest.skip("this Python's OpenSSL does not read SSL_CERT_FILE: no way to trust a test CA")
    pem = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))


def server_context(ca: trustme.CA, *names: str, **validity: datetime.datetime) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, **validity).configure_cert(context)
    return context


def account(url: str) -> Account:
    return Account("demo-company", "demo-ivr", API_KEY, SECRET_TOKEN, url)


def call(url: str):
    """One call through the production client (its own http client, as the app builds it)."""
    request = CallRequest(kind=CallKind.USER, to=CUSTOMER, user_id=USER_ID, reference_id="ref-transport")
    with ObdClient(account(url), sleep=lambda _s: None) as client:
        return client.place_call(request)


def assert_no_secret_in(outcome) -> None:
    shown = " ".join(
        str(part or "")
        for part in (outcome.raw_response, outcome.problem and outcome.problem.raw, outcome.unique_id)
    )
    assert API_KEY not in shown and SECRET_TOKEN not in shown


# -- TLS ----------------------------------------------------------------------------------------------


def test_a_certificate_from_an_untrusted_ca_is_a_tls_problem_and_nothing_is_sent(ca):
    with LoopbackServer(tls=server_context(ca, "127.0.0.1", "localhost")) as server:
        outcome = call(server.url)
    assert outcome.status == "failed" and not outcome.accepted
    assert outcome.problem.code == "tls" and outcome.http_status is None
    assert outcome.attempts == 1  # a certificate does not get better by retrying
    assert server.received == []  # the handshake failed: no header, no body, no secret went out
    assert_no_secret_in(outcome)


def test_the_same_server_with_its_ca_trusted_is_accepted(ca, tmp_path, monkeypatch):
    trust(ca, tmp_path, monkeypatch)
    with LoopbackServer(tls=server_context(ca, "127.0.0.1", "localhost")) as server:
        outcome = call(server.url)
    assert outcome.accepted and outcome.unique_id == SUCCESS["unique_id"]
    (received,) = server.received
    assert received.headers["x-api-key"] == API_KEY  # over TLS, to the verified server only


def test_a_trusted_certificate_for_another_name_is_a_tls_problem(ca, tmp_path, monkeypatch):
    trust(ca, tmp_path, monkeypatch)
    with LoopbackServer(tls=server_context(ca, "obd-api.myoperator.co")) as server:
        outcome = call(server.url)
    assert (outcome.status, outcome.problem.code) == ("failed", "tls")
    assert server.received == []


def test_an_expired_trusted_certificate_is_a_tls_problem(ca, tmp_path, monkeypatch):
    trust(ca, tmp_path, monkeypatch)
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    expired = server_context(ca, "127.0.0.1", not_before=now - 30 * day, not_after=now - day)
    with LoopbackServer(tls=expired) as server:
        outcome = call(server.url)
    assert (outcome.status, outcome.problem.code) == ("failed", "tls")
    assert server.received == []


# -- redirects ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_its_target_never_sees_the_secrets(status):
    with LoopbackServer() as target:
        moved = Reply(status, b"moved", {"Location": target.url, "Content-Type": "text/plain"})
        with LoopbackServer(moved) as first:
            outcome = call(first.url)
    assert target.received == []  # not a request, so not a header or a body with a secret either
    assert first.received, "the call never reached the first server: the test proves nothing"
    assert all(r.headers["x-api-key"] == API_KEY for r in first.received)
    assert not outcome.accepted and outcome.status in ("failed", "rejected")
    assert outcome.http_status == status  # the answer is the redirect itself, reported as such
    assert outcome.problem.title and outcome.problem.explanation and outcome.problem.action
    assert_no_secret_in(outcome)


def test_a_redirect_with_a_success_body_is_still_not_an_acceptance():
    with LoopbackServer() as target:
        moved = Reply(307, json.dumps(SUCCESS).encode(), {"Location": target.url})
        with LoopbackServer(moved) as first:
            outcome = call(first.url)
    assert not outcome.accepted and target.received == []


# -- the size cap -------------------------------------------------------------------------------------


def test_an_answer_over_the_size_cap_is_not_accepted_however_well_formed():
    padded = json.dumps({**SUCCESS, "padding": "x" * OVERSIZED_BYTES}).encode()
    with LoopbackServer(Reply(body=padded)) as server:
        outcome = call(server.url)
    assert server.received  # it was answered: the refusal is about the size
    assert not outcome.accepted and outcome.problem.code == "unexpected_response"
    assert len(outcome.raw_response) < OVERSIZED_BYTES


def test_clients_share_one_verifying_context_and_new_extra_roots_get_their_own(ca, tmp_path, monkeypatch):
    # Loading Mozilla's roots and the OS store costs ~35 ms; the call log is asked every few seconds.
    from desktop_app.api.client import make_http_client

    def context_of(client) -> ssl.SSLContext:
        return client._transport._pool._ssl_context

    first, second = make_http_client(), make_http_client()
    try:
        shared = context_of(first)
        assert context_of(second) is shared
        assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname
        trust(ca, tmp_path, monkeypatch)
        third = make_http_client()
        try:
            assert context_of(third) is not shared  # the extra roots are read, not ignored
        finally:
            third.close()
    finally:
        first.close()
        second.close()
