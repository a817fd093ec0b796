"""The campaign runner: sends a journal's rows as IVR calls, paced, in parallel, exactly once.

One dispatcher thread (the caller of ``run``) owns the journal: it claims rows (durably marking
them 'sending' before they leave), hands them to ``concurrency`` worker threads, and writes the
outcomes back in batches. Workers only call ``client.place_call``. Every send of a row uses the
row's own reference_id, so a re-send after a crash or an unknown outcome cannot ring twice.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from desktop_app.api import catalogue
from desktop_app.api.models import CallKind, CallRequest, Outcome
from desktop_app.campaigns import journal as jr
from desktop_app.campaigns.journal import CampaignSettings, ClaimedRow, Journal, RowResult, RunLock, Summary
from desktop_app.campaigns.policy import Backoff, CallingWindow, Clock, waiting_words, zones_text_open

log = logging.getLogger(__name__)

# Problems that would fail every further row the same way: stop and explain instead.
PAUSE_CODES = frozenset({"auth_failed", "anonymous_disabled", "company_config_missing", "not_found", "tls"})
MAX_ROW_ATTEMPTS = 8
ZONE_REFRESH_S = 30.0
PROGRESS_EVERY_S = 0.25
IDLE_POLL_S = 0.5
MAX_IDLE_SLEEP_S = 60.0
PREFETCH_FACTOR = 2
# A Retry-After up to this long is waited out; a longer one (or no usable number) pauses the
# campaign with the explanation, instead of hanging it for days.
MAX_RETRY_AFTER_S = 15 * 60.0
# This many failures in a row where nothing can have reached MyOperator (connection refused, DNS,
# proxy, connect timeout) pause the campaign: the endpoint is unreachable, not one row's problem.
UNREACHABLE_AFTER = 3
# httpx's names for failures before any byte of the request left (see ``catalogue.was_sent``).
_NOT_SENT_ERRORS = ("ConnectError:", "ConnectTimeout:", "ProxyError:")


UNSENT: Any = object()  # marker: a queued row handed back without being sent


class CallPlacer(Protocol):
    def place_call(self, request: CallRequest, cancel: threading.Event | None = None) -> Outcome: ...


@dataclass(frozen=True)
class Progress:
    summary: Summary
    rate_per_min: float  # completed sends over the last minute
    eta_s: float | None
    status: str
    message: str = ""

    @property
    def eta_text(self) -> str:
        """The time left in words ("about 4 min left"), or "" when unknown; one wording for CLI and window."""
        seconds = self.eta_s
        if not seconds:
            return ""
        if seconds < 90:
            shown = f"{seconds:.0f} s"
        elif seconds < 5400:
            shown = f"{seconds / 60:.0f} min"
        else:
            shown = f"{seconds / 3600:.1f} h"
        return f"about {shown} left"


@dataclass(frozen=True)
class RunResult:
    status: str  # finished, paused, blocked, cancelled
    summary: Summary
    message: str = ""


class CampaignRunner:
    """Runs one campaign until it finishes, is paused/cancelled, or an account-wide problem blocks it.

    ``run`` blocks; ``pause`` and ``cancel`` may be called from any thread. ``settings`` overrides
    the journal's remembered settings (and is remembered for the next resume).
    """

    def __init__(
        self,
        journal_path: Path,
        client: CallPlacer,
        settings: CampaignSettings | None = None,
        *,
        clock: Clock | None = None,
        backoff: Backoff | None = None,
        max_row_attempts: int = MAX_ROW_ATTEMPTS,
        on_progress: Callable[[Progress], None] | None = None,
        on_claim: Callable[[list[ClaimedRow], float], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.journal_path = journal_path
        self.client = client
        self.settings_override = settings
        self.clock = clock or Clock()
        self.backoff = backoff or Backoff()
        self.max_row_attempts = max_row_attempts
        self.on_progress = on_progress
        self.on_claim = on_claim
        self.rng = rng or random.Random()
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._wake = threading.Event()
        self._new_window: CallingWindow | None = None  # asked for by change_calling_window
        self._results: queue.Queue[tuple[ClaimedRow, Any]] = queue.Queue()
        self._completed: deque[float] = deque()
        self._hold_until = 0.0
        self._hold_lock = threading.Lock()
        self._halt = threading.Event()  # a worker saw an account-wide refusal
        self._next_slot = 0.0
        self._blocked: dict[str, Any] | None = None
        self._pause_reason: dict[str, Any] | None = None  # why the runner paused itself
        self._unreachable = 0  # consecutive failures that never reached MyOperator
        self._zones: list[str] | None = None
        self._zones_at = -1e18
        self._last_progress = 0.0
        self._status = jr.RUNNING
        self._message = ""

    # -- control (any thread) --------------------------------------------------------------------

    def pause(self) -> None:
        """Stop claiming rows; calls already on the wire finish and are recorded."""
        self._stop.set()
        self._wake.set()

    def cancel(self) -> None:
        """Like pause, and also interrupts waits inside calls; the campaign is marked cancelled."""
        self._cancel.set()
        self.pause()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> RunResult:
        with RunLock(self.journal_path), Journal(self.journal_path) as journal:
            settings = self.settings_override or journal.settings
            if self.settings_override is not None:
                journal.save_settings(settings)
            recovered = journal.recover_in_doubt()
            now = self.clock.now().timestamp()
            expired = journal.expire_doubts(now)
            journal.bring_forward(now + self._longest_wait_s(), now)
            if expired:
                log.warning("Campaign %s: %d rows in doubt for too long, not re-sent", journal.id, expired)
            if recovered:
                log.info("Campaign %s: %d rows in doubt after an interruption", journal.id, recovered)
            journal.set_status(jr.RUNNING)
            try:
                status = self._dispatch(journal, settings)
            except BaseException:
                journal.set_status(jr.PAUSED, {"code": "interrupted", "title": "Stopped unexpectedly"})
                raise
            journal.set_status(status, self._reason_for(status))
            summary = journal.summary()
            self._emit(journal, force=True, status=status)
            return RunResult(status, summary, self._final_message(status, summary))

    def change_calling_window(self, window: CallingWindow) -> None:
        """Use another calling window from now on, while running (thread-safe; saved in the journal)."""
        self._new_window = window
        self._wake.set()

    def _dispatch(self, journal: Journal, settings: CampaignSettings) -> str:
        window = CallingWindow.parse(settings.calling_window)
        concurrency = max(1, int(settings.concurrency))
        interval = (
            60.0 / settings.rate_per_min if settings.rate_per_min and settings.rate_per_min > 0 else 0.0
        )
        in_flight = 0
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="campaign") as pool:
            while True:
                self._wake.clear()
                changed, self._new_window = self._new_window, None
                if changed is not None and str(changed) != str(window):
                    window = changed
                    settings.calling_window = str(window)
                    journal.save_settings(settings)
                    self._status, self._message = jr.RUNNING, ""
                    log.info("Calling window changed to %s while running", window)
                in_flight -= self._absorb(journal)
                self._emit(journal)
                if self._stop.is_set() or self._blocked is not None or self._pause_reason is not None:
                    if in_flight == 0:
                        return self._stopped_status()
                    self._wake.wait(IDLE_POLL_S)
                    continue
                wait = self._slot_wait(interval)
                # Unpaced, keep a batch queued behind the calls on the wire and refill it only once
                # it has drained: fewer, larger (fsynced) claim transactions. Queued rows are
                # 'sending' already; if the app dies they are in doubt and re-sent with their own
                # reference_id, which is harmless.
                ceiling = concurrency if interval else PREFETCH_FACTOR * concurrency
                may_claim = in_flight < concurrency if interval else in_flight <= concurrency
                if may_claim and wait <= 0:
                    limit = 1 if interval else ceiling - in_flight
                    rows = journal.claim(
                        limit, self.clock.now().timestamp(), self._open_zones(journal, window)
                    )
                    if rows:
                        self._after_claim(rows, interval)
                        for row in rows:
                            pool.submit(self._send, row)
                        in_flight += len(rows)
                        continue
                    if in_flight == 0:
                        idle = self._idle(journal, window)
                        if idle is None:
                            return jr.FINISHED
                        self.clock.sleep(idle, self._wake)
                        continue
                if in_flight and (wait <= 0 or not may_claim):
                    self._wake.wait(IDLE_POLL_S)
                else:
                    self.clock.sleep(wait, self._wake)

    def _longest_wait_s(self) -> float:
        """Twice the longest wait this runner schedules itself (backoff or Retry-After)."""
        return 2 * max(MAX_RETRY_AFTER_S, self.backoff.cap_s * (1 + self.backoff.jitter))

    def _reason_for(self, status: str) -> dict[str, Any] | None:
        if status == jr.BLOCKED:
            return self._blocked
        return self._pause_reason if status == jr.PAUSED else None

    def _stopped_status(self) -> str:
        if self._cancel.is_set():
            return jr.CANCELLED
        if self._blocked is not None:
            return jr.BLOCKED
        return jr.PAUSED

    def _slot_wait(self, interval: float) -> float:
        """Seconds until the pace (and any Retry-After hold) allows the next send."""
        return max(self._next_slot, self._hold_until) - self.clock.monotonic()

    def _after_claim(self, rows: list[ClaimedRow], interval: float) -> None:
        now = self.clock.monotonic()
        self._next_slot = max(now, self._next_slot) + interval
        if self._status != jr.RUNNING:
            self._status, self._message = jr.RUNNING, ""
        if self.on_claim is not None:
            self.on_claim(rows, now)

    def _send(self, row: ClaimedRow) -> None:
        outcome: Any
        if self._stop.is_set() or self._halt.is_set() or self.clock.monotonic() < self._hold_until:
            outcome = UNSENT  # queued behind a pause, a refusal or a Retry-After: hand it back
        else:
            request = CallRequest(kind=CallKind.IVR, to=row.number, reference_id=row.reference_id)
            try:
                outcome = self.client.place_call(request, cancel=self._cancel)
            except Exception:  # a bug must not lose the row: it stays in doubt, re-sent with its own id
                log.exception("Campaign row %s: unexpected error while sending", row.id)
                outcome = None
            self._react(outcome)
        self._results.put((row, outcome))
        self._wake.set()

    def _react(self, outcome: Outcome | None) -> None:
        """On the worker, at once: stop queued rows after an account-wide refusal, a 429, a
        Retry-After too long to wait, or an endpoint that cannot be reached."""
        problem = outcome.problem if outcome is not None and not outcome.accepted else None
        if self._count_unreachable(outcome):
            return
        if problem is None:
            return
        if problem.code in PAUSE_CODES or _account_wide(problem.code):
            self._halt.set()
        elif problem.retry_after is not None and problem.retry_after > MAX_RETRY_AFTER_S:
            self._pause_for(_wait_too_long(problem.retry_after))
        elif problem.code == "rate_limited":
            self._hold(problem.retry_after)

    def _count_unreachable(self, outcome: Outcome | None) -> bool:
        """Count failures in a row that never left; wait a little between them, pause at the limit.

        True when ``outcome`` was such a failure. A short outage (a Wi-Fi hand-over) is waited out
        by the backoff; a dead endpoint pauses the campaign after ``UNREACHABLE_AFTER`` tries.
        """
        if not _never_sent(outcome):
            with self._hold_lock:
                self._unreachable = 0
            return False
        with self._hold_lock:
            self._unreachable += 1
            failures = self._unreachable
        if failures >= UNREACHABLE_AFTER:
            assert outcome is not None and outcome.problem is not None
            self._pause_for(_unreachable_reason(outcome.problem, failures))
        else:
            self._hold(self.backoff.delay(failures, rng=self.rng))
        return True

    def _pause_for(self, reason: dict[str, Any]) -> None:
        """Pause on the runner's own account (the first reason wins); queued rows are handed back."""
        with self._hold_lock:
            if self._pause_reason is None:
                self._pause_reason = reason
                log.warning("Campaign paused: %s", reason["title"])
        self._halt.set()
        self._wake.set()

    def _hold(self, retry_after: float | None) -> float:
        hold = retry_after if retry_after is not None else self.backoff.delay(1, rng=self.rng)
        with self._hold_lock:
            self._hold_until = max(self._hold_until, self.clock.monotonic() + hold)
        return hold

    # -- outcomes --------------------------------------------------------------------------------

    def _absorb(self, journal: Journal) -> int:
        batch: list[RowResult] = []
        while True:
            try:
                row, outcome = self._results.get_nowait()
            except queue.Empty:
                break
            batch.append(self._judge(row, outcome))
        if batch:
            journal.record(batch)
            now = self.clock.monotonic()
            # Only real sends make the rate and the time left; rows handed back unsent do not.
            self._completed.extend([now] * sum(not r.unsent for r in batch))
        return len(batch)

    def _judge(self, row: ClaimedRow, outcome: Outcome | None) -> RowResult:
        if outcome is UNSENT:
            return _handed_back(row)
        if outcome is None:
            return self._again(row, None, unknown=True)
        if _never_sent(outcome):  # nothing left this computer: the row is as it was before the claim
            if self._pause_reason is None and outcome.problem is not None:
                self._status = jr.WAITING
                self._message = f"{outcome.problem.title}; trying again shortly."
            return _handed_back(row)
        if outcome.accepted:
            return RowResult(
                row.id,
                jr.ACCEPTED,
                http_status=outcome.http_status,
                unique_id=outcome.unique_id,
                confirmed_by_duplicate=outcome.confirmed_by_duplicate,
            )
        problem = outcome.problem or catalogue.problem("unexpected_response")
        code = problem.code
        if code == "duplicate_reference" and row.attempts > 1:
            # An earlier send of this very row got through; MyOperator refuses the copy.
            return RowResult(
                row.id, jr.ACCEPTED, http_status=outcome.http_status, confirmed_by_duplicate=True
            )
        text = f"{problem.title}: {problem.explanation}"
        if code == "cancelled":
            state = jr.IN_DOUBT if outcome.status == "failed" else jr.PENDING
            return RowResult(row.id, state, code, text, outcome.http_status)
        if code in PAUSE_CODES or _account_wide(code):
            if self._blocked is None:
                self._blocked = problem.to_dict()
                log.warning("Campaign blocked by %s: %s", code, problem.title)
            state = jr.IN_DOUBT if row.attempts > 1 else jr.PENDING
            return RowResult(row.id, state, code, text, outcome.http_status)
        if outcome.status == "failed" or _retryable(code):
            if code == "rate_limited" and not _too_long(problem.retry_after):
                wait = f" {problem.retry_after:.0f} s" if problem.retry_after is not None else ""
                self._status = jr.WAITING
                self._message = f"MyOperator asked to slow down; waiting{wait}."
            return self._again(row, outcome, unknown=outcome.status == "failed")
        return RowResult(row.id, jr.REJECTED, code, text, outcome.http_status)

    def _again(self, row: ClaimedRow, outcome: Outcome | None, *, unknown: bool) -> RowResult:
        """Try this row again later with the same reference_id, or give up after too many tries."""
        problem = outcome.problem if outcome is not None else None
        code = problem.code if problem else "unexpected_response"
        text = f"{problem.title}: {problem.explanation}" if problem else "Unexpected error while sending."
        status = outcome.http_status if outcome is not None else None
        if row.attempts >= self.max_row_attempts:
            return RowResult(
                row.id, jr.FAILED, code, f"Gave up after {row.attempts} attempts. {text}", status
            )
        retry_after = problem.retry_after if problem else None
        if _too_long(retry_after):  # the campaign pauses instead; on resume the row is due at once
            retry_after = None
        delay = self.backoff.delay(row.attempts, retry_after, self.rng)
        next_at = self.clock.now().timestamp() + delay
        return RowResult(row.id, jr.IN_DOUBT if unknown else jr.RETRY, code, text, status, next_at=next_at)

    # -- waiting ---------------------------------------------------------------------------------

    def _open_zones(self, journal: Journal, window: CallingWindow) -> list[str] | None:
        if window.always:
            return None
        mono = self.clock.monotonic()
        if self._zones is None or mono - self._zones_at > ZONE_REFRESH_S:
            self._zones, self._zones_at = journal.sendable_zones(), mono
        now = self.clock.now()
        return [z for z in self._zones if zones_text_open(window, z, now)]

    def _idle(self, journal: Journal, window: CallingWindow) -> float | None:
        """Nothing claimable and nothing in flight: None when done, else seconds to sleep."""
        counts = journal.state_counts()
        if not any(counts[s] for s in (*jr.SENDABLE, jr.SENDING)):
            return None
        now = self.clock.now()
        waits: list[float] = []
        retry_at = journal.next_retry_at()
        if retry_at is not None and retry_at > now.timestamp():
            waits.append(retry_at - now.timestamp())
        self._zones = None  # re-read: the rows left may be in other zones
        found = self._next_window_open(journal, window, now)
        if found is not None:
            opening, zones = found
            waits.append((opening - now).total_seconds())
            self._status = jr.WAITING
            self._message = waiting_words(window, zones, now, opening)
            journal.set_status(jr.WAITING, {"code": "calling_window", "title": self._message})
        self._emit(journal, force=True)
        return max(0.05, min([*waits, MAX_IDLE_SLEEP_S]))

    def _next_window_open(
        self, journal: Journal, window: CallingWindow, now: datetime
    ) -> tuple[datetime, tuple[str, ...]] | None:
        """When calls may go out next, and the zones of the recipients it opens for first."""
        if window.always:
            return None
        zones = journal.sendable_zones()
        if any(zones_text_open(window, z, now) for z in zones):
            return None
        openings = [(window.next_open(jr.zones_of(z), now), jr.zones_of(z)) for z in zones]
        found = [(o, z) for o, z in openings if o is not None]
        return min(found, key=lambda pair: pair[0]) if found else None

    # -- progress --------------------------------------------------------------------------------

    def _emit(self, journal: Journal, *, force: bool = False, status: str | None = None) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_EVERY_S:
            return
        self._last_progress = now
        summary = journal.summary()
        rate = self._rate_per_min()
        shown = status or (jr.PAUSED if self._stop.is_set() and status is None else self._status)
        # A time left only while calls are going out: waiting for calling hours or paused, it would lie.
        sending = shown == jr.RUNNING
        eta = summary.pending / rate * 60 if sending and rate > 0 and summary.pending else None
        summary = replace(summary, status=shown)
        self.on_progress(Progress(summary, rate, eta, shown, self._message))

    def _rate_per_min(self) -> float:
        now = self.clock.monotonic()
        while self._completed and now - self._completed[0] > 60:
            self._completed.popleft()
        if not self._completed:
            return 0.0
        span = max(now - self._completed[0], 1.0)
        return len(self._completed) * 60.0 / span if span < 60 else float(len(self._completed))

    @staticmethod
    def _final_message(status: str, summary: Summary) -> str:
        if status == jr.FINISHED:
            return (
                f"Campaign {summary.id} finished: {summary.accepted} accepted, {summary.rejected} rejected."
            )
        if status == jr.BLOCKED:
            reason = summary.status_reason or {}
            why = f"{reason.get('title', '')}. {reason.get('action', '')}".strip()
            return f"Campaign {summary.id} stopped: {why}"
        if status == jr.PAUSED and summary.status_reason:
            why = summary.status_reason.get("title", "")
            return f"Campaign {summary.id}: {why}; {summary.pending} rows left."
        return f"Campaign {summary.id} {status}; {summary.pending} rows left."


