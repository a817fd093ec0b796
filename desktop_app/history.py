"""Call history: one row per intended call (reference_id), in SQLite under the data dir.

A re-send under the same reference_id ("Try again safely", ``--resend``, a campaign retry) updates
its row: the attempts and sends add up, the latest outcome stands (an accepted call stays accepted).

Only what a person needs to review or redial a call is kept — time, profile, kind, numbers,
reference_id, outcome, problem code/title, unique_id. No secrets and no raw responses (those
could echo a secret back), so nothing here ever needs redacting.
"""

from __future__ import annotations

import csv
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from desktop_app import config, storage
from desktop_app.api.models import CallKind, CallRequest, Outcome, OutcomeStatus

if TYPE_CHECKING:
    from desktop_app.call_results import CallResult
from desktop_app.csv_cells import csv_cell as _csv_cell

SCHEMA_VERSION = 3  # 2: one row per reference_id, with sends and updated; 3: call results
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
    max_call_duration INTEGER,
    sends INTEGER NOT NULL DEFAULT 1,
    updated TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '',
    talk_seconds INTEGER,
    agent_answered INTEGER,
    matched_by TEXT NOT NULL DEFAULT '',
    log_record TEXT NOT NULL DEFAULT '',
    recording TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS calls_customer ON calls(customer, kind);
"""
# Version 1 kept one row per send and had only a plain index on reference_id.
# Version 2 had no call results (what the call log says happened after "queued").
_ADDED_COLUMNS = {
    "sends": "INTEGER NOT NULL DEFAULT 1",
    "updated": "TEXT NOT NULL DEFAULT ''",
    "result": "TEXT NOT NULL DEFAULT ''",
    "talk_seconds": "INTEGER",
    "agent_answered": "INTEGER",
    "matched_by": "TEXT NOT NULL DEFAULT ''",
    "log_record": "TEXT NOT NULL DEFAULT ''",
    "recording": "TEXT NOT NULL DEFAULT ''",
}
_MERGE_DUPLICATES = """
UPDATE calls SET
    sends = (SELECT COUNT(*) FROM calls c WHERE c.reference_id = calls.reference_id),
    attempts = (SELECT SUM(c.attempts) FROM calls c WHERE c.reference_id = calls.reference_id),
    updated = (SELECT MAX(c.time) FROM calls c WHERE c.reference_id = calls.reference_id),
    (status, confirmed_by_duplicate, http_status, problem_code, problem_title, unique_id) = (
        SELECT c.status, c.confirmed_by_duplicate, c.http_status, c.problem_code, c.problem_title,
               c.unique_id
        FROM calls c WHERE c.reference_id = calls.reference_id
        ORDER BY c.status = 'accepted' DESC, c.id DESC LIMIT 1)
