"""Call history: every attempt in SQLite, searchable, exportable, thread-safe, free of secrets."""

from __future__ import annotations

import csv
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.api import catalogue
from desktop_app.api.client import ObdClient
from desktop_app.api.models import CallKind, CallRequest, Outcome
from desktop_app.history import COLUMNS, SCHEMA_VERSION, History

AGENT_USER_ID = "a1b2c3d4e5f60718"


def accepted_user_dial(to: str = "+919876543210", reference_id: str = "ref-accepted-1") -> Outcome:
    request = CallRequest(CallKind.USER, to, user_id=AGENT_USER_ID, reference_id=reference_id)
    return Outcome("accepted", request, http_status=200, unique_id="uid-0001")


def rejected_anonymous_dial() -> Outcome:
    request = CallRequest(
        CallKind.ANONYMOUS, "+14155550123", agent_number="+442079460000", reference_id="ref-anon-2"
    )
    problem = catalogue.problem("anonymous_disabled")
    return Outcome("rejected", request, http_status=403, problem=problem)


def failed_ivr_call() -> Outcome:
    request = CallRequest(CallKind.IVR, "+442079460000", reference_id="ref-ivr-3", caller_id="+914012345678")
    return Outcome("failed", request, problem=catalogue.problem("timeout"), attempts=3)


@pytest.fixture
def history() -> Iterator[History]:
    with History() as opened:
        yield opened


@pytest.fixture
def three(history: History) -> History:
    history.record(accepted_user_dial(), "Acme")
    history.record(rejected_anonymous_dial(), "Beta", source="cli")
    history.record(failed_ivr_call(), "Acme", source="campaign")
    return history


def test_history_lives_under_the_data_dir_in_wal_mode(history: History, isolated_data_dir: Path) -> None:
    assert history.path.is_relative_to(isolated_data_dir)
    with sqlite3.connect(history.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_attempt_is_recorded_with_what_a_person_needs(history: History) -> None:
    entry_id = history.record(accepted_user_dial(), "Acme")
    entry = history.get(entry_id)
    assert entry is not None
    assert entry.profile == "Acme"
    assert entry.call_kind is CallKind.USER
    assert (entry.customer, entry.agent) == ("+919876543210", AGENT_USER_ID)
    assert (entry.reference_id, entry.unique_id) == ("ref-accepted-1", "uid-0001")
    assert (entry.status, entry.http_status, entry.problem_code) == ("accepted", 200, "")
    assert entry.source == "window"
    assert entry.when.utcoffset().total_seconds() == 0


def test_problems_agents_and_routing_are_kept(three: History) -> None:
    ivr, anonymous, _ = three.entries()
    assert anonymous.agent == "+442079460000"
    assert anonymous.problem_code == "anonymous_disabled"
    assert anonymous.problem_title == catalogue.problem("anonymous_disabled").title
    assert anonymous.http_status == 403
    assert ivr.agent == ""
    assert (ivr.status, ivr.attempts, ivr.http_status) == ("failed", 3, None)
    assert ivr.caller_id == "+914012345678"
    assert ivr.source == "campaign"


def test_entries_are_newest_first_and_limited(three: History) -> None:
    assert [e.reference_id for e in three.entries()] == ["ref-ivr-3", "ref-anon-2", "ref-accepted-1"]
    assert [e.reference_id for e in three.entries(limit=1)] == ["ref-ivr-3"]
    assert three.count() == 3


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("ref-anon", ["ref-anon-2"]),
        ("+14155550123", ["ref-anon-2"]),
        ("98765 43210", ["ref-accepted-1"]),  # typed with a space, stored as E.164
        ("+44 20 7946 0000", ["ref-ivr-3", "ref-anon-2"]),  # customer of one, agent of the other
        ("beta", ["ref-anon-2"]),
        ("timeout", ["ref-ivr-3"]),
        (catalogue.problem("anonymous_disabled").title[:12], ["ref-anon-2"]),
        ("uid-0001", ["ref-accepted-1"]),
        ("100%_", []),  # LIKE wildcards are taken literally
        ("", ["ref-ivr-3", "ref-anon-2", "ref-accepted-1"]),
    ],
)
def test_search_covers_numbers_references_profiles_and_problems(
    three: History, search: str, found: list[str]
) -> None:
    assert [e.reference_id for e in three.entries(search=search)] == found


