"""``opdial-cli campaign …``: JSON summaries, exit codes, Ctrl+C, and SIGKILL mid-run then resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_app.campaigns.journal import Journal, list_ids
from desktop_app.cli import main
from tests.campaign_helpers import assert_exactly_once, numbers
from tests.strict_json import loads as _strict

SUMMARY_KEYS = ["id", "rows", "valid", "invalid", "duplicates", "excluded", "accepted", "rejected"]
SUMMARY_KEYS += ["failed", "pending", "results"]
REPO = Path(__file__).resolve().parents[1]


def _list_file(tmp_path: Path, phones: list[str], extra: str = "") -> Path:
    path = tmp_path / "contacts.csv"
    body = "".join(f"Contact {i},{p}\n" for i, p in enumerate(phones))
    path.write_text("Name,Phone\n" + body + extra, encoding="utf-8")
    return path


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return _strict(capsys.readouterr().out)


def test_run_ends_with_one_json_summary_and_exit_0(sandbox, sandbox_env, tmp_path, capsys) -> None:
    path = _list_file(tmp_path, numbers(3), extra="Dup,098765 00000\nBad,12\n")
    code = main(["--json", "campaign", "run", str(path), "--rate", "0", "--calling-window", "any"])
    summary = _json(capsys)
    assert code == 0
    assert list(summary) == SUMMARY_KEYS
    assert {k: v for k, v in summary.items() if k != "id"} == {
        "rows": 5,
        "valid": 3,
        "invalid": 1,
        "duplicates": 1,
        "excluded": 0,
        "accepted": 3,
        "rejected": 0,
        "failed": 0,
        "pending": 0,
        "results": {"answered": 0, "missed": 0, "none": 0},  # from the call log, with the API token
    }
    assert len(sandbox.accepted_calls) == 3


def test_status_list_and_export(sandbox, sandbox_env, tmp_path, capsys) -> None:
    path = _list_file(tmp_path, numbers(2))
    main(["--json", "campaign", "run", str(path), "--rate", "0", "--calling-window", "any"])
    campaign_id = _json(capsys)["id"]
    assert main(["--json", "campaign", "status", campaign_id]) == 0
    assert _json(capsys)["accepted"] == 2
    assert main(["--json", "campaign", "list"]) == 0
    assert [s["id"] for s in _json(capsys)] == [campaign_id]
    out = tmp_path / "results.csv"
    assert main(["campaign", "export", campaign_id, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert text.count("accepted") == 2 and "sandbox-secret" not in text


def test_settings_are_remembered_and_resume_may_override_them(sandbox, sandbox_env, tmp_path, capsys) -> None:
    path = _list_file(tmp_path, numbers(1))
    main(
        [
            "--json",
            "campaign",
            "run",
            str(path),
            "--rate",
            "0",
            "--concurrency",
            "3",
            "--calling-window",
            "any",
        ]
    )
    campaign_id = _json(capsys)["id"]
    assert main(["--json", "campaign", "resume", campaign_id, "--concurrency", "5"]) == 0
    with Journal.open(campaign_id) as journal:
        settings = journal.settings
    assert (settings.concurrency, settings.rate_per_min, settings.calling_window) == (5, 0, "any")
    assert settings.column == "Phone" and settings.api_url == sandbox.url


def test_bad_input_exits_2_and_sends_nothing(sandbox, sandbox_env, tmp_path, capsys) -> None:
    names_only = tmp_path / "names.csv"
    names_only.write_text("Name,City\nAsha,Pune\n", encoding="utf-8")
    assert main(["campaign", "run", str(names_only)]) == 2
    assert "choose one with --column" in capsys.readouterr().err
    good = _list_file(tmp_path, numbers(1))
    assert main(["campaign", "run", str(good), "--calling-window", "late"]) == 2
    assert main(["campaign", "run", str(good), "--column", "Fax"]) == 2
    capsys.readouterr()
    assert main(["campaign", "run", str(good), "--calling-window", ""]) == 2  # not the default
    assert "--calling-window is empty" in capsys.readouterr().err
    assert main(["campaign", "run", str(good), "--column", "5"]) == 2
    err = capsys.readouterr().err
    assert "There is no column 5: the list has" in err and "columns" in err
    assert main(["campaign", "status", "no-such-campaign"]) == 2
    assert sandbox.received == [] and list_ids() == []


def test_account_wide_refusal_exits_3_and_says_how_to_resume(
    sandbox, sandbox_env, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("OPDIAL_API_KEY", "wrong-key")
    path = _list_file(tmp_path, numbers(5))
    code = main(["--json", "campaign", "run", str(path), "--rate", "0", "--calling-window", "any"])
    captured = capsys.readouterr()
    assert code == 3
    assert _strict(captured.out)["pending"] == 5
    assert "campaign resume" in captured.err and "wrong-key" not in captured.out + captured.err


# -- real processes --------------------------------------------------------------------------------


def _start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_app.cli", *args],
        cwd=REPO,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the campaign to get going"
        time.sleep(0.02)


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_keeps_exactly_once(sandbox, sandbox_env, tmp_path) -> None:
    """kill -9 while calls are on the wire; resuming settles the rows in doubt with their own ids."""
    sandbox.faults.latency_s = 0.15  # each call is accepted, then answered 0.15 s later
    path = _list_file(tmp_path, numbers(40))
    args = [
        "--json",
        "campaign",
        "run",
        str(path),
        "--rate",
        "0",
        "--concurrency",
        "4",
        "--calling-window",
        "any",
    ]
    process = _start_cli(args, sandbox_env)
    _wait_for(lambda: len(sandbox.accepted_calls) >= 10)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    (campaign_id,) = list_ids()
    journal_path = Journal.open(campaign_id).path
    with Journal(journal_path) as journal:
        in_flight = journal.state_counts()["sending"]
    assert in_flight >= 1, "the kill should have caught calls on the wire"
    assert len(sandbox.accepted_calls) < 40

    resumed = _start_cli(["--json", "campaign", "resume", campaign_id], sandbox_env)
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    summary = _strict(out)
    assert (summary["accepted"], summary["pending"], summary["valid"]) == (40, 0, 40)
    assert_exactly_once(sandbox, journal_path)
    with Journal(journal_path) as journal:
        confirmed = journal._db.execute("SELECT COUNT(*) FROM rows WHERE confirmed_by_duplicate = 1")
        assert confirmed.fetchone()[0] >= 1  # a row in doubt was settled by MyOperator's duplicate answer


@pytest.mark.slow
def test_ctrl_c_pauses_cleanly_and_says_how_to_resume(sandbox, sandbox_env, tmp_path) -> None:
    sandbox.faults.latency_s = 0.1
    path = _list_file(tmp_path, numbers(30))
    args = ["campaign", "run", str(path), "--rate", "0", "--concurrency", "2", "--calling-window", "any"]
    process = _start_cli(args, sandbox_env)
    _wait_for(lambda: len(sandbox.accepted_calls) >= 4)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    (campaign_id,) = list_ids()
    assert f"campaign resume {campaign_id}" in err
    with Journal.open(campaign_id) as journal:
        counts = journal.state_counts()
        assert journal.status == "paused"
    assert counts["sending"] == 0 and counts["accepted"] == len(sandbox.accepted_calls) < 30
