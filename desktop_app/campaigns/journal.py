"""The campaign journal: one SQLite file per campaign, the single source of truth for every row.

Exactly-once rests on two writes made durable (WAL, ``synchronous=FULL``) *before* anything goes
on the wire: each row's ``reference_id`` is stored when the campaign is created, and a row is
marked ``sending`` before its request leaves. A row found in ``sending`` after a crash is
``in_doubt``: it is re-sent only with its own reference_id, so MyOperator refuses a second copy
("already taken"), which then counts as accepted. No secrets are stored here.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from desktop_app import storage
from desktop_app.api.models import new_reference_id
from desktop_app.campaigns.checker import CheckResult, RejectedRow
from desktop_app.campaigns.policy import (
    DEFAULT_CONCURRENCY,
    DEFAULT_RATE_PER_MIN,
    DEFAULT_WINDOW,
    time_zones_for,
)
from desktop_app.config import campaigns_dir
from desktop_app.csv_cells import csv_cell

SCHEMA_VERSION = 1
# MyOperator refuses a repeated reference_id for about 48 h (a guess, see the API notes); a row in
# doubt is re-sent only well inside that window.
DOUBT_MAX_AGE_S = 24 * 3600.0
_EXPIRED_TEXT = (
    "Sent more than a day ago without a clear answer. Not sent again, because MyOperator may no longer "
    "recognise the reference id and the customer could be called twice. Check the call log."
)

PENDING, SENDING, IN_DOUBT, RETRY = "pending", "sending", "in_doubt", "retry"
ACCEPTED, REJECTED, FAILED = "accepted", "rejected", "failed"
SENDABLE = (IN_DOUBT, RETRY, PENDING)  # claim order: settle doubts first
FINAL_STATES = (ACCEPTED, REJECTED, FAILED)
ROW_STATES = (PENDING, SENDING, IN_DOUBT, RETRY, ACCEPTED, REJECTED, FAILED)

# Campaign status (what the campaign as a whole is doing or why it stopped).
READY, RUNNING, WAITING, PAUSED, BLOCKED, CANCELLED, FINISHED = (
    "ready",
    "running",
    "waiting",
    "paused",
    "blocked",
    "cancelled",
    "finished",
)
# Shown, never stored: the journal says running/waiting but no process holds the campaign's lock
# (the run was killed or the computer went off). ``resume`` continues it.
STOPPED = "stopped"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    id INTEGER PRIMARY KEY,
    line INTEGER NOT NULL,
    number TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    zones TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    reference_id TEXT NOT NULL UNIQUE,
    problem_code TEXT,
    problem TEXT,
    http_status INTEGER,
    unique_id TEXT,
    confirmed_by_duplicate INTEGER NOT NULL DEFAULT 0,
    next_at REAL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rows_by_state ON rows(state, id);
-- What the call log says about accepted rows (call_results), by reference_id. A table of its own:
-- journals made before it get it when opened, and a row's own record never changes for it.
CREATE TABLE IF NOT EXISTS results (
    reference_id TEXT PRIMARY KEY,
    result TEXT NOT NULL,
    talk_seconds INTEGER,
    agent_answered INTEGER,
    matched_by TEXT NOT NULL DEFAULT '',
    log_record TEXT NOT NULL DEFAULT '',
    recording TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS rejected (
    line INTEGER NOT NULL,
    raw TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""


class JournalError(RuntimeError):
    """The journal cannot be opened or is in use by another run."""


class DamagedJournalError(JournalError):
    """The journal could not be read and was set aside (kept, dated); nothing more is dialled from it."""


def utc_stamp(epoch: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_campaign_id() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


@dataclass
class CampaignSettings:
    """What a campaign remembers so that ``resume`` runs it the same way. No secrets."""

    profile: str = ""
    column: str = ""
    rate_per_min: float = DEFAULT_RATE_PER_MIN
    concurrency: int = DEFAULT_CONCURRENCY
    calling_window: str = DEFAULT_WINDOW
    default_region: str = "IN"
    source: str = ""
    api_url: str = ""  # where the calls went; informational (the profile decides on resume)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CampaignSettings:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    id: int
    number: str
    reference_id: str
    attempts: int  # including the send being started now
    label: str = ""
    sent_before: str | None = None  # sent_at before this claim, restored if nothing is sent


@dataclass(frozen=True, slots=True)
class RowResult:
    """What the runner learnt about one send; written back in batches."""

    row_id: int
    state: str
    problem_code: str | None = None
    problem: str | None = None
    http_status: int | None = None
    unique_id: str | None = None
    confirmed_by_duplicate: bool = False
    next_at: float | None = None
    unsent: bool = False  # claimed but handed back before sending: the claim did not count
    sent_before: str | None = None  # with ``unsent``: the row's sent_at as it was before the claim


@dataclass(frozen=True, slots=True)
class RowView:
    id: int
    line: int
    number: str
    label: str
    state: str
    attempts: int
    reference_id: str
    problem_code: str | None
    problem: str | None
    unique_id: str | None
    sent_at: str | None
    updated_at: str
    result: str = ""  # from the call log: answered / missed / none ("" = not known)


ROW_COLUMNS = (
    "id, line, number, label, state, attempts, reference_id, problem_code, problem, unique_id, "
    "sent_at, updated_at, COALESCE(result, '')"
)
ROWS_WITH_RESULTS = "rows LEFT JOIN results USING (reference_id)"


@dataclass
class Summary:
    id: str
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    excluded: int = 0
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    pending: int = 0
    states: dict[str, int] = field(default_factory=dict)
    status: str = READY
    status_reason: dict[str, Any] | None = None
    created_at: str = ""
    source: str = ""
    # From the call log (with the profile's API token): accepted rows answered, missed, or with no
    # record after the wait; the rest of the accepted rows are still waiting for a result.
    answered: int = 0
    missed: int = 0
    no_result: int = 0

    @property
    def complete(self) -> bool:
        """Every valid row reached a final state."""
        return self.pending == 0

    def to_json(self) -> dict[str, Any]:
        """The CLI's summary object: exactly the fields the spec names."""
        keys = ("id", "rows", "valid", "invalid", "duplicates", "excluded")
        keys += ("accepted", "rejected", "failed", "pending")
        data: dict[str, Any] = {k: getattr(self, k) for k in keys}
        data["results"] = {"answered": self.answered, "missed": self.missed, "none": self.no_result}
        return data