def test_filter_by_outcome(three: History) -> None:
    assert [e.reference_id for e in three.entries(status="rejected")] == ["ref-anon-2"]
    assert [e.reference_id for e in three.entries(search="Acme", status="accepted")] == ["ref-accepted-1"]
    with pytest.raises(ValueError, match="accepted"):
        three.entries(status="queued")


def test_pages_follow_each_other_without_gap_or_repeat(history: History) -> None:
    for i in range(25):
        history.record(accepted_user_dial(f"+9198765{i:05d}", f"ref-page-{i}"), "Acme")
    first = history.entries(limit=10)
    second = history.entries(limit=10, before_id=first[-1].id)
    third = history.entries(limit=10, before_id=second[-1].id)
    ids = [e.id for e in first + second + third]
    assert len(third) == 5 and ids == sorted(ids, reverse=True) and len(set(ids)) == 25


def test_count_follows_the_search_and_the_filter(three: History) -> None:
    assert three.count() == 3
    assert three.count(status="rejected") == 1
    assert three.count(search="+919876543210") == len(three.entries(search="+919876543210"))
    assert three.count(search="nothing like this") == 0


def test_csv_export_of_a_search_streams_only_the_matches(three: History, tmp_path: Path) -> None:
    path = tmp_path / "refused.csv"
    assert three.export_csv(path, status="rejected") == 1
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [row["status"] for row in rows] == ["rejected"]
    if os.name == "posix":
        assert oct(path.stat().st_mode & 0o777) == oct(0o600)


def test_csv_export_has_a_header_and_every_entry(three: History, tmp_path: Path) -> None:
    target = tmp_path / "history.csv"
    assert three.export_csv(target) == 3
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COLUMNS
    assert [r["reference_id"] for r in rows] == ["ref-ivr-3", "ref-anon-2", "ref-accepted-1"]
    accepted = rows[2]
    assert accepted["customer"] == "+919876543210"  # E.164 is not mangled by formula guarding
    assert (accepted["status"], accepted["unique_id"], accepted["http_status"]) == (
        "accepted",
        "uid-0001",
        "200",
    )
    assert accepted["confirmed_by_duplicate"] == "no"
    assert rows[0]["http_status"] == ""


def test_csv_export_of_a_chosen_subset(three: History, tmp_path: Path) -> None:
    target = tmp_path / "rejected.csv"
    assert three.export_csv(target, three.entries(status="rejected")) == 1
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 2 and rows[1][COLUMNS.index("status")] == "rejected"


