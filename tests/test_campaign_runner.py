"""The runner against the real sandbox: faults, pacing, Retry-After, pause/resume, exactly once."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from desktop_app.api.client import ObdClient
from desktop_app.api.models import CallKind, CallRequest
from desktop_app.campaigns import journal as jr
from desktop_app.campaigns.journal import CampaignSettings, Journal
from desktop_app.campaigns.policy import Backoff
from desktop_app.campaigns.runner import CampaignRunner
from tests.campaign_helpers import FakeClock, assert_exactly_once, make_campaign, numbers, utc

FAST_BACKOFF = Backoff(base_s=0.01, cap_s=0.05)


def _client(server, **kwargs) -> ObdClient:
    return ObdClient(kwargs.pop("account", server.account), max_attempts=1, **kwargs)


def _run(path, client, **kwargs):
    kwargs.setdefault("backoff", FAST_BACKOFF)
    return CampaignRunner(path, client, **kwargs).run()


def test_every_valid_row_is_accepted_exactly_once_through_every_fault(sandbox) -> None:
    path = make_campaign(numbers(30), concurrency=4)
    faults = sandbox.faults
    faults.drop_connection, faults.lose_reply, faults.server_error = 3, 4, 3
    faults.rate_limit, faults.retry_after, faults.html_502 = 2, 0.05, 3
    with _client(sandbox) as client:
        result = _run(path, client)
    assert result.status == "finished"
    assert (result.summary.accepted, result.summary.pending) == (30, 0)
    assert_exactly_once(sandbox, path)
    with Journal(path) as journal:
        retried = [row for row in journal.rows() if row.attempts > 1]
    assert retried, "the faults must have forced re-sends"


def test_a_lost_reply_is_confirmed_by_the_duplicate_answer_to_the_resend(sandbox) -> None:
    path = make_campaign(numbers(1), concurrency=1)
    sandbox.faults.lose_reply = 1  # accepted, but the answer never arrives
    with _client(sandbox) as client:
        _run(path, client)
    with Journal(path) as journal:
        (row,) = journal.rows()
        confirmed = journal._db.execute("SELECT confirmed_by_duplicate FROM rows").fetchone()[0]
    assert (row.state, row.attempts, confirmed) == ("accepted", 2, 1)
    assert_exactly_once(sandbox, path)


def test_rows_in_doubt_after_a_crash_are_resent_only_with_their_own_reference_id(sandbox) -> None:
    path = make_campaign(numbers(6), concurrency=3)
    with Journal(path) as journal:  # a run that died right after sending two rows
        claimed = journal.claim(3, utc(10).timestamp())
    with _client(sandbox) as client:
        for row in claimed[:2]:
            sent = client.place_call(CallRequest(CallKind.IVR, row.number, reference_id=row.reference_id))
            assert sent.accepted
        result = _run(path, client)
    assert result.summary.accepted == 6
    assert_exactly_once(sandbox, path)
    with Journal(path) as journal:
        states = {r.reference_id: r.attempts for r in journal.rows()}
    assert [states[row.reference_id] for row in claimed] == [2, 2, 2]


def test_permanent_rejection_marks_only_that_row(sandbox) -> None:
    path = make_campaign([*numbers(3), "+919000000400"])  # the sandbox refuses this number's format
    with _client(sandbox) as client:
        result = _run(path, client)
    assert result.status == "finished"
    assert (result.summary.accepted, result.summary.rejected) == (3, 1)
    with Journal(path) as journal:
        (refused,) = journal.rows(state="rejected")
    assert refused.problem_code == "invalid_number"


def test_account_wide_problem_pauses_the_campaign_with_the_explanation(sandbox) -> None:
    path = make_campaign(numbers(20), concurrency=2)
    wrong_key = replace(sandbox.account, api_key="not-the-key")
    with _client(sandbox, account=wrong_key) as client:
        result = _run(path, client)
    assert result.status == "blocked"
    assert result.summary.status_reason["code"] == "auth_failed"
    assert "x-api-key" in result.message
    assert len(sandbox.received) <= 2, "must not burn through the list"
    assert result.summary.accepted == 0 and result.summary.pending == 20
    with _client(sandbox) as client:  # fixed credentials: resume finishes the list
        resumed = _run(path, client)
    assert resumed.status == "finished"
    assert_exactly_once(sandbox, path)


def test_company_config_missing_blocks_too(sandbox) -> None:
    path = make_campaign(numbers(5), concurrency=1)
    wrong_ivr = replace(sandbox.account, public_ivr_id="no-such-ivr")
    with _client(sandbox, account=wrong_ivr) as client:
        result = _run(path, client)
    assert (result.status, result.summary.status_reason["code"]) == ("blocked", "company_config_missing")


def test_pause_then_resume_finishes_without_sending_anything_twice(sandbox) -> None:
    path = make_campaign(numbers(24), concurrency=3)
    sandbox.faults.latency_s = 0.02
    with _client(sandbox) as client:
        runner = CampaignRunner(path, client, backoff=FAST_BACKOFF)
        sandbox.on_request = lambda _request: len(sandbox.accepted_calls) >= 6 and runner.pause()
        paused = runner.run()
        sandbox.on_request = None
        assert paused.status == "paused"
        assert 6 <= paused.summary.accepted < 24
        assert paused.summary.pending == 24 - paused.summary.accepted
        with Journal(path) as journal:
            assert journal.status == "paused"
            counts = journal.state_counts()
            assert counts["sending"] == 0  # in-flight calls finished and were recorded
            assert counts["pending"] == 24 - paused.summary.accepted  # queued rows were handed back
        resumed = _run(path, client)
    assert resumed.status == "finished"
    assert_exactly_once(sandbox, path)


def test_cancel_stops_and_marks_the_campaign_cancelled(sandbox) -> None:
    path = make_campaign(numbers(10), concurrency=1)
    with _client(sandbox) as client:
        runner = CampaignRunner(path, client, backoff=FAST_BACKOFF)
        runner.on_claim = lambda rows, at: runner.cancel()
        result = runner.run()
    assert result.status == "cancelled"
    assert result.summary.accepted + result.summary.pending == 10
    assert result.summary.accepted <= 1


def test_pacing_spaces_sends_by_the_rate(sandbox) -> None:
    path = make_campaign(numbers(5), concurrency=4, rate_per_min=30)
    clock = FakeClock(utc(6))
    sent_at: list[float] = []  # paced rows are claimed one at a time and sent at once
    with _client(sandbox) as client:
        result = _run(path, client, clock=clock, on_claim=lambda rows, at: sent_at.extend([at] * len(rows)))
    assert result.status == "finished"
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert len(sent_at) == 5 and all(gap >= 2.0 - 1e-9 for gap in gaps)


def test_retry_after_holds_every_send(sandbox) -> None:
    path = make_campaign(numbers(3), concurrency=1)
    sandbox.faults.rate_limit, sandbox.faults.retry_after = 1, 30
    clock = FakeClock(utc(6))
    arrived: list[float] = []
    sandbox.on_request = lambda _request: arrived.append(clock.monotonic())
    with _client(sandbox, max_retry_after_s=0) as client:
        result = _run(path, client, clock=clock)
    assert result.summary.accepted == 3
    assert len(arrived) == 4  # the refused send, then three
    assert all(at - arrived[0] >= 30 for at in arrived[1:])
    assert_exactly_once(sandbox, path)


def test_resume_uses_remembered_settings_unless_overridden(sandbox) -> None:
    path = make_campaign(numbers(2), concurrency=2, rate_per_min=0, calling_window="any")
    override = CampaignSettings(rate_per_min=0, concurrency=1, calling_window="any")
    with _client(sandbox) as client:
        _run(path, client, settings=override)
    with Journal(path) as journal:
        assert journal.settings.concurrency == 1


def test_two_runs_of_one_campaign_cannot_overlap(sandbox) -> None:
    path = make_campaign(numbers(2))
    lock = jr.RunLock(path)
    lock.acquire()
    try:
        with _client(sandbox) as client, pytest.raises(jr.JournalError, match="already running"):
            _run(path, client)
    finally:
        lock.release()


def test_unexpected_exception_in_a_worker_leaves_the_row_in_doubt(sandbox) -> None:
    """A real client cannot raise here, so a stand-in raises once to prove the row is not lost."""
    path = make_campaign(numbers(1), concurrency=1)
    with _client(sandbox) as real:
        calls = threading.Semaphore(1)

        class Flaky:
            def place_call(self, request, cancel=None):
                if calls.acquire(blocking=False):
                    raise RuntimeError("boom")
                return real.place_call(request, cancel)

        result = _run(path, Flaky())
    assert result.summary.accepted == 1
    assert_exactly_once(sandbox, path)


def test_rows_in_doubt_for_more_than_a_day_are_not_resent(sandbox) -> None:
    """Past MyOperator's duplicate window a re-send could ring twice: such rows end as failed."""
    path = make_campaign(numbers(3), concurrency=1)
    with Journal(path) as journal:  # a run died with one row on the wire
        journal.claim(1, utc(10).timestamp())
    two_days_later = FakeClock(datetime.now(timezone.utc) + timedelta(days=2))
    with _client(sandbox) as client:
        result = _run(path, client, clock=two_days_later)
    assert (result.status, result.summary.accepted, result.summary.failed) == ("finished", 2, 1)
    with Journal(path) as journal:
        (expired,) = journal.rows(state="failed")
    assert expired.problem_code == "doubt_expired"
    assert expired.number not in {call["number"] for call in sandbox.accepted_calls}
