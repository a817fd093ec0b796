"""The calling window (recipient's local time, injected clock) and the retry backoff."""

from __future__ import annotations

import random

import pytest

from desktop_app.api.client import ObdClient
from desktop_app.campaigns.journal import Journal
from desktop_app.campaigns.policy import Backoff, CallingWindow, time_zones_for
from desktop_app.campaigns.runner import CampaignRunner
from tests.campaign_helpers import FakeClock, make_campaign, numbers, utc

INDIA = ("Asia/Calcutta",)  # UTC+05:30
LONDON = ("Europe/London",)  # UTC+00:00 in November


def test_default_window_is_nine_to_nine_in_the_recipients_time() -> None:
    window = CallingWindow.parse(None)
    assert str(window) == "09:00-21:00"
    assert not window.is_open(INDIA, utc(3, 29))  # 08:59 in India
    assert window.is_open(INDIA, utc(3, 30))  # 09:00 in India
    assert window.is_open(INDIA, utc(15, 29))  # 20:59
    assert not window.is_open(INDIA, utc(15, 30))  # 21:00
    assert not window.is_open(LONDON, utc(3, 30))


def test_zones_come_from_phonenumbers() -> None:
    assert time_zones_for("+919876543210") == INDIA
    assert time_zones_for("+14155550123") == ("America/Los_Angeles",)
    assert "Europe/London" in time_zones_for("+442079460000")


def test_a_number_spanning_zones_is_called_only_when_open_in_all_of_them() -> None:
    window = CallingWindow.parse("09:00-21:00")
    both = ("America/New_York", "America/Los_Angeles")
    assert window.is_open(("America/New_York",), utc(16))  # 11:00 in New York
    assert not window.is_open(both, utc(16))  # but 08:00 in Los Angeles
    assert window.is_open(both, utc(17))


def test_custom_window_crossing_midnight_and_any() -> None:
    night = CallingWindow.parse("22:00-06:00")
    assert night.is_open(LONDON, utc(23)) and night.is_open(LONDON, utc(5, 59))
    assert not night.is_open(LONDON, utc(12))
    assert CallingWindow.parse("any").is_open(INDIA, utc(0))


@pytest.mark.parametrize("text", ["9-21", "25:00-26:00", "09:00-09:00", "soon"])
def test_malformed_windows_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        CallingWindow.parse(text)


def test_next_open_finds_the_first_minute() -> None:
    window = CallingWindow.parse("09:00-21:00")
    assert window.next_open(INDIA, utc(1, 7)) == utc(3, 30)
    assert window.next_open(INDIA, utc(10)) == utc(10)


def test_runner_waits_for_the_window_and_resumes_by_itself(sandbox) -> None:
    path = make_campaign([*numbers(2), "+442079460000"], calling_window="09:00-21:00", concurrency=1)
    clock = FakeClock(utc(1))  # 06:30 in India, 01:00 in London
    sent: list[tuple[str, object]] = []
    statuses: list[str] = []

    def remember(rows, _at) -> None:
        sent.extend((row.number, clock.now()) for row in rows)

    with ObdClient(sandbox.account, max_attempts=1) as client:
        runner = CampaignRunner(path, client, clock=clock, on_claim=remember)
        runner.on_progress = lambda progress: statuses.append(progress.status)
        result = runner.run()
    assert result.status == "finished"
    assert "waiting" in statuses
    when = dict(sent)
    assert utc(3, 30) <= when["+919876500000"] < utc(3, 40)  # as soon as India opens
    assert utc(9) <= when["+442079460000"] < utc(9, 10)  # London opens later
    assert len(sandbox.accepted_calls) == 3


def test_runner_in_window_does_not_wait(sandbox) -> None:
    path = make_campaign(numbers(2), calling_window="09:00-21:00")
    clock = FakeClock(utc(6))
    with ObdClient(sandbox.account, max_attempts=1) as client:
        CampaignRunner(path, client, clock=clock).run()
    assert clock.sleeps == []
    with Journal(path) as journal:
        assert journal.summary().accepted == 2


