"""Campaigns under faults that must pause, not hang or run on: a Retry-After too long to wait, an
endpoint that cannot be reached, a run whose process died. Against the real sandbox and real
closed ports; every ``--json`` output parsed strictly (no NaN, no Infinity)."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_app.api import catalogue
from desktop_app.api.client import ObdClient
from desktop_app.campaigns import journal as jr
from desktop_app.campaigns import runner as runner_module
from desktop_app.campaigns.journal import Journal, list_ids, list_summaries, utc_stamp
from desktop_app.campaigns.policy import Backoff
from desktop_app.campaigns.runner import MAX_RETRY_AFTER_S, UNREACHABLE_AFTER, CampaignRunner
from desktop_app.cli import main
from tests.campaign_helpers import FakeClock, assert_exactly_once, make_campaign, numbers, utc
from tests.strict_json import loads as strict_json

FAST_BACKOFF = Backoff(base_s=0.01, cap_s=0.05)
REPO = Path(__file__).resolve().parents[1]


class AsWritten(float):
    """A Retry-After the sandbox sends exactly as written: it formats the value with ``:g``, which
    would turn 999999999 into 1e+09 (the same number, but not the header from the issue)."""

    def __format__(self, spec: str) -> str:
        return str(int(self))


HUGE_RETRY_AFTER = [math.inf, math.nan, 1e20, AsWritten(999999999), 3600.0]


def _client(account) -> ObdClient:
    return ObdClient(account, max_attempts=1)


def _closed_port_url() -> str:
    """A loopback URL nobody listens on: bind a port, then close it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/obd-api-v1"


def _list_file(tmp_path: Path, phones: list[str]) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text("Name,Phone\n" + "".join(f"Contact {i},{p}\n" for i, p in enumerate(phones)), "utf-8")
    return path


RUN = ["--rate", "0", "--calling-window", "any"]


# -- Retry-After -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("inf", catalogue.RETRY_AFTER_CEILING_S),
        ("Infinity", catalogue.RETRY_AFTER_CEILING_S),
        ("nan", catalogue.RETRY_AFTER_CEILING_S),
        ("1e20", catalogue.RETRY_AFTER_CEILING_S),
        ("1e400", catalogue.RETRY_AFTER_CEILING_S),
        ("999999999", catalogue.RETRY_AFTER_CEILING_S),
        ("Fri, 31 Dec 9999 23:59:59 GMT", catalogue.RETRY_AFTER_CEILING_S),
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after_is_always_a_finite_number_of_seconds_or_none(header, expected) -> None:
    assert catalogue.parse_retry_after(header) == expected


def test_a_429_with_an_endless_retry_after_stays_strict_json() -> None:
    found = catalogue.classify_response(429, '{"message": "Too Many Requests"}', {"retry-after": "inf"})
    assert found is not None and found.retry_after == catalogue.RETRY_AFTER_CEILING_S
    json.dumps(found.to_dict(), allow_nan=False)  # raises on inf/nan


def test_the_sandbox_sends_the_retry_after_header_as_written() -> None:
    from desktop_app.sandbox.server import fault_reply

    assert fault_reply("rate_limit", AsWritten(999999999)).headers["Retry-After"] == "999999999"


@pytest.mark.parametrize("retry_after", HUGE_RETRY_AFTER)
def test_retry_after_above_the_cap_pauses_the_campaign_and_resume_finishes(sandbox, retry_after) -> None:
    path = make_campaign(numbers(3), concurrency=1)
    sandbox.faults.rate_limit, sandbox.faults.retry_after = 1, retry_after
    with _client(sandbox.account) as client:
        result = CampaignRunner(path, client, clock=FakeClock(utc(6)), backoff=FAST_BACKOFF).run()
    assert result.status == "paused"
    reason = result.summary.status_reason
    assert reason["code"] == "retry_after_too_long"
    assert reason["title"].startswith("MyOperator asks to wait ")
    assert reason["title"].endswith("; paused — resume later")
    assert "paused — resume later" in result.message
    assert (result.summary.accepted, result.summary.pending) == (0, 3)
    assert len(sandbox.received) == 1, "nothing more is sent once MyOperator asks to wait that long"
    json.dumps(reason, allow_nan=False)
    with _client(sandbox.account) as client:  # later: the refused row is due at once, not in a week
        resumed = CampaignRunner(path, client, clock=FakeClock(utc(7)), backoff=FAST_BACKOFF).run()
    assert resumed.status == "finished"
    assert_exactly_once(sandbox, path)


