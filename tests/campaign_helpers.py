"""Shared helpers for the campaign tests: a fake clock, campaign creation, exactly-once checks."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from desktop_app.campaigns.checker import check_rows
from desktop_app.campaigns.importer import RawRow
from desktop_app.campaigns.journal import CampaignSettings, Journal
from desktop_app.campaigns.policy import Clock


class FakeClock(Clock):
    """Time that moves only when the code under test sleeps (or the test advances it)."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._offset = 0.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        with self._lock:
            return self._offset

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        if seconds <= 0 or (wake is not None and wake.is_set()):
            return
        with self._lock:
            self._offset += seconds
            self.sleeps.append(seconds)


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 27, hour, minute, tzinfo=timezone.utc)


def numbers(count: int, first: int = 0) -> list[str]:
    """Fictional Indian mobile numbers."""
    return [f"+9198765{first + i:05d}" for i in range(count)]


def make_campaign(phones: list[str], **settings: object) -> Path:
    rows = [RawRow(i + 1, phone, f"Contact {i + 1}") for i, phone in enumerate(phones)]
    checked = check_rows(rows, "IN")
    values: dict[str, object] = {"rate_per_min": 0, "concurrency": 4, "calling_window": "any"}
    values.update(settings)
    with Journal.create(checked, CampaignSettings(**values)) as journal:  # type: ignore[arg-type]
        return journal.path


def assert_exactly_once(server, journal_path: Path) -> None:
    """Every row accepted; the sandbox accepted each reference_id once; one reference_id per number."""
    with Journal(journal_path) as journal:
        rows = journal.rows(limit=1_000_000)
    assert [r.state for r in rows] == ["accepted"] * len(rows)
    accepted = server.accepted_calls
    assert Counter(call["reference_id"] for call in accepted).most_common(1)[0][1] == 1
    assert {c["reference_id"]: c["number"] for c in accepted} == {r.reference_id: r.number for r in rows}
    references_per_number: dict[str, set[str]] = defaultdict(set)
    for request in server.received:
        if isinstance(request.json, dict):
            references_per_number[request.json["number"]].add(request.json["reference_id"])
    assert all(len(refs) == 1 for refs in references_per_number.values())
    assert all(call["type"] == "2" for call in accepted)