def test_backoff_grows_exponentially_with_jitter_and_respects_retry_after() -> None:
    backoff = Backoff(base_s=2, cap_s=60, jitter=0.5)
    rng = random.Random(7)
    for failures, middle in [(1, 2), (2, 4), (3, 8), (10, 60)]:
        delays = {backoff.delay(failures, rng=rng) for _ in range(20)}
        assert all(middle * 0.5 <= d <= middle * 1.5 for d in delays)
        assert len(delays) > 1  # jitter: clients do not retry in lockstep
    assert backoff.delay(1, retry_after=45, rng=rng) >= 45


def test_a_wait_is_said_in_the_recipients_time_with_how_long() -> None:
    from datetime import datetime, timezone

    from desktop_app.campaigns.policy import waiting_words

    window = CallingWindow.parse("09:00-21:00")
    now = datetime(2026, 12, 6, 21, 40, tzinfo=timezone.utc)  # 03:10 in India
    opening = window.next_open(("Asia/Kolkata",), now)
    assert waiting_words(window, ("Asia/Kolkata",), now, opening) == (
        "Outside calling hours (09:00-21:00, the recipients' time) — now 03:10 IST; "
        "next calls at 09:00 IST, in 5 h 50 min."
    )
    evening = datetime(2026, 12, 6, 16, 0, tzinfo=timezone.utc)  # 21:30 in India: tomorrow's morning
    words = waiting_words(window, ("Asia/Kolkata",), evening, window.next_open(("Asia/Kolkata",), evening))
    assert "next calls at 09:00 IST tomorrow, in 11 h 30 min" in words


def test_the_cli_says_a_wait_once_not_every_few_seconds(capsys) -> None:
    from desktop_app.campaigns.journal import Summary
    from desktop_app.campaigns.runner import Progress
    from desktop_app.cli import Output
    from desktop_app.cli_campaign import _Reporter

    reporter = _Reporter(Output(False))
    waiting = Progress(Summary(id="c1", pending=5), 0.0, None, "waiting", "Outside calling hours (…)")
    for _ in range(5):
        reporter.progress(waiting)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "--calling-window any" in lines[0]


def test_the_calling_window_can_be_changed_while_a_campaign_waits(sandbox) -> None:
    path = make_campaign([*numbers(2), "+442079460000"], calling_window="09:00-21:00", concurrency=1)
    clock = FakeClock(utc(1))  # 06:30 in India: the window opens in 2 h 30 min
    sent: list[object] = []

    with ObdClient(sandbox.account, max_attempts=1) as client:
        runner = CampaignRunner(
            path, client, clock=clock, on_claim=lambda rows, _at: sent.extend(clock.now() for _ in rows)
        )

        def on_progress(progress) -> None:
            if progress.status == "waiting":  # the agent decides not to wait: any hour will do
                runner.change_calling_window(CallingWindow.parse("any"))

        runner.on_progress = on_progress
        result = runner.run()
    assert result.status == "finished" and len(sent) == 3
    assert all(when < utc(1, 5) for when in sent)  # not hours later, when the old window opened
    with Journal(path) as journal:
        assert journal.settings.calling_window == "any"  # kept for a resume


def test_a_time_left_is_shown_only_while_calls_go_out(sandbox) -> None:
    path = make_campaign([*numbers(3), "+442079460000"], calling_window="09:00-21:00", concurrency=1)
    clock = FakeClock(utc(4))  # India open, London (+442079460000) not until 09:00 UTC
    seen: list[tuple[str, float | None]] = []
    with ObdClient(sandbox.account, max_attempts=1) as client:
        runner = CampaignRunner(path, client, clock=clock)
        runner.on_progress = lambda progress: seen.append((progress.status, progress.eta_s))
        assert runner.run().status == "finished"
    assert any(status == "waiting" for status, _eta in seen)
    assert all(eta is None for status, eta in seen if status != "running")