def test_csv_export_defuses_spreadsheet_formulas(history: History, tmp_path: Path) -> None:
    history.record(accepted_user_dial(), '=HYPERLINK("http://evil.example")')
    target = tmp_path / "h.csv"
    history.export_csv(target)
    with target.open(newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["profile"].startswith("'=")


def test_history_survives_reopening(isolated_data_dir: Path) -> None:
    with History() as first:
        first.record(accepted_user_dial(), "Acme")
    with History() as second:
        assert [e.reference_id for e in second.entries()] == ["ref-accepted-1"]


def test_clear_empties_the_history(three: History) -> None:
    assert three.clear() == 3
    assert three.count() == 0


def test_a_closed_history_refuses_politely(history: History) -> None:
    history.close()
    history.close()  # closing twice is harmless
    with pytest.raises(RuntimeError, match="closed"):
        history.record(accepted_user_dial(), "Acme")


def test_concurrent_writes_from_worker_threads_and_a_second_process_view(history: History) -> None:
    other = History(history.path)  # the CLI writing while the window is open
    writers = [
        threading.Thread(
            target=lambda target=target, n=n: [
                target.record(accepted_user_dial(reference_id=f"t{n}-{i}"), "Acme") for i in range(25)
            ]
        )
        for n, target in enumerate([history, history, history, other, other, other])
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    other.close()
    entries = history.entries(limit=None)
    assert len(entries) == 150 == history.count()
    assert len({e.id for e in entries}) == len({e.reference_id for e in entries}) == 150


def test_no_secret_or_raw_response_is_stored(sandbox, isolated_data_dir: Path, tmp_path: Path) -> None:
    account = sandbox.account
    with ObdClient(account, backoff_s=0.0) as client:
        accepted = client.place_call(CallRequest(CallKind.USER, "+919876543210", user_id=AGENT_USER_ID))
        sandbox.faults.server_error = 5
        failed = client.place_call(CallRequest(CallKind.IVR, "+14155550123"))
    assert accepted.accepted and not failed.accepted
    # Even if a raw response echoed the secrets back, history must not keep it.
    echoed = f"echo {account.api_key} {account.secret_token}"
    leaky = Outcome(
        "rejected",
        CallRequest(CallKind.IVR, "+442079460000"),
        http_status=400,
        problem=catalogue.problem("bad_request", raw=echoed),
        raw_response=echoed,
    )
    with History() as history:
        for outcome in (accepted, failed, leaky):
            history.record(outcome, "Sandbox")
        history.export_csv(tmp_path / "export.csv")
    for path in [*isolated_data_dir.rglob("*"), tmp_path / "export.csv"]:
        if path.is_file():
            data = path.read_bytes()
            assert account.api_key.encode() not in data, path
            assert account.secret_token.encode() not in data, path


# -- one row per intended call (issue 9, item 4) ------------------------------------------------


def test_a_resend_updates_its_row_instead_of_adding_one(history: History) -> None:
    request = CallRequest(CallKind.IVR, "+442079460000", reference_id="ref-resent")
    first = history.record(
        Outcome("failed", request, problem=catalogue.problem("timeout"), attempts=3), "Acme"
    )
    again = history.record(
        Outcome("accepted", request, unique_id="uid-9", confirmed_by_duplicate=True), "Acme"
    )

    assert again == first and history.count() == 1
    [entry] = history.entries()
    assert (entry.status, entry.unique_id, entry.problem_code) == ("accepted", "uid-9", "")
    assert (entry.sends, entry.attempts, entry.confirmed_by_duplicate) == (2, 4, True)
    assert entry.updated >= entry.time


def test_a_later_unknown_answer_never_undoes_an_accepted_call(history: History) -> None:
    history.record(accepted_user_dial(reference_id="ref-kept"), "Acme")
    request = accepted_user_dial(reference_id="ref-kept").request
    history.record(Outcome("failed", request, problem=catalogue.problem("timeout")), "Acme")
    [entry] = history.entries()
    assert (entry.status, entry.unique_id, entry.sends) == ("accepted", "uid-0001", 2)


def test_an_entry_gives_back_the_request_to_resend_it_safely(history: History) -> None:
    request = CallRequest(
        CallKind.ANONYMOUS,
        "+14155550123",
        agent_number="+442079460000",
        reference_id="ref-again",
        caller_id="+914012345678",
        region="south",
        group="g1",
        max_call_duration=90,
    )
    history.record(Outcome("failed", request, problem=catalogue.problem("timeout")), "Acme")
    entry = history.last_call(CallKind.ANONYMOUS, "+14155550123")
    assert entry is not None and entry.unknown
    assert entry.request() == request
    assert history.last_call(CallKind.IVR, "+14155550123") is None


V1_SCHEMA = """
CREATE TABLE calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, profile TEXT NOT NULL,
    kind TEXT NOT NULL, customer TEXT NOT NULL, agent TEXT NOT NULL DEFAULT '',
    reference_id TEXT NOT NULL, status TEXT NOT NULL, confirmed_by_duplicate INTEGER NOT NULL DEFAULT 0,
    http_status INTEGER, problem_code TEXT NOT NULL DEFAULT '', problem_title TEXT NOT NULL DEFAULT '',
    unique_id TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 1,
    source TEXT NOT NULL DEFAULT 'window', caller_id TEXT NOT NULL DEFAULT '',
    region TEXT NOT NULL DEFAULT '', route_group TEXT NOT NULL DEFAULT '', max_call_duration INTEGER
);
CREATE INDEX calls_reference ON calls(reference_id);
PRAGMA user_version=1;
"""


def test_an_older_database_with_one_row_per_send_is_merged_on_open(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        rows = [
            ("2026-01-01T10:00:00.000+00:00", "ref-a", "failed", "timeout", "", 3),
            ("2026-01-01T10:00:05.000+00:00", "ref-b", "accepted", "", "uid-b", 1),
            ("2026-01-01T10:01:00.000+00:00", "ref-a", "accepted", "", "uid-a", 1),
            ("2026-01-01T10:02:00.000+00:00", "ref-a", "failed", "timeout", "", 2),
        ]
        db.executemany(
            "INSERT INTO calls (time, profile, kind, customer, reference_id, status, problem_code,"
            " unique_id, attempts) VALUES (?, 'Acme', 'ivr', '+442079460000', ?, ?, ?, ?, ?)",
            rows,
        )
    db.close()

    with History(path) as history:
        entries = {entry.reference_id: entry for entry in history.entries()}
        assert history.count() == 2
        merged = entries["ref-a"]
        assert (merged.status, merged.unique_id, merged.sends, merged.attempts) == ("accepted", "uid-a", 3, 6)
        assert merged.time == rows[0][0] and merged.updated == rows[3][0]
        assert (entries["ref-b"].sends, entries["ref-b"].updated) == (1, rows[1][0])
        history.record(
            Outcome("failed", CallRequest(CallKind.IVR, "+442079460000", reference_id="ref-b")), "A"
        )
        assert history.count() == 2  # the merged database enforces one row per reference_id
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()
    with History(path) as reopened:  # opening again changes nothing
        assert reopened.count() == 2
        assert reopened.find("ref-a").result == ""  # results (version 3) start unknown


def test_a_call_result_is_stored_searchable_exported_and_its_record_claimed(tmp_path: Path) -> None:
    from desktop_app.call_results import CallResult

    with History(tmp_path / "h.sqlite") as history:
        agent = "a1b2c3d4e5f60718"
        request = CallRequest(CallKind.USER, "+919000000021", user_id=agent, reference_id="ref-r")
        history.record(Outcome("accepted", request), "Acme")
        since = history.find("ref-r").when
        assert [e.reference_id for e in history.waiting_for_results("Acme", since)] == ["ref-r"]
        history.set_result(CallResult("ref-r", "pending"))  # not settled: nothing stored
        assert history.find("ref-r").result == ""
        history.set_result(CallResult("ref-r", "answered", 42, True, "number and time", "rec-1", "rec-1.mp3"))
        entry = history.find("ref-r")
        assert (entry.result, entry.talk_seconds, entry.agent_answered) == ("answered", 42, True)
        assert (entry.matched_by, entry.log_record) == ("number and time", "rec-1")
        assert entry.recording == "rec-1.mp3"
        assert history.waiting_for_results("Acme", since) == []
        assert history.claimed_records(since) == {"rec-1"}
        assert [e.reference_id for e in history.entries(search="answered")] == ["ref-r"]
        out = tmp_path / "h.csv"
        history.export_csv(out)
        header, row = out.read_text(encoding="utf-8").splitlines()[:2]
        assert "result" in header.split(",") and "answered" in row.split(",")