class ImpatientClock(FakeClock):
    """Fake time that refuses to wait more than a day in total: a hang fails instead of hanging."""

    def sleep(self, seconds, wake=None) -> None:
        super().sleep(seconds, wake)
        assert sum(self.sleeps) < 86400, "the campaign would wait for more than a day"


@pytest.mark.parametrize("next_at", [math.inf, 1e20])
def test_a_row_an_older_version_scheduled_for_never_is_sent_on_resume(sandbox, next_at) -> None:
    path = make_campaign(numbers(2), concurrency=1)
    with Journal(path) as journal:  # what an older version stored after Retry-After: inf / 1e20
        journal._db.execute(
            "UPDATE rows SET state = 'retry', attempts = 1, next_at = ? WHERE id = 1", (next_at,)
        )
    with _client(sandbox.account) as client:
        result = CampaignRunner(path, client, clock=ImpatientClock(utc(6)), backoff=FAST_BACKOFF).run()
    assert result.status == "finished"
    assert_exactly_once(sandbox, path)


def test_retry_after_up_to_the_cap_is_waited_out(sandbox) -> None:
    path = make_campaign(numbers(2), concurrency=1)
    sandbox.faults.rate_limit, sandbox.faults.retry_after = 1, MAX_RETRY_AFTER_S
    clock = FakeClock(utc(6))
    with _client(sandbox.account) as client:
        result = CampaignRunner(path, client, clock=clock, backoff=FAST_BACKOFF).run()
    assert result.status == "finished"
    assert max(clock.sleeps) >= MAX_RETRY_AFTER_S - 1
    assert_exactly_once(sandbox, path)


@pytest.mark.parametrize("retry_after", [math.inf, math.nan, 1e20])
def test_cli_pauses_on_an_endless_retry_after_with_strict_json_and_the_resume_command(
    sandbox, sandbox_env, tmp_path, capsys, retry_after
) -> None:
    sandbox.faults.rate_limit, sandbox.faults.retry_after = 1, retry_after
    path = _list_file(tmp_path, numbers(3))
    code = main(["--json", "campaign", "run", str(path), "--concurrency", "1", *RUN])
    captured = capsys.readouterr()
    assert code == 4, captured.err
    summary = strict_json(captured.out)
    (campaign_id,) = list_ids()
    assert (summary["pending"], summary["accepted"]) == (3, 0)
    assert "MyOperator asks to wait" in captured.err and "paused — resume later" in captured.err
    assert f"campaign resume {campaign_id}" in captured.err
    for command in (["status", campaign_id], ["list"]):
        assert main(["--json", "campaign", *command]) == 0
        strict_json(capsys.readouterr().out)
    assert main(["--json", "campaign", "resume", campaign_id]) == 0
    assert strict_json(capsys.readouterr().out)["accepted"] == 3


# -- unreachable endpoint ----------------------------------------------------------------------------


def test_an_unreachable_endpoint_pauses_and_leaves_every_row_pending(sandbox) -> None:
    path = make_campaign(numbers(6), concurrency=2)
    nowhere = replace(sandbox.account, api_url=_closed_port_url())
    with _client(nowhere) as client:
        result = CampaignRunner(path, client, backoff=FAST_BACKOFF).run()
    assert result.status == "paused"
    reason = result.summary.status_reason
    assert reason["code"] == "unreachable"
    assert reason["title"].startswith("Cannot reach MyOperator") and "refused" in reason["explanation"]
    with Journal(path) as journal:
        rows = journal.rows()
    assert [(r.state, r.attempts) for r in rows] == [("pending", 0)] * 6
    assert result.summary.pending == 6 and result.summary.failed == 0
    with _client(sandbox.account) as client:  # the endpoint is back: resume finishes the list
        resumed = CampaignRunner(path, client, backoff=FAST_BACKOFF).run()
    assert resumed.status == "finished"
    assert_exactly_once(sandbox, path)