class Journal:
    """One campaign's SQLite file. Use from one thread at a time (each thread opens its own)."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        if not create and not path.is_file():
            raise JournalError(f"No campaign journal at {path}.")
        self.path = path
        self.id = path.stem
        try:
            self._db = _open_db(path, must_exist=not create)
        except FileNotFoundError:  # set aside as damaged by another reader since the check above
            raise JournalError(f"No campaign journal at {path}.") from None

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        checked: CheckResult,
        settings: CampaignSettings,
        *,
        directory: Path | None = None,
        campaign_id: str | None = None,
    ) -> Journal:
        """Write every row with its reference_id (generated here, once) in one transaction."""
        directory = directory or campaigns_dir()
        campaign_id = campaign_id or new_campaign_id()
        path = directory / f"{campaign_id}.sqlite3"
        if path.exists():
            raise JournalError(f"Campaign {campaign_id} already exists.")
        journal = cls(path, create=True)
        now = utc_stamp()
        summary = checked.summary()
        with journal.transaction() as db:
            meta = {
                "schema": SCHEMA_VERSION,
                "id": campaign_id,
                "created_at": now,
                "settings": settings.to_dict(),
                "status": READY,
                "status_reason": None,
                "counts": summary,
            }
            db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
            zones_cache: dict[str, str] = {}
            db.executemany(
                "INSERT INTO rows (line, number, label, zones, state, reference_id, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        r.line,
                        r.e164,
                        r.label,
                        _zones_text(r.e164, zones_cache),
                        PENDING,
                        new_reference_id(),
                        now,
                        now,
                    )
                    for r in checked.valid
                ),
            )
            db.executemany(
                "INSERT INTO rejected VALUES (?, ?, ?, ?, ?)",
                ((r.line, r.raw, r.label, r.kind, r.reason) for r in checked.rejected),
            )
        return journal

    @classmethod
    def open(cls, campaign_id: str, directory: Path | None = None) -> Journal:
        directory = directory or campaigns_dir()
        path = directory / f"{campaign_id}.sqlite3"
        try:
            return cls(path)
        except DamagedJournalError:
            raise
        except JournalError:
            if path.is_file():
                raise
        # Gone: never there, or set aside as damaged (perhaps just now, by another thread's read).
        damaged = _damaged_copies(directory, campaign_id)
        if damaged:
            raise DamagedJournalError(_damaged_words(campaign_id, damaged[-1]))
        known = ", ".join(list_ids(directory)[-5:]) or "none yet"
        raise JournalError(f"There is no campaign {campaign_id!r} (recent: {known}).")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- meta ------------------------------------------------------------------------------------

    def _meta(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def _set_meta(self, **values: Any) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in values.items()]
            )

    @property
    def settings(self) -> CampaignSettings:
        return CampaignSettings.from_dict(self._meta("settings", {}))

    def save_settings(self, settings: CampaignSettings) -> None:
        self._set_meta(settings=settings.to_dict())

    @property
    def status(self) -> str:
        return self._meta("status", READY)

    @property
    def status_reason(self) -> dict[str, Any] | None:
        return self._meta("status_reason")

    def live_status(self) -> str:
        """The stored status, except STOPPED when it claims to run but no process holds the lock."""
        status = self.status
        if status in (RUNNING, WAITING) and not RunLock.held(self.path):
            return STOPPED
        return status

    def set_status(self, status: str, reason: dict[str, Any] | None = None) -> None:
        self._set_meta(status=status, status_reason=reason)

    # -- the runner's side ---------------------------------------------------------------------

    def recover_in_doubt(self) -> int:
        """Rows left in 'sending' by a run that died: their outcome is unknown."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE rows SET state = ?, problem_code = 'interrupted', "
                "problem = 'The app stopped while this call was being sent; it will be re-sent with the "
                "same reference id, so it cannot ring twice.', updated_at = ? WHERE state = ?",
                (IN_DOUBT, utc_stamp(), SENDING),
            )
            return cursor.rowcount

    def expire_doubts(self, now_epoch: float, max_age_s: float = DOUBT_MAX_AGE_S) -> int:
        """Rows in doubt whose last send is too old for MyOperator to still refuse a copy.

        Re-sending them could ring the customer a second time, so they end as 'failed' instead.
        """
        cutoff = utc_stamp(now_epoch - max_age_s)
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE rows SET state = ?, problem_code = 'doubt_expired', problem = ?, updated_at = ? "
                "WHERE state = ? AND sent_at IS NOT NULL AND sent_at < ?",
                (FAILED, _EXPIRED_TEXT, utc_stamp(), IN_DOUBT, cutoff),
            )
            return cursor.rowcount

    def bring_forward(self, latest_epoch: float, now_epoch: float) -> int:
        """Rows due later than ``latest_epoch`` become due at ``now_epoch``.

        Earlier versions stored a Retry-After of days, or inf, as the next try; such a row would
        never be sent and its campaign would wait forever.
        """
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE rows SET next_at = ? WHERE state IN (?, ?) AND next_at > ?",
                (now_epoch, RETRY, IN_DOUBT, latest_epoch),
            )
            return cursor.rowcount

    def claim(
        self, limit: int, now_epoch: float, open_zones: Sequence[str] | None = None
    ) -> list[ClaimedRow]:
        """Mark up to ``limit`` sendable rows as 'sending' (durably) and return them.

        ``open_zones`` (zone strings as stored) restricts to recipients inside the calling window;
        None means no window.
        """
        if limit <= 0 or (open_zones is not None and not open_zones):
            return []
        zone_clause, zone_args = "", []
        if open_zones is not None:
            zone_clause = f" AND zones IN ({','.join('?' * len(open_zones))})"
            zone_args = list(open_zones)
        picked: list[tuple] = []
        with self.transaction() as db:
            for state in SENDABLE:
                if len(picked) >= limit:
                    break
                due = " AND (next_at IS NULL OR next_at <= ?)" if state != PENDING else ""
                args: list[Any] = [state, *zone_args] + ([now_epoch] if due else [])
                picked += db.execute(
                    "SELECT id, number, reference_id, attempts, label, sent_at FROM rows "
                    f"WHERE state = ?{zone_clause}"
                    f"{due} ORDER BY id LIMIT ?",
                    [*args, limit - len(picked)],
                ).fetchall()
            if picked:
                stamp = utc_stamp()
                db.executemany(
                    "UPDATE rows SET state = ?, attempts = attempts + 1, sent_at = ?, updated_at = ? "
                    "WHERE id = ?",
                    [(SENDING, stamp, stamp, row[0]) for row in picked],
                )
        return [ClaimedRow(r[0], r[1], r[2], r[3] + 1, r[4], r[5]) for r in picked]

    def record(self, results: Iterable[RowResult]) -> None:
        """Write outcomes. Not fsynced: an outcome lost to power failure leaves its row 'sending',
        i.e. in doubt, and the re-send with the same reference_id settles it."""
        stamp = utc_stamp()
        done, unsent = [], []
        for r in results:
            if r.unsent:
                # sent_at goes back too: it dates the last real send, which decides when a row in
                # doubt is too old to re-send (expire_doubts).
                unsent.append((r.state, r.sent_before, stamp, r.row_id))
                continue
            done.append(
                (
                    r.state,
                    r.problem_code,
                    r.problem,
                    r.http_status,
                    r.unique_id,
                    int(r.confirmed_by_duplicate),
                    r.next_at,
                    stamp,
                    r.row_id,
                )
            )
        if not done and not unsent:
            return
        self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            with self.transaction() as db:
                db.executemany(
                    "UPDATE rows SET state = ?, problem_code = ?, problem = ?, http_status = ?, "
                    "unique_id = COALESCE(?, unique_id), confirmed_by_duplicate = ?, next_at = ?, "
                    "updated_at = ? WHERE id = ?",
                    done,
                )
                db.executemany(
                    "UPDATE rows SET state = ?, attempts = attempts - 1, sent_at = ?, updated_at = ? "
                    "WHERE id = ?",
                    unsent,
                )
        finally:
            self._db.execute("PRAGMA synchronous=FULL")

    def sendable_zones(self) -> list[str]:
        """Distinct zone strings among rows still to send (a handful, whatever the row count)."""
        marks = ",".join("?" * len(SENDABLE))
        return [
            r[0]
            for r in self._db.execute(f"SELECT DISTINCT zones FROM rows WHERE state IN ({marks})", SENDABLE)
        ]

    def next_retry_at(self) -> float | None:
        row = self._db.execute(
            "SELECT MIN(next_at) FROM rows WHERE state IN (?, ?) AND next_at IS NOT NULL", (RETRY, IN_DOUBT)
        ).fetchone()
        return row[0] if row else None

    def has_undue_rows(self, now_epoch: float) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM rows WHERE state IN (?, ?) AND next_at > ? LIMIT 1", (RETRY, IN_DOUBT, now_epoch)
        ).fetchone()
        return row is not None

    # -- reading -------------------------------------------------------------------------------

    def state_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ROW_STATES, 0)
        for state, count in self._db.execute("SELECT state, COUNT(*) FROM rows GROUP BY state"):
            counts[state] = count
        return counts

    def summary(self) -> Summary:
        counts = self._meta("counts", {}) or {}
        states = self.state_counts()
        settings = self.settings
        return Summary(
            id=self.id,
            rows=int(counts.get("rows", 0)),
            valid=int(counts.get("valid", 0)),
            invalid=int(counts.get("invalid", 0)),
            duplicates=int(counts.get("duplicates", 0)),
            excluded=int(counts.get("excluded", 0)),
            accepted=states[ACCEPTED],
            rejected=states[REJECTED],
            failed=states[FAILED],
            pending=sum(states[s] for s in (*SENDABLE, SENDING)),
            states=states,
            status=self.live_status(),
            status_reason=self.status_reason,
            created_at=self._meta("created_at", ""),
            source=settings.source,
            **self.result_counts(),
        )

    # -- call results (call_results) --------------------------------------------------------------

    def result_counts(self) -> dict[str, int]:
        counts = dict(self._db.execute("SELECT result, COUNT(*) FROM results GROUP BY result").fetchall())
        return {"answered": counts.get("answered", 0), "missed": counts.get("missed", 0),
                "no_result": counts.get("none", 0)}  # fmt: skip

    def waiting_for_results(self) -> list[tuple[str, str, str]]:
        """Accepted rows without a result: (reference_id, number, sent_at), oldest first."""
        sql = (
            "SELECT rows.reference_id, number, COALESCE(sent_at, updated_at) FROM rows"
            " LEFT JOIN results ON results.reference_id = rows.reference_id"
            " WHERE state = ? AND results.reference_id IS NULL ORDER BY rows.id"
        )
        return [tuple(r) for r in self._db.execute(sql, (ACCEPTED,))]  # type: ignore[misc]

    def set_result(self, result: Any) -> None:
        """Store a settled ``call_results.CallResult`` for one of this campaign's rows."""
        if not result.known:
            return
        answered = None if result.agent_answered is None else int(result.agent_answered)
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                (result.reference_id, result.result, result.talk_seconds, answered, result.matched_by,
                 result.record_id, result.recording),
            )  # fmt: skip

    def claimed_records(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT log_record FROM results WHERE log_record != ''")}

    def result_of(self, reference_id: str) -> str:
        found = self._db.execute("SELECT result FROM results WHERE reference_id = ?", (reference_id,))
        row = found.fetchone()
        return row[0] if row else ""

    def rows(
        self, state: str | None = None, search: str = "", offset: int = 0, limit: int = 1000
    ) -> list[RowView]:
        where, args = _row_filter(state, search)
        sql = f"SELECT {ROW_COLUMNS} FROM {ROWS_WITH_RESULTS}{where} ORDER BY id LIMIT ? OFFSET ?"
        return [RowView(*r) for r in self._db.execute(sql, [*args, limit, offset])]

    def count_rows(self, state: str | None = None, search: str = "") -> int:
        where, args = _row_filter(state, search)
        return self._db.execute(f"SELECT COUNT(*) FROM rows{where}", args).fetchone()[0]

    def row_ids(self, state: str | None = None, search: str = "") -> list[int]:
        where, args = _row_filter(state, search)
        return [r[0] for r in self._db.execute(f"SELECT id FROM rows{where} ORDER BY id", args)]

    def rows_by_ids(self, ids: Sequence[int]) -> list[RowView]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        found = {
            r[0]: RowView(*r)
            for r in self._db.execute(
                f"SELECT {ROW_COLUMNS} FROM {ROWS_WITH_RESULTS} WHERE id IN ({marks})", ids
            )
        }
        return [found[i] for i in ids if i in found]

    def rejected_rows(self) -> list[RejectedRow]:
        return [
            RejectedRow(*r) for r in self._db.execute("SELECT line, raw, label, kind, reason FROM rejected")
        ]

    def export_csv(self, path: str | Path) -> int:
        """Every row with its outcome, then the rows left out at import (UTF-8 with BOM, for Excel).

        Cells that a spreadsheet would run as a formula (a label "=HYPERLINK(…)") are defused.
        """
        columns = (
            "line",
            "number",
            "label",
            "state",
            "attempts",
            "reference_id",
            "unique_id",
            "problem_code",
            "problem",
            "sent_at",
            "updated_at",
            "result",
        )
        count = 0
        with storage.private_open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            query = (
                "SELECT line, number, label, state, attempts, reference_id, unique_id, problem_code, "
                f"problem, sent_at, updated_at, COALESCE(result, '') FROM {ROWS_WITH_RESULTS} ORDER BY id"
            )
            for row in self._db.execute(query):
                writer.writerow([csv_cell(v) for v in row])
                count += 1
            for r in self.rejected_rows():
                cells = (r.line, r.raw, r.label, r.kind, 0, "", "", r.kind, r.reason, "", "", "")
                writer.writerow([csv_cell(v) for v in cells])
                count += 1
        return count


def _row_filter(state: str | None, search: str) -> tuple[str, list[Any]]:
    clauses, args = [], []
    if state == "open":  # everything not final yet
        clauses.append(f"state IN ({','.join('?' * 4)})")
        args += [*SENDABLE, SENDING]
    elif state:
        clauses.append("state = ?")
        args.append(state)
    if search.strip():
        clauses.append("(number LIKE ? OR label LIKE ? OR reference_id LIKE ?)")
        args += [f"%{search.strip()}%"] * 3
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def _zones_text(e164: str, cache: dict[str, str]) -> str:
    """Zone names joined by ';' (cached on the leading digits, which decide the zone)."""
    key = e164[:10]
    found = cache.get(key)
    if found is None:
        found = cache[key] = ";".join(time_zones_for(e164))
    return found


def zones_of(text: str) -> tuple[str, ...]:
    return tuple(z for z in text.split(";") if z)


def list_ids(directory: Path | None = None) -> list[str]:
    """Campaign ids, oldest first (ids start with their UTC creation time)."""
    directory = directory or campaigns_dir()
    return sorted(p.stem for p in directory.glob("*.sqlite3"))


def list_summaries(directory: Path | None = None) -> list[Summary]:
    """Every campaign, a damaged one with status 'damaged' (and the words in status_reason)."""
    directory = directory or campaigns_dir()
    found: dict[str, Summary] = {}
    for path in directory.glob("*.sqlite3.damaged-*"):
        if not path.name.endswith(("-wal", "-shm", "-journal")):
            campaign_id = path.name.split(".sqlite3.", 1)[0]
            found[campaign_id] = _damaged_summary(campaign_id, path)
    for campaign_id in list_ids(directory):
        try:
            with Journal.open(campaign_id, directory) as journal:
                found[campaign_id] = journal.summary()
        except JournalError as error:
            aside = _damaged_copies(directory, campaign_id)
            if aside:
                found[campaign_id] = _damaged_summary(campaign_id, aside[-1], str(error))
        except sqlite3.Error:
            continue  # busy or locked right now: listed next time
    return [found[k] for k in sorted(found)]


# -- damaged journals (moved aside, never started afresh: that would dial the list again) --------

DAMAGED = "damaged"


def _open_db(path: Path, *, must_exist: bool = False) -> sqlite3.Connection:
    try:
        return storage.open_sqlite(
            path,
            _set_up,
            what="A campaign journal",
            fresh_if_damaged=False,
            must_exist=must_exist,
            isolation_level=None,
            check_same_thread=False,
            timeout=30,
        )
    except storage.DamagedStoreError as error:
        raise DamagedJournalError(_damaged_words(path.stem, error.aside, error.reason)) from error


def _set_up(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")  # a committed 'sending' survives power loss
    db.executescript(_SCHEMA)


def _damaged_copies(directory: Path, campaign_id: str) -> list[Path]:
    copies = directory.glob(f"{campaign_id}.sqlite3.damaged-*")
    return sorted(p for p in copies if not p.name.endswith(("-wal", "-shm", "-journal")))


def _damaged_words(campaign_id: str, aside: Path, reason: str = "") -> str:
    why = f" ({reason})" if reason else ""
    return (
        f"Campaign {campaign_id} is damaged: its journal could not be read{why} and was kept as {aside}. "
        "Nothing more is dialled from it. Check History for the calls it placed, then import the rows "
        "still to call as a new campaign."
    )


def _damaged_summary(campaign_id: str, aside: Path, words: str = "") -> Summary:
    reason = {"title": "damaged", "detail": words or _damaged_words(campaign_id, aside), "path": str(aside)}
    return Summary(id=campaign_id, status=DAMAGED, status_reason=reason)


class RunLock:
    """One run per campaign at a time, across processes. The OS drops the lock if the process dies."""

    def __init__(self, journal_path: Path) -> None:
        self.path = journal_path.with_suffix(".lock")
        self._file: Any = None

    def acquire(self) -> None:
        handle = storage.private_open(self.path, "a+")
        try:
            _lock_patiently(handle)
        except OSError as exc:
            handle.close()
            raise JournalError(
                f"Campaign {self.path.stem} is already running in another window or terminal."
            ) from exc
        self._file = handle

    @staticmethod
    def held(journal_path: Path) -> bool:
        """Whether a live process (this one included) runs the campaign now. Never creates a file.

        The probe takes the lock for an instant; ``acquire`` waits a moment for it, so a status
        check at the very moment a run starts cannot make that run fail.
        """
        path = journal_path.with_suffix(".lock")
        try:
            handle = path.open("r+")
        except FileNotFoundError:
            return False
        except OSError:  # cannot tell: keep what the journal says
            return True
        try:
            _lock_file(handle)
        except OSError:
            return True
        else:
            with contextlib.suppress(OSError):
                _unlock_file(handle)
            return False
        finally:
            handle.close()

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                _unlock_file(self._file)
            self._file.close()
            self._file = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock_patiently(handle: Any, patience_s: float = 0.5) -> None:
    """Lock, waiting briefly when a ``RunLock.held`` probe has it; a real run holds it far longer."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            _lock_file(handle)
            return
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


if os.name == "nt":  # pragma: no cover - exercised on Windows CI only
    import msvcrt

    def _lock_file(handle: Any) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock_file(handle: Any) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
