"""Whether each accepted call was answered, from the company's call log (``api.logs``).

MyOperator's OBD API only says "queued". The log, read with the API token, shows what happened, but
nothing in it is known to carry the OBD call's ids for sure. So (shared/myoperator-api.md, "Matching
a log to an OBD request"):

1. a record whose ``_cri`` is the call's reference_id is that call's ("matched by Reference ID");
2. otherwise an outgoing record to the same customer (last 10 digits), by the same agent for a
   user dial, that started no earlier than ``START_SLACK_S`` before the call was accepted; of those,
   the earliest not claimed by another call. Newer calls choose first, so a record that started
   after a later call to the same number was accepted is never given to the earlier one.

A call with no record after ``wait_s`` is "none" (no result in the call log), never "missed".
``ResultPoller`` asks gently: one request per ``min_interval_s`` per profile, one query (pages of
100, one page per request) for every call waiting, and longer pauses after errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from desktop_app.api.logs import LogRecord, LogsClient, LogsError, last_digits, unique

if TYPE_CHECKING:
    from desktop_app.history import HistoryEntry

ResultKind = Literal["answered", "missed", "none", "pending"]
START_SLACK_S = 30  # a log's start time can be seconds before our acceptance (clocks differ)
DEFAULT_WAIT_S = 30 * 60  # how long a call may take to appear in the log before it is "none"
MIN_INTERVAL_S = 10.0  # at most one logs request per this many seconds per profile
MAX_BACKOFF_S = 300.0
MAX_PAGES_PER_SWEEP = 20  # 2,000 records: beyond that the window is too wide to be a few calls


@dataclass(frozen=True)
class WaitingCall:
    """An accepted call whose result is not known yet."""

    reference_id: str
    customer: str  # E.164
    kind: str  # CallKind value
    agent_user_id: str = ""  # for a user dial
    accepted_at: float = 0.0  # UTC unix seconds


@dataclass(frozen=True)
class CallResult:
    reference_id: str
    result: ResultKind
    talk_seconds: int | None = None
    agent_answered: bool | None = None
    matched_by: str = ""  # "Reference ID", "number and time", "number, agent and time"
    record_id: str = ""
    recording: str = ""  # the recording's file name (answered calls), for a fresh link

    @property
    def known(self) -> bool:
        return self.result in ("answered", "missed", "none")

    @classmethod
    def from_entry(cls, entry: HistoryEntry) -> CallResult:
        """The result stored in history ("pending" when none is stored yet)."""
        result = entry.result if entry.result in ("answered", "missed", "none") else "pending"
        return cls(
            entry.reference_id,
            result,  # type: ignore[arg-type]
            entry.talk_seconds,
            entry.agent_answered,
            entry.matched_by,
            entry.log_record,
            entry.recording,
        )

    def short_words(self) -> str:
        """For a table cell or list: 'Answered · 0:42', 'Missed (agent)', 'No result in the log'."""
        if self.result == "answered":
            return f"Answered · {_clock(self.talk_seconds)}" if self.talk_seconds else "Answered"
        if self.result == "missed":
            return "Missed (agent)" if self.agent_answered is False else "Missed (customer)"
        return {"none": "No result in the log", "pending": ""}[self.result]

    def words(self) -> str:
        """One line for a person: 'Answered · talked 0:42 · matched by number and time'."""
        if self.result == "pending":
            return "Waiting for the call log…"
        if self.result == "none":
            return "No result in the call log"
        if self.result == "answered":
            talk = f" · talked {_clock(self.talk_seconds)}" if self.talk_seconds else ""
            head = f"Answered{talk}"
        elif self.agent_answered is False:
            head = "Missed: the agent did not answer"
        else:
            head = "Missed: the customer did not answer"
        return f"{head} · matched by {self.matched_by}" if self.matched_by else head

    def to_json(self) -> dict[str, object]:
        return {
            "reference_id": self.reference_id,
            "result": self.result,
            "talk_seconds": self.talk_seconds,
            "agent_answered": self.agent_answered,
            "matched_by": self.matched_by or None,
            "has_recording": bool(self.recording),
        }


def _clock(seconds: int | None) -> str:
    seconds = seconds or 0
    return f"{seconds // 60}:{seconds % 60:02d}"


def _result_of(call: WaitingCall, record: LogRecord, matched_by: str) -> CallResult:
    answered = bool(record.answered) if record.answered is not None else bool(record.filename)
    return CallResult(
        reference_id=call.reference_id,
        result="answered" if answered else "missed",
        talk_seconds=record.talk_seconds if answered else 0,
        agent_answered=record.agent_answered,
        matched_by=matched_by,
        record_id=record.record_id,
        recording=record.filename if answered else "",
    )


def _fits(call: WaitingCall, record: LogRecord) -> bool:
    if not record.outgoing or record.customer_digits != last_digits(call.customer):
        return False
    if call.kind == "user" and call.agent_user_id and call.agent_user_id.lower() not in record.agents:
        return False
    return record.start_time >= call.accepted_at - START_SLACK_S


def match(
    waiting: Sequence[WaitingCall], records: Iterable[LogRecord], claimed: Iterable[str] = ()
) -> dict[str, CallResult]:
    """The records that belong to ``waiting`` calls; ``claimed``: record ids other calls already have."""
    taken = set(claimed)
    pool = [record for record in unique(records) if record.record_id not in taken]
    found: dict[str, CallResult] = {}
    by_reference = {record.cri: record for record in pool if record.cri}
    for call in waiting:
        record = by_reference.get(call.reference_id)
        if record is not None and record.record_id not in taken:
            found[call.reference_id] = _result_of(call, record, "Reference ID")
            taken.add(record.record_id)
    for call in sorted(waiting, key=lambda c: c.accepted_at, reverse=True):  # newest chooses first
        if call.reference_id in found:
            continue
        candidates = [r for r in pool if r.record_id not in taken and not r.cri and _fits(call, r)]
        if not candidates:
            continue
        record = min(candidates, key=lambda r: r.start_time)
        how = "number, agent and time" if call.kind == "user" and call.agent_user_id else "number and time"
        found[call.reference_id] = _result_of(call, record, how)
        taken.add(record.record_id)
    return found


@dataclass
class _Sweep:
    start: int
    end: int
    offset: int = 0
    records: list[LogRecord] = field(default_factory=list)


class ResultPoller:
    """Looks for waiting calls' records, one request per ``tick()`` at most every ``min_interval_s``.

    Qt-free: the window calls ``tick`` from a worker on a timer, the CLI in a loop. ``tick`` returns
    the results it could settle (answered, missed, or none after ``wait_s``).
    """

    def __init__(
        self,
        client: LogsClient,
        *,
        wait_s: float = DEFAULT_WAIT_S,
        min_interval_s: float = MIN_INTERVAL_S,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.wait_s = wait_s
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.sleep = sleep
        self.error: LogsError | None = None  # the last failure, until a request succeeds
        self.requests = 0
        self._next_at = 0.0
        self._backoff = min_interval_s
        self._sweep: _Sweep | None = None

    def due_in(self) -> float:
        return max(0.0, self._next_at - self.clock())

    def tick(self, waiting: Sequence[WaitingCall], claimed: Iterable[str] = ()) -> dict[str, CallResult]:
        """At most one request; the results settled by a finished sweep (else an empty dict)."""
        now = self.clock()
        if not waiting or now < self._next_at:
            return {}
        # Both ends widened by the slack: the log's clock may run seconds ahead of or behind ours.
        first = int(min(c.accepted_at for c in waiting))
        sweep = self._sweep or _Sweep(first - START_SLACK_S, int(now) + START_SLACK_S)
        self._sweep = sweep
        self._next_at = now + self.min_interval_s
        self.requests += 1
        try:
            total, page = self.client.search(sweep.start, sweep.end, offset=sweep.offset)
        except LogsError as error:
            self.error = error
            self._backoff = min(MAX_BACKOFF_S, self._backoff * 2)
            self._next_at = now + (MAX_BACKOFF_S if error.token else self._backoff)
            return {}
        self.error, self._backoff = None, self.min_interval_s
        sweep.records.extend(page)
        sweep.offset += len(page)
        pages = sweep.offset // max(1, len(page)) if page else MAX_PAGES_PER_SWEEP
        if page and sweep.offset < total and pages < MAX_PAGES_PER_SWEEP:
            return {}  # the next page with the next tick
        self._sweep = None
        return self._settle(waiting, sweep.records, claimed, now)

    def _settle(
        self, waiting: Sequence[WaitingCall], records: list[LogRecord], claimed: Iterable[str], now: float
    ) -> dict[str, CallResult]:
        found = match(waiting, records, claimed)
        for call in waiting:
            if call.reference_id not in found and now - call.accepted_at > self.wait_s:
                found[call.reference_id] = CallResult(call.reference_id, "none")
        return found

    def wait_for(self, call: WaitingCall, claimed: Iterable[str] = (), *, timeout_s: float) -> CallResult:
        """Poll for one call until it is settled or ``timeout_s`` passes ("pending" then)."""
        deadline = self.clock() + timeout_s
        while True:
            result = self.tick([call], claimed).get(call.reference_id)
            if result is not None:
                return result
            if self.clock() + self.due_in() > deadline:
                return CallResult(call.reference_id, "pending")
            self.sleep(max(0.05, self.due_in()))


def waiting_from(entry: HistoryEntry) -> WaitingCall:
    """The history entry of an accepted call, as the poller looks for it."""
    agent = entry.agent if entry.kind == "user" else ""
    return WaitingCall(entry.reference_id, entry.customer, entry.kind, agent, entry.when.timestamp())