def test_a_row_in_doubt_keeps_its_last_real_send_time_when_the_endpoint_is_down(sandbox) -> None:
    """The send time decides when a row in doubt is too old to re-send: a refused connection must
    not move it, or a row sent two days ago could be re-sent after MyOperator forgot its id."""
    path = make_campaign(numbers(2), concurrency=1)
    sent = utc_stamp(time.time() - 3600)
    with Journal(path) as journal:  # a run died with the first row on the wire an hour ago
        (claimed,) = journal.claim(1, time.time())
        journal._db.execute("UPDATE rows SET sent_at = ? WHERE id = ?", (sent, claimed.id))
    nowhere = replace(sandbox.account, api_url=_closed_port_url())
    with _client(nowhere) as client:
        result = CampaignRunner(path, client, backoff=FAST_BACKOFF).run()
    assert result.status == "paused"
    with Journal(path) as journal:
        first, second = journal.rows()
    assert (first.state, first.attempts, first.sent_at) == ("in_doubt", 1, sent)
    assert (second.state, second.attempts) == ("pending", 0)


def test_one_refused_connection_is_tried_again_and_does_not_pause(sandbox) -> None:
    """A short outage: the first send is refused, the next ones get through."""
    path = make_campaign(numbers(3), concurrency=1)
    nowhere = _client(replace(sandbox.account, api_url=_closed_port_url()))
    with _client(sandbox.account) as working, nowhere:
        tries = []

        class BackSoon:  # the real client against a closed port once, then the real sandbox
            def place_call(self, request, cancel=None):
                tries.append(request.reference_id)
                client = nowhere if len(tries) < UNREACHABLE_AFTER else working
                return client.place_call(request, cancel)

        result = CampaignRunner(path, BackSoon(), backoff=FAST_BACKOFF).run()
    assert result.status == "finished"
    assert_exactly_once(sandbox, path)
    with Journal(path) as journal:
        assert [r.attempts for r in journal.rows()] == [1, 1, 1]


