"""Log lines cannot be forged: whatever text a server sends, it reaches the log on its record's own
line, with newlines and control characters escaped; tracebacks stay multi-line but indented."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from desktop_app import logging_setup
from desktop_app.api import redaction
from desktop_app.api.client import ObdClient
from desktop_app.api.models import Account, CallKind, CallRequest
from desktop_app.logging_setup import escape_controls

FORGED = "\n2026-01-01 00:00:00 INFO forged"
HOSTILE = f"Invalid API Key{FORGED}\r\n2026-01-01 00:00:01 ERROR also forged\x1b[2J\x1b]0;title\x07\u2028x"
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


class HostileHandler(BaseHTTPRequestHandler):
    """Answers every call with a body crafted to fake log records (plain text or JSON)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("json"):
            body, content_type = (
                json.dumps({"status": "error", "details": HOSTILE}).encode(),
                "application/json",
            )
        else:
            body, content_type = HOSTILE.encode(), "text/plain"
        self.send_response(403)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hostile_url() -> Iterator[str]:
    """A loopback server the sandbox cannot stand in for: its answer carries raw control characters."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/obd-api-v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def log_path(monkeypatch) -> Iterator:
    monkeypatch.setattr(redaction, "_registered", set())
    path = logging_setup.setup_logging(logging.INFO)
    yield path
    logging_setup.shutdown_logging()


def records(path) -> list[str]:
    logging_setup.shutdown_logging()
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("shape", ["text", "json"])
def test_a_server_body_cannot_forge_a_log_line(hostile_url, log_path, shape):
    account = Account(
        "c1", "ivr1", "key-for-forging-test", "secret-for-forging-test", api_url=hostile_url + shape
    )
    with ObdClient(account, max_attempts=1) as client:
        outcome = client.place_call(CallRequest(CallKind.IVR, "+919876543210"))
    assert outcome.problem.code == "auth_failed"

    lines = records(log_path)
    assert not [line for line in lines if line.startswith("2026-01-01")]
    assert all(RECORD_START.match(line) for line in lines)  # every line is a record of its own
    (logged,) = [line for line in lines if "forged" in line]
    assert "Invalid API Key" in logged and "also forged" in logged
    assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029]", logged)
    if shape == "text":  # (a JSON body arrives escaped already)
        assert "\\x1b[2J" in logged and "\\x07" in logged and "\\u2028" in logged


def test_a_message_with_newlines_stays_on_its_record_line(log_path):
    logging.getLogger("opdial.test").warning("answer: %s", "body" + FORGED)
    (line,) = records(log_path)
    assert line.endswith("answer: body\\n2026-01-01 00:00:00 INFO forged")


def test_a_traceback_stays_readable_but_cannot_start_a_record(log_path):
    try:
        raise ValueError("server said" + FORGED)
    except ValueError:
        logging.getLogger("opdial.test").exception("call failed")
    lines = records(log_path)
    assert RECORD_START.match(lines[0]) and lines[0].endswith("call failed")
    assert "    Traceback (most recent call last):" in lines
    assert any(line.startswith("    ") and "raise ValueError" in line for line in lines)
    assert [RECORD_START.match(line) is not None for line in lines] == [True] + [False] * (len(lines) - 1)


def test_escaping_is_done_once_when_two_handlers_see_the_record(monkeypatch, capsys):
    monkeypatch.setattr(redaction, "_registered", set())
    path = logging_setup.setup_logging(logging.INFO, to_stderr=True)
    try:
        logging.getLogger("opdial.test").warning("a\nb")
    finally:
        logging_setup.shutdown_logging()
    assert path.read_text(encoding="utf-8").rstrip().endswith("a\\nb")
    assert capsys.readouterr().err.rstrip().endswith("a\\nb")


def test_secrets_are_masked_before_escaping(log_path):
    redaction.register_secret("multi-line-secret-value")
    logging.getLogger("opdial.test").warning("k=multi-line-secret-value\n2026-01-01 forged")
    (line,) = records(log_path)
    assert "multi-line" not in line and "k=********\\n2026-01-01 forged" in line


def test_escape_controls_names_each_unsafe_character():
    assert escape_controls("a\nb\rc\td\x1be\x00f\x7fg\x85h\u2028i\u202ej") == (
        "a\\nb\\rc\\td\\x1be\\x00f\\x7fg\\x85h\\u2028i\\u202ej"
    )
    assert escape_controls("plain text, accents é and C:\\path") == "plain text, accents é and C:\\path"
