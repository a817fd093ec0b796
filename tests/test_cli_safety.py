"""opdial-cli never loses a placed call's outcome, stops on Ctrl+C safely, and sends nothing unusable.

Against the real sandbox over loopback, with real files under the test's data dir; a subprocess
where a signal or a real process exit matters.
"""

from __future__ import annotations

import errno
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.history import History
from tests import strict_json

CUSTOMER = "+919876543210"


@pytest.fixture
def env_account(sandbox, sandbox_env):
    """Credentials from the environment, as automation passes them (no profile at all)."""
    return sandbox


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def history_file(data_dir: Path) -> Path:
    return data_dir / "data" / "history.sqlite3"


# -- item 6: everything the call writes is opened before sending ------------------------------


def test_a_damaged_history_file_is_set_aside_before_the_call_and_the_call_is_kept(
    capsys, env_account, isolated_data_dir
):
    path = history_file(isolated_data_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database\x00\xff" * 200)
    code, out, err = run(capsys, "call", "ivr", "--to", CUSTOMER)
    assert code == 0 and "Queued" in out
    assert "damaged" in err and "kept as" in err
    assert len(env_account.received) == 1
    assert [p.name for p in path.parent.glob("history.sqlite3.damaged-*")]
    with History(path) as history:
        assert [e.customer for e in history.entries()] == [CUSTOMER]


def test_a_damaged_history_file_still_gives_one_json_object(capsys, env_account, isolated_data_dir):
    path = history_file(isolated_data_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 500)
    code, out, err = run(capsys, "--json", "call", "ivr", "--to", CUSTOMER)
    data = strict_json.loads(out)
    assert code == 0 and data["outcome"] == "accepted" and "damaged" in err
    assert len(env_account.received) == 1


def test_a_data_folder_that_cannot_be_created_stops_the_call_before_sending(
    capsys, env_account, isolated_data_dir
):
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    (isolated_data_dir / "data").write_text("a file where the data folder should be")
    code, _, err = run(capsys, "call", "user", "--to", CUSTOMER)
    assert code == 2 and "call history" in err and "nothing was sent" in err
    assert env_account.received == []


def test_a_log_that_cannot_be_written_goes_to_the_terminal_and_loses_nothing(
    capsys, env_account, isolated_data_dir
):
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    (isolated_data_dir / "logs").write_text("a file where the log folder should be")
    code, out, err = run(capsys, "call", "ivr", "--to", CUSTOMER)
    assert code == 0 and "Queued" in out and "logging to the terminal" in err
    assert len(env_account.received) == 1
    code, out, _ = run(capsys, "--json", "number", "098765 43210")
    assert code == 0 and strict_json.loads(out)["e164"] == CUSTOMER


def test_history_commands_say_the_database_was_damaged_instead_of_a_traceback(capsys, isolated_data_dir):
    path = history_file(isolated_data_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage" * 300)
    code, _, err = run(capsys, "history")
    assert code == 0 and "call history" in err.lower() and "damaged" in err


# Fault injection, said plainly: a real database cannot be made to fail *only after* the request went
# out (it is opened, and checked, before sending), so History.record is replaced by one that raises
# what SQLite and the OS raise on a full disk. Everything else — sandbox, HTTP, output — is real.
DISK_FULL = (
    sqlite3.OperationalError("database or disk is full"),
    OSError(errno.ENOSPC, "No space left on device"),
)


@pytest.fixture(params=DISK_FULL, ids=("sqlite-full", "enospc"))
def history_fails_on_write(request, monkeypatch) -> BaseException:
    error = request.param

    def record(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(History, "record", record)
    return error


@pytest.mark.parametrize(
    ("fault", "status", "exit_code", "warning"),
    [
        (None, "accepted", 0, "the call was queued but could not be saved to history"),
        ("no_anonymous", "rejected", 3, "MyOperator refused the call; this could not be saved to history"),
        ("drop_connection", "failed", 4, "outcome is unknown; this could not be saved to history"),
    ],
)
def test_a_history_that_fails_after_sending_still_prints_the_outcome_and_exits_by_it(
    capsys, env_account, history_fails_on_write, fault, status, exit_code, warning
):
    if fault == "no_anonymous":
        env_account.config.anonymous_enabled = False
    elif fault == "drop_connection":
        env_account.faults.drop_connection = 10
    code, out, err = run(
        capsys, "--json", "call", "anonymous", "--agent", "+919812345678", "--to", CUSTOMER,
        "--reference-id", "full-disk-1",
    )  # fmt: skip
    data = strict_json.loads(out)
    assert code == exit_code
    assert (data["outcome"], data["reference_id"]) == (status, "full-disk-1")
    assert warning in err and str(history_fails_on_write) in err
    assert "Traceback" not in err
    assert env_account.received, "the call was sent"
    assert len(env_account.accepted_calls) == (1 if status == "accepted" else 0)


def test_a_history_that_fails_after_sending_still_says_queued_in_plain_words(
    capsys, env_account, history_fails_on_write
):
    code, out, err = run(capsys, "call", "user", "--to", CUSTOMER)
    assert code == 0
    assert "Queued — the agent's phone" in out
    assert "the call was queued but could not be saved to history" in err
    assert len(env_account.accepted_calls) == 1


# -- item 7: Ctrl+C aborts the attempt in flight; the outcome is unknown, resend is offered -----

needs_posix_signals = pytest.mark.skipif(os.name == "nt", reason="sends SIGINT to a child process")


def _default_sigint() -> None:
    # The child must see Ctrl+C as a terminal would deliver it, whatever the test runner ignores.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_call_in_flight(sandbox, *argv: str) -> subprocess.CompletedProcess:
    """Start ``opdial-cli argv`` against a sandbox that delays its answer, Ctrl+C once it is waiting."""
    sandbox.faults.latency_s = 600.0  # processes the call, then answers only after ten minutes
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
        preexec_fn=_default_sigint,
    )
    try:
        give_up = time.monotonic() + 120  # generous: only a broken start takes this long
        while not sandbox.received and process.poll() is None and time.monotonic() < give_up:
            time.sleep(0.05)
        assert sandbox.received, "the call never reached the sandbox"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    sandbox.faults.latency_s = 0.0
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.slow
@needs_posix_signals
def test_ctrl_c_during_a_call_reports_an_unknown_outcome_and_the_safe_resend(capsys, env_account):
    result = interrupt_call_in_flight(
        env_account, "call", "ivr", "--to", CUSTOMER, "--reference-id", "ctrl-c-1"
    )
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr
    assert "outcome is unknown" in result.stdout
    resend = f"opdial-cli call ivr --to {CUSTOMER} --reference-id ctrl-c-1 --resend"
    assert f"Try again safely (MyOperator will not place it twice): {resend}" in result.stdout

    # The stopped call is in history as unknown, so the window's Dial again offers Try again safely.
    with History() as history:
        assert [(e.reference_id, e.status) for e in history.entries()] == [("ctrl-c-1", "failed")]

    # The printed command is the safe one: MyOperator already queued it, so nothing rings twice.
    code, out, _ = run(capsys, "--json", *shlex.split(resend)[1:])
    data = strict_json.loads(out)
    assert code == 0 and data["confirmed_by_duplicate"] is True
    assert len(env_account.accepted_calls) == 1


@pytest.mark.slow
@needs_posix_signals
def test_ctrl_c_during_a_json_call_prints_one_strict_object_with_the_resend_command(env_account):
    result = interrupt_call_in_flight(
        env_account, "--json", "call", "user", "--to", CUSTOMER, "--reference-id", "ctrl-c-2"
    )
    data = strict_json.loads(result.stdout)
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    assert data["outcome"] == "failed" and data["reference_id"] == "ctrl-c-2"
    assert data["problem"]["code"] == "cancelled"
    assert data["resend_command"].endswith("--reference-id ctrl-c-2 --resend")
    assert f"--user-id {env_account.config.default_user_id}" in data["resend_command"]


def test_the_resend_command_repeats_every_option_that_shapes_the_call(env_account):
    args = cli.build_parser().parse_args(
        ["--profile", "acme corp", "call", "anonymous", "--agent", "+919812345678", "--to", CUSTOMER,
         "--caller-id", "+918045678900", "--region", "south", "--group", "g1", "--max-duration", "90",
         "--reference-id", "r-1"]
    )  # fmt: skip
    from desktop_app.calls import prepare_call

    request = prepare_call(
        "anonymous", CUSTOMER, agent="+919812345678", reference_id="r-1", caller_id="+918045678900",
        region="south", group="g1", max_call_duration=90,
    )  # fmt: skip
    assert shlex.split(cli.resend_command(args, request)) == [
        "opdial-cli", "--profile", "acme corp", "call", "anonymous", "--agent", "+919812345678",
        "--to", CUSTOMER, "--caller-id", "+918045678900", "--region", "south", "--group", "g1",
        "--max-duration", "90", "--reference-id", "r-1", "--resend",
    ]  # fmt: skip


def test_an_unknown_outcome_always_shows_the_resend_command(capsys, env_account):
    env_account.faults.lose_reply = 3
    code, out, _ = run(capsys, "call", "ivr", "--to", CUSTOMER, "--reference-id", "lost-1")
    assert code == 4
    assert f"opdial-cli call ivr --to {CUSTOMER} --reference-id lost-1 --resend" in out


# -- item 8: every --json output is strict JSON -------------------------------------------------


def test_an_infinite_retry_after_never_reaches_the_json_as_infinity(capsys, env_account):
    env_account.faults.rate_limit = 5
    env_account.faults.retry_after = float("inf")  # the sandbox sends "Retry-After: inf"
    code, out, _ = run(capsys, "--json", "call", "ivr", "--to", CUSTOMER)
    data = strict_json.loads(out)  # raises on Infinity
    assert code in (3, 4) and data["http_status"] == 429
    assert data["problem"]["code"] == "rate_limited"


def test_the_json_writer_replaces_non_finite_numbers_with_null(capsys):
    cli.Output(as_json=True).json({"a": float("nan"), "b": [1.5, float("-inf")], "c": (float("inf"),)})
    assert strict_json.loads(capsys.readouterr().out) == {"a": None, "b": [1.5, None], "c": [None]}


def test_strict_json_refuses_what_python_would_accept():
    for text in ('{"a": NaN}', "[Infinity]", "-Infinity"):
        with pytest.raises(ValueError):
            strict_json.loads(text)
    assert strict_json.loads('{"a": 1e308}') == {"a": 1e308}


# -- issue 10 item 5: malformed URLs and unusable ids are refused before sending ---------------

MALFORMED_URLS = (
    "http://[::1",  # urllib cannot split it
    "http://127.0.0.1:99999/obd",  # port out of range
    "http://127.0.0.1:abc/obd",  # port not a number
    "http://localhost:0/obd",  # port 0
    "https://xn--/obd",  # not an IDNA label
    "https://a..b/obd",  # empty label
)


@pytest.mark.parametrize("url", MALFORMED_URLS)
def test_a_malformed_api_url_in_the_environment_is_a_clear_error(capsys, env_account, monkeypatch, url):
    monkeypatch.setenv("OPDIAL_API_URL", url)
    code, _, err = run(capsys, "call", "ivr", "--to", CUSTOMER)
    assert code == 2 and "The API URL" in err and "Traceback" not in err
    assert env_account.received == []


@pytest.mark.parametrize("url", MALFORMED_URLS[:3])
def test_a_malformed_api_url_option_is_a_clear_json_error(capsys, env_account, url):
    code, out, _ = run(capsys, "--json", "--api-url", url, "call", "ivr", "--to", CUSTOMER)
    data = strict_json.loads(out)
    assert code == 2 and data["error"]["code"] == "configuration"
    assert data["error"]["message"].startswith("The API URL")


def test_a_profile_refuses_a_malformed_api_url_in_words(capsys):
    code, _, err = run(
        capsys, "profile", "add", "acme", "--company-id", "1", "--public-ivr-id", "2",
        "--set-api-url", "http://[::1", "--secrets-from-stdin",
    )  # fmt: skip
    assert code == 2 and "The API URL" in err and "web address" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--reference-id", "x y", "contains a space"),
        ("--reference-id", "x\ty", "contains a space"),
        ("--reference-id", "x\x1b[2Jy", "control character"),
        ("--reference-id", "x\u200by", "control character"),
        ("--reference-id", "r" * 65, "at most 64"),
        ("--caller-id", "+91 80 4567 8900", "contains a space"),
        ("--caller-id", "+91804\n5678900", "control character"),
        ("--caller-id", "9" * 33, "at most 32"),
    ],
)
def test_unusable_ids_are_refused_in_one_sentence_before_sending(capsys, env_account, option, value, words):
    code, _, err = run(capsys, "call", "ivr", "--to", CUSTOMER, option, value)
    assert code == 2 and words in err and option in err
    assert err.count("\n") == 1, "one sentence on one line (control characters escaped)"
    assert env_account.received == []


def test_ids_at_the_length_limit_are_sent(capsys, env_account):
    code, _, err = run(
        capsys, "call", "ivr", "--to", CUSTOMER, "--reference-id", "r" * 64, "--caller-id", "9" * 32
    )
    assert code == 0, err
    assert env_account.accepted_calls[0]["reference_id"] == "r" * 64


def test_a_history_export_that_cannot_be_written_is_a_clear_error(capsys, env_account, tmp_path):
    assert run(capsys, "call", "ivr", "--to", CUSTOMER)[0] == 0
    code, _, err = run(capsys, "history", "--export", str(tmp_path / "no-such-folder" / "history.csv"))
    assert code == 2 and "Cannot read or export the call history" in err