def test_cli_exits_4_with_the_reason_when_the_endpoint_is_unreachable(
    sandbox, sandbox_env, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("OPDIAL_API_URL", _closed_port_url())
    monkeypatch.setattr(runner_module, "Backoff", lambda: FAST_BACKOFF)  # no real seconds between tries
    path = _list_file(tmp_path, numbers(4))
    code = main(["--json", "campaign", "run", str(path), *RUN])
    captured = capsys.readouterr()
    assert code == 4, captured.err
    summary = strict_json(captured.out)
    assert (summary["pending"], summary["failed"], summary["accepted"]) == (4, 0, 0)
    (campaign_id,) = list_ids()
    assert "Cannot reach MyOperator" in captured.err and f"campaign resume {campaign_id}" in captured.err
    assert main(["campaign", "status", campaign_id]) == 0
    assert f"Campaign {campaign_id} (paused)" in capsys.readouterr().out


# -- stopped: no process holds the campaign ----------------------------------------------------------


def test_a_campaign_marked_running_without_a_live_run_is_shown_stopped(tmp_path) -> None:
    path = make_campaign(numbers(2))
    with Journal(path) as journal:
        journal.set_status(jr.RUNNING)
        assert journal.summary().status == "stopped"
        with jr.RunLock(path):  # a live run (here: this process) holds it
            assert journal.summary().status == "running"
            assert [s.status for s in list_summaries()] == ["running"]
        assert [s.status for s in list_summaries()] == ["stopped"]
        journal.set_status(jr.PAUSED)
        assert journal.summary().status == "paused"
    assert not path.with_suffix(".lock").exists() or jr.RunLock.held(path) is False


def test_a_status_probe_at_the_moment_a_run_starts_does_not_make_the_run_fail() -> None:
    """``held`` takes the lock for an instant; a run starting then waits for it instead of failing.
    Here the "probe" holds it a little longer (50 ms, against 500 ms of patience) to make it certain."""
    path = make_campaign(numbers(1))
    probe = jr.RunLock(path)
    probe.acquire()
    releasing = threading.Timer(0.05, probe.release)
    releasing.start()
    try:
        with jr.RunLock(path):
            assert jr.RunLock.held(path)
    finally:
        releasing.join()
    assert not jr.RunLock.held(path)


def _start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_app.cli", *args],
        cwd=REPO,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_status_and_list_say_stopped_after_the_runner_process_is_killed(
    sandbox, sandbox_env, tmp_path, capsys
) -> None:
    sandbox.faults.latency_s = 0.15
    path = _list_file(tmp_path, numbers(40))
    process = _start_cli(["campaign", "run", str(path), "--concurrency", "2", *RUN], sandbox_env)
    deadline = time.monotonic() + 30
    while len(sandbox.accepted_calls) < 3:
        assert time.monotonic() < deadline, "the campaign did not get going"
        time.sleep(0.02)
    (campaign_id,) = list_ids()
    assert main(["--json", "campaign", "list"]) == 0  # while it runs, it is running
    assert strict_json(capsys.readouterr().out)[0]["id"] == campaign_id
    assert [s.status for s in list_summaries()] == ["running"]
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    assert main(["campaign", "status", campaign_id]) == 0
    out = capsys.readouterr().out
    assert f"Campaign {campaign_id} (stopped)" in out and f"campaign resume {campaign_id}" in out
    assert main(["campaign", "list"]) == 0
    assert f"{campaign_id}  stopped" in capsys.readouterr().out
    assert main(["--json", "campaign", "resume", campaign_id]) == 0
    assert strict_json(capsys.readouterr().out)["accepted"] == 40


# -- unreachable: a name that does not resolve, a certificate that fails ------------------------------


def _without_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_a_host_name_that_does_not_resolve_pauses_with_every_row_pending(sandbox, monkeypatch) -> None:
    """DNS failure: nothing can have been sent (``.invalid`` never resolves, RFC 2606)."""
    _without_proxies(monkeypatch)
    path = make_campaign(numbers(4), concurrency=1)
    nowhere = replace(sandbox.account, api_url="https://opdial-test.invalid/obd-api-v1")
    with _client(nowhere) as client:
        result = CampaignRunner(path, client, backoff=FAST_BACKOFF).run()
    assert result.status == "paused"
    assert result.summary.status_reason["code"] == "unreachable"
    with Journal(path) as journal:
        assert [(r.state, r.attempts) for r in journal.rows()] == [("pending", 0)] * 4


def test_a_certificate_that_fails_verification_stops_the_campaign_with_every_row_pending(
    sandbox, monkeypatch
) -> None:
    """TLS failure: the handshake failed, so no request (and no secret) left; nothing is in doubt."""
    import trustme

    from tests.test_transport_security import LoopbackServer, server_context

    _without_proxies(monkeypatch)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    path = make_campaign(numbers(4), concurrency=2)
    untrusted = trustme.CA()
    with LoopbackServer(tls=server_context(untrusted, "127.0.0.1")) as server:
        account = replace(sandbox.account, api_url=server.url)
        with _client(account) as client:
            result = CampaignRunner(path, client, backoff=FAST_BACKOFF).run()
        assert server.received == []
    assert result.status != "finished"
    assert (result.summary.status_reason or {}).get("code") == "tls"
    with Journal(path) as journal:
        assert [(r.state, r.attempts > 1) for r in journal.rows()] == [("pending", False)] * 4
    assert result.summary.failed == 0


# -- errors written as plain text or HTML ------------------------------------------------------------


@pytest.mark.parametrize("error_format", ["text", "html"])
def test_a_lost_reply_confirmed_in_plain_words_is_accepted_once(sandbox, error_format) -> None:
    """The retry's "Duplicate Reference ID" arrives as text or HTML: still placed once, not refused."""
    sandbox.config.error_format = error_format
    path = make_campaign([*numbers(3), "+919000000444"], concurrency=1)
    with ObdClient(sandbox.account, sleep=lambda s: None) as client:
        result = CampaignRunner(path, client, backoff=FAST_BACKOFF).run()
    assert result.status == "finished" and result.summary.accepted == 4
    assert len(sandbox.received) == 5  # the lost reply's retry was answered "already taken"
    assert_exactly_once(sandbox, path)


@pytest.mark.parametrize("error_format", ["text", "html"])
def test_an_account_wide_refusal_in_plain_words_blocks_the_campaign(sandbox, error_format) -> None:
    sandbox.config.error_format = error_format
    path = make_campaign(numbers(6), concurrency=1)
    wrong_key = replace(sandbox.account, api_key="not-the-key")
    with _client(wrong_key) as client:
        result = CampaignRunner(path, client, backoff=FAST_BACKOFF).run()
    assert (result.status, result.summary.status_reason["code"]) == ("blocked", "auth_failed")
    assert result.summary.pending == 6 and len(sandbox.received) <= 2
