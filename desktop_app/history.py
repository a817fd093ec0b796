"""Call history: every attempt, in SQLite under the data dir.

Only what a person needs to review or redial a call is kept — time, profile, kind, numbers,
reference_id, outcome, problem code/title, unique_id. No secrets and no raw responses (those
could echo a secret back), so nothing here ever needs redacting.
"""

from __future__ import annotations

import csv
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import get_args

from desktop_app import config, storage
from desktop_app.api.models import CallKind, Outcome, OutcomeStatus

SCHEMA_VERSION = 1
STATUSES: tuple[str, ...] = get_args(OutcomeStatus)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    profile TEXT NOT NULL,
    kind TEXT NOT NULL,
    customer TEXT NOT NULL,
    agent TEXT NOT NULL DEFAULT '',
    reference_id TEXT NOT NULL,
    status TEXT NOT NULL,
    confirmed_by_duplicate INTEGER NOT NULL DEFAULT 0,
    http_status INTEGER,
    problem_code TEXT NOT NULL DEFAULT '',
    problem_title TEXT NOT NULL DEFAULT '',
    unique_id TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 1,
    source TEXT NOT NULL DEFAULT 'window',
    caller_id TEXT NOT NULL DEFAULT '',
    region TEXT NOT NULL DEFAULT '',
    route_group TEXT NOT NULL DEFAULT '',
    max_call_duration INTEGER
);
CREATE INDEX IF NOT EXISTS calls_reference ON calls(reference_id);
"""


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded attempt. Field order = column order of the table and of the CSV export."""

    id: int
    time: str  # UTC, ISO 8601
    profile: str
    kind: str  # CallKind value: user / anonymous / ivr
    customer: str
    agent: str  # user_id for a user dial, the agent's number for an anonymous dial, "" for IVR
    reference_id: str
    status: str  # accepted / rejected / failed
    confirmed_by_duplicate: bool
    http_status: int | None
    problem_code: str
    problem_title: str
    unique_id: str
    attempts: int
    source: str  # window / cli / campaign / link …
    caller_id: str
    region: str
    route_group: str
    max_call_duration: int | None

    @property
    def call_kind(self) -> CallKind:
        return CallKind(self.kind)

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.time)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(HistoryEntry))


def _agent_of(outcome: Outcome) -> str:
    request = outcome.request
    if request.kind is CallKind.USER:
        return request.user_id or ""
    if request.kind is CallKind.ANONYMOUS:
        return request.agent_number or ""
    return ""


def _row_for(outcome: Outcome, profile_name: str, source: str) -> dict[str, object]:
    request, problem = outcome.request, outcome.problem
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "profile": profile_name,
        "kind": request.kind.value,
        "customer": request.to,
        "agent": _agent_of(outcome),
        "reference_id": request.reference_id,
        "status": outcome.status,
        "confirmed_by_duplicate": int(outcome.confirmed_by_duplicate),
        "http_status": outcome.http_status,
        "problem_code": problem.code if problem else "",
        "problem_title": problem.title if problem else "",
        "unique_id": outcome.unique_id or "",
        "attempts": outcome.attempts,
        "source": source,
        "caller_id": request.caller_id or "",
        "region": request.region or "",
        "route_group": request.group or "",
        "max_call_duration": request.max_call_duration,
    }


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_SEARCHED = ("customer", "agent", "reference_id", "profile", "problem_code", "problem_title", "unique_id")
_NUMBER_PUNCTUATION = str.maketrans("", "", " -().\u00a0")


def _search_terms(search: str) -> list[str]:
    """The text as typed, plus its digits-only form so '98765 43210' finds '+919876543210'."""
    text = search.strip()
    compact = text.translate(_NUMBER_PUNCTUATION)
    looks_like_number = compact.lstrip("+").isdigit()
    return [text, compact] if looks_like_number and compact != text else [text]


class History:
    """The history database. Safe to use from worker threads (one connection behind a lock)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else config.history_path()
        self._lock = threading.Lock()
        # Private (0600), a damaged file moved aside with a notice, StorageError when it cannot be written.
        self._db: sqlite3.Connection | None = storage.open_sqlite(
            self.path,
            _set_up,
            what="The call history",
            check_same_thread=False,
            timeout=10.0,
            isolation_level=None,
        )

    # -- writing ----------------------------------------------------------------------------

    def record(self, outcome: Outcome, profile_name: str, source: str = "window") -> int:
        """Store one attempt; returns its id."""
        row = _row_for(outcome, profile_name, source)
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        with self._lock:
            cursor = self._conn().execute(f"INSERT INTO calls ({names}) VALUES ({marks})", row)
            return int(cursor.lastrowid or 0)

    def clear(self) -> int:
        """Delete every entry (the UI asks first); returns how many were deleted."""
        with self._lock:
            return self._conn().execute("DELETE FROM calls").rowcount

    # -- reading ----------------------------------------------------------------------------

    def entries(
        self, search: str = "", status: str | None = None, limit: int | None = 500
    ) -> list[HistoryEntry]:
        """Newest first; ``search`` matches numbers, reference_id, profile, unique_id and problem."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        where: list[str] = []
        params: list[object] = []
        if status:
            where.append("status = ?")
            params.append(status)
        terms = _search_terms(search)
        if terms[0]:
            matches = [f"{column} LIKE ? ESCAPE '\\'" for column in _SEARCHED for _ in terms]
            where.append("(" + " OR ".join(matches) + ")")
            params.extend(_like_pattern(term) for _ in _SEARCHED for term in terms)
        sql = f"SELECT {', '.join(COLUMNS)} FROM calls"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        with self._lock:
            rows = self._conn().execute(sql, params).fetchall()
        return [_entry(row) for row in rows]

    def get(self, entry_id: int) -> HistoryEntry | None:
        with self._lock:
            row = self._conn().execute(f"SELECT {', '.join(COLUMNS)} FROM calls WHERE id = ?", (entry_id,))
            found = row.fetchone()
        return _entry(found) if found else None

    def count(self) -> int:
        with self._lock:
            return int(self._conn().execute("SELECT COUNT(*) FROM calls").fetchone()[0])

    def export_csv(self, path: Path | str, entries: Iterable[HistoryEntry] | None = None) -> int:
        """Write entries (default: all, newest first) as UTF-8 CSV with a header; returns rows written."""
        chosen = list(entries) if entries is not None else self.entries(limit=None)
        with storage.private_open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for entry in chosen:
                writer.writerow([_csv_cell(value) for value in astuple(entry)])
        return len(chosen)

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the history database is closed")
        return self._db


def _set_up(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_SCHEMA)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _entry(row: tuple) -> HistoryEntry:
    values = dict(zip(COLUMNS, row, strict=True))
    values["confirmed_by_duplicate"] = bool(values["confirmed_by_duplicate"])
    return HistoryEntry(**values)


def _csv_cell(value: object) -> object:
    """Keep spreadsheets from running a cell as a formula; E.164 numbers stay as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    risky = text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not text[1:].isdigit())
    return "'" + text if risky else value