def _account_wide(code: str) -> bool:
    entry = catalogue.PROBLEMS.get(code)
    return bool(entry and entry.account_wide)


def _retryable(code: str) -> bool:
    entry = catalogue.PROBLEMS.get(code)
    return bool(entry and entry.retryable)


def _too_long(retry_after: float | None) -> bool:
    return retry_after is not None and retry_after > MAX_RETRY_AFTER_S


def _never_sent(outcome: Outcome | None) -> bool:
    """A failure before anything reached MyOperator: refused, DNS, proxy, connect timeout.

    ``Outcome`` does not carry ``catalogue.was_sent``; the raw text names the transport error, and
    these are exactly the classes ``was_sent`` counts as not sent.
    """
    if outcome is None or outcome.status != "failed" or outcome.http_status is not None:
        return False
    problem = outcome.problem
    if problem is None or problem.code not in ("network", "timeout"):
        return False
    return problem.raw.startswith(_NOT_SENT_ERRORS)


def wait_words(seconds: float) -> str:
    """A wait in words: "40 s", "12 min", "3 h 20 min", "2 days"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def _wait_too_long(retry_after: float) -> dict[str, Any]:
    if retry_after >= catalogue.RETRY_AFTER_CEILING_S:
        asked = "a week or more (or gave no usable time)"
    else:
        asked = wait_words(retry_after)
    return {
        "code": "retry_after_too_long",
        "title": f"MyOperator asks to wait {asked}; paused — resume later",
        "explanation": f"MyOperator asked OpDial to wait longer than the {wait_words(MAX_RETRY_AFTER_S)} "
        "a campaign waits on its own (Retry-After). The rows left are kept; nothing was sent twice.",
        "action": "Resume the campaign later; if it keeps happening, lower the calls per minute.",
    }


def _unreachable_reason(problem: Any, failures: int) -> dict[str, Any]:
    return {
        "code": "unreachable",
        "title": f"{problem.title} ({failures} tries in a row); paused — resume later",
        "explanation": f"{problem.explanation} Nothing was sent, so the rows left are still to call.",
        "action": problem.action,
    }


def _handed_back(row: ClaimedRow) -> RowResult:
    """A claimed row that never left: the claim does not count (a row sent before stays in doubt)."""
    state = jr.PENDING if row.attempts == 1 else jr.IN_DOUBT
    return RowResult(row.id, state, unsent=True, sent_before=row.sent_before)