WHERE id IN (SELECT MIN(id) FROM calls GROUP BY reference_id HAVING COUNT(*) > 1);
DELETE FROM calls WHERE id NOT IN (SELECT MIN(id) FROM calls GROUP BY reference_id);
"""
_UNIQUE_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS calls_reference_once ON calls(reference_id)"
# The outcome of a re-send replaces the row's, except that an accepted call stays accepted: a later
# unknown answer cannot undo a call MyOperator already queued.
_OUTCOME_COLUMNS = ("status", "confirmed_by_duplicate", "http_status", "problem_code", "problem_title")
_UPSERT_UPDATE = ", ".join(
    [
        "updated = excluded.time",
        "attempts = calls.attempts + excluded.attempts",
        "sends = calls.sends + 1",
        "unique_id = CASE WHEN excluded.unique_id != '' THEN excluded.unique_id ELSE calls.unique_id END",
    ]
    + [
        f"{name} = CASE WHEN calls.status = 'accepted' THEN calls.{name} ELSE excluded.{name} END"
        for name in _OUTCOME_COLUMNS
    ]
)


@dataclass(frozen=True)
class HistoryEntry:
    """One intended call (one reference_id). Field order = column order of the table and the CSV."""

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
    attempts: int  # HTTP attempts over all sends
    source: str  # window / cli / campaign / link … (of the first send)
    caller_id: str
    region: str
    route_group: str
    max_call_duration: int | None
    sends: int = 1  # 1 + re-sends under the same reference_id
    updated: str = ""  # UTC, ISO 8601: the latest send ("" = the same as time)
    # From the call log (call_results): answered / missed / none; "" = not known (yet).
    result: str = ""
    talk_seconds: int | None = None
    agent_answered: bool | None = None
    matched_by: str = ""  # how the log record was matched, e.g. "number and time"
    log_record: str = ""  # the record's id: claimed, so no other call is matched to it
    recording: str = ""  # the recording's file name (answered calls): a fresh link on request

    @property
    def call_kind(self) -> CallKind:
        return CallKind(self.kind)

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.time)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @property
    def unknown(self) -> bool:
        """No answer says whether MyOperator queued it: a re-send must reuse the reference_id."""
        return self.status == "failed"

    @property
    def last_sent(self) -> datetime:
        return datetime.fromisoformat(self.updated or self.time)

    def request(self) -> CallRequest:
        """The call as it was sent (same reference_id), to re-send it safely."""
        kind = self.call_kind
        return CallRequest(
            kind=kind,
            to=self.customer,
            user_id=self.agent or None if kind is CallKind.USER else None,
            agent_number=self.agent or None if kind is CallKind.ANONYMOUS else None,
            reference_id=self.reference_id,
            caller_id=self.caller_id or None,
            region=self.region or None,
            group=self.route_group or None,
            max_call_duration=self.max_call_duration,
        )


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
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    return {
        "time": now,
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
        "sends": 1,
        "updated": now,
    }


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_SEARCHED = (
    "customer", "agent", "reference_id", "profile", "problem_code", "problem_title", "unique_id", "result",
)  # fmt: skip
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
        """Store one send; a re-send under a known reference_id updates that row. Returns its id."""
        row = _row_for(outcome, profile_name, source)
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        sql = (
            f"INSERT INTO calls ({names}) VALUES ({marks})"
            f" ON CONFLICT(reference_id) DO UPDATE SET {_UPSERT_UPDATE}"
        )
        with self._lock:  # no RETURNING: SQLite before 3.35 (older Linux Pythons) lacks it
            db = self._conn()
            db.execute(sql, row)
            found = db.execute("SELECT id FROM calls WHERE reference_id = ?", (row["reference_id"],))
            return int(found.fetchone()[0])

    def set_result(self, result: CallResult) -> None:
        """Store what the call log says about a call (only a settled result: answered/missed/none)."""
        if not result.known:
            return
        answered = None if result.agent_answered is None else int(result.agent_answered)
        with self._lock:
            self._conn().execute(
                "UPDATE calls SET result = ?, talk_seconds = ?, agent_answered = ?, matched_by = ?,"
                " log_record = ?, recording = ? WHERE reference_id = ?",
                (
                    result.result,
                    result.talk_seconds,
                    answered,
                    result.matched_by,
                    result.record_id,
                    result.recording,
                    result.reference_id,
                ),
            )

    def find(self, reference_id: str) -> HistoryEntry | None:
        with self._lock:
            sql = f"SELECT {', '.join(COLUMNS)} FROM calls WHERE reference_id = ?"
            found = self._conn().execute(sql, (reference_id,)).fetchone()
        return _entry(found) if found else None

    def waiting_for_results(self, profile: str, since: datetime) -> list[HistoryEntry]:
        """Accepted calls of ``profile`` since ``since`` whose result is not known yet, oldest first."""
        sql = (
            f"SELECT {', '.join(COLUMNS)} FROM calls WHERE profile = ? AND status = 'accepted'"
            " AND result = '' AND time >= ? ORDER BY id"
        )
        with self._lock:
            rows = self._conn().execute(sql, (profile, since.isoformat(timespec="milliseconds"))).fetchall()
        return [_entry(row) for row in rows]

    def claimed_records(self, since: datetime) -> set[str]:
        """Log record ids already given to a call (since ``since``): never matched to another."""
        sql = "SELECT log_record FROM calls WHERE log_record != '' AND time >= ?"
        with self._lock:
            rows = self._conn().execute(sql, (since.isoformat(timespec="milliseconds"),)).fetchall()
        return {row[0] for row in rows}

    def clear(self) -> int:
        """Delete every entry (the UI asks first); returns how many were deleted."""
        with self._lock:
            return self._conn().execute("DELETE FROM calls").rowcount

    # -- reading ----------------------------------------------------------------------------

    def entries(
        self,
        search: str = "",
        status: str | None = None,
        limit: int | None = 500,
        *,
        before_id: int | None = None,
    ) -> list[HistoryEntry]:
        """Newest first; ``search`` matches numbers, reference_id, profile, unique_id and problem.

        ``before_id`` pages on: the next ``limit`` entries older than that id (keyset paging, so a
        page costs the same at row 100,000 as at row 0).
        """
        where, params = _filters(search, status)
        if before_id is not None:
            where.append("id < ?")
            params.append(int(before_id))
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

    def last_call(self, kind: CallKind | str, customer: str) -> HistoryEntry | None:
        """The latest intended call to ``customer`` (E.164) in this mode, or None."""
        sql = f"SELECT {', '.join(COLUMNS)} FROM calls WHERE kind = ? AND customer = ? ORDER BY id DESC"
        with self._lock:
            found = self._conn().execute(sql + " LIMIT 1", (CallKind(kind).value, customer)).fetchone()
        return _entry(found) if found else None

    def count(self, search: str = "", status: str | None = None) -> int:
        """How many entries match (all of them without a search or filter)."""
        where, params = _filters(search, status)
        sql = "SELECT COUNT(*) FROM calls" + (" WHERE " + " AND ".join(where) if where else "")
        with self._lock:
            return int(self._conn().execute(sql, params).fetchone()[0])

    def export_csv(
        self,
        path: Path | str,
        entries: Iterable[HistoryEntry] | None = None,
        *,
        search: str = "",
        status: str | None = None,
    ) -> int:
        """Write entries (default: every match of ``search``/``status``, newest first) as UTF-8 CSV
        with a header; returns rows written.

        The matches stream from a read-only connection of their own, so a large export holds
        neither all rows in memory nor the lock that recording a call's outcome needs.
        """
        with storage.private_open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            written = 0
            for row in self._rows(search, status) if entries is None else map(astuple, entries):
                writer.writerow([_csv_cell(value) for value in row])
                written += 1
        return written

    def _rows(self, search: str, status: str | None) -> Iterator[tuple]:
        where, params = _filters(search, status)
        sql = f"SELECT {', '.join(COLUMNS)} FROM calls"
        sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
        reader = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            cursor = reader.execute(sql, params)
            while batch := cursor.fetchmany(1000):
                for row in batch:
                    yield _entry_values(row)
        finally:
            reader.close()

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
    _migrate(db)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring an older database to this schema; duplicate reference_id rows are merged into one."""
    if db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        present = {row[1] for row in db.execute("PRAGMA table_info(calls)")}
        for name, declaration in _ADDED_COLUMNS.items():
            if name not in present:
                db.execute(f"ALTER TABLE calls ADD COLUMN {name} {declaration}")
        db.execute(_MERGE_DUPLICATES.split(";")[0])
        db.execute(_MERGE_DUPLICATES.split(";")[1])
        db.execute("UPDATE calls SET updated = time WHERE updated = ''")
        db.execute("DROP INDEX IF EXISTS calls_reference")
        db.execute(_UNIQUE_INDEX)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


_CONFIRMED = COLUMNS.index("confirmed_by_duplicate")
_AGENT_ANSWERED = COLUMNS.index("agent_answered")


def _entry_values(row: tuple) -> tuple:
    """A table row with its values as ``HistoryEntry`` holds them (the flags as bools)."""
    values = list(row)
    values[_CONFIRMED] = bool(values[_CONFIRMED])
    values[_AGENT_ANSWERED] = None if values[_AGENT_ANSWERED] is None else bool(values[_AGENT_ANSWERED])
    return tuple(values)


def _entry(row: tuple) -> HistoryEntry:
    return HistoryEntry(*_entry_values(row))


def _filters(search: str, status: str | None) -> tuple[list[str], list[object]]:
    """The WHERE clauses (and their parameters) for a search text and an outcome filter."""
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
    return where, params
