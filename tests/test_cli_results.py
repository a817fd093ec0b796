"""``opdial-cli agents`` and ``opdial-cli result``: against the sandbox over real HTTP, with the API
token from OPDIAL_API_TOKEN (or a profile's keyring entry), one JSON object, and the documented
exit codes: 0 when a result is known, 4 while pending or when the log has none."""

from __future__ import annotations

import pytest

from desktop_app.sandbox.server import LOG_AGENT_NO_ANSWER, LOG_NEVER_LOGGED
from tests import strict_json
from tests.test_cli import run

CUSTOMER = "+919000000021"  # fictional


@pytest.fixture
def logs_env(sandbox, sandbox_env, monkeypatch):
    """Call credentials and the API token from the environment, as automation passes them."""
    sandbox.config.log_delay_s = 0.0
    monkeypatch.setenv("OPDIAL_API_TOKEN", sandbox.config.logs_token)
    monkeypatch.setenv("OPDIAL_LOGS_API_URL", sandbox.logs_url)
    return sandbox


def call(capsys, to: str) -> str:
    code, out, _ = run(capsys, "--json", "call", "user", "--to", to)
    assert code == 0
    return strict_json.loads(out)["reference_id"]


def test_agents_lists_the_companys_users_and_searches_them(capsys, logs_env):
    code, out, _ = run(capsys, "--json", "agents")
    agents = strict_json.loads(out)
    assert code == 0 and len(agents) == 3
    assert set(agents[0]) == {"user_id", "name", "extension", "number", "role"}
    code, out, _ = run(capsys, "--json", "agents", "--search", "manager")
    assert [a["name"] for a in strict_json.loads(out)] == ["Meera (demo manager)"]
    code, out, _ = run(capsys, "agents", "--search", "ext")
    assert code == 0 and "No users match." in out
    assert logs_env.config.logs_token not in out


def test_result_prints_one_object_and_exits_0_when_known(capsys, logs_env):
    answered, missed = call(capsys, CUSTOMER), call(capsys, LOG_AGENT_NO_ANSWER)
    code, out, _ = run(capsys, "--json", "result", answered)
    data = strict_json.loads(out)
    assert code == 0
    assert data == {
        "reference_id": answered,
        "result": "answered",
        "talk_seconds": 42,
        "agent_answered": True,
        "matched_by": data["matched_by"],
        "has_recording": True,
    }
    assert data["matched_by"] in ("Reference ID", "number, agent and time")
    code, out, _ = run(capsys, "result", missed)
    assert code == 0 and out.startswith(f"{missed}: Missed: the agent did not answer · matched by")


def test_a_known_result_is_kept_in_history_and_not_asked_again(capsys, logs_env):
    reference = call(capsys, CUSTOMER)
    run(capsys, "result", reference)
    asked = sum(1 for r in logs_env.received if r.path == "/search")
    code, out, _ = run(capsys, "result", reference)
    assert code == 0 and "Answered" in out
    assert sum(1 for r in logs_env.received if r.path == "/search") == asked
    code, out, _ = run(capsys, "--json", "history", "--search", "answered")
    assert [e["reference_id"] for e in strict_json.loads(out)] == [reference]


def test_a_call_not_in_the_log_yet_is_pending_with_exit_4(capsys, logs_env):
    reference = call(capsys, LOG_NEVER_LOGGED)
    code, out, _ = run(capsys, "--json", "result", reference)
    assert code == 4 and strict_json.loads(out)["result"] == "pending"


def test_without_a_token_the_cli_says_what_it_needs(capsys, sandbox, sandbox_env, monkeypatch):
    monkeypatch.delenv("OPDIAL_API_TOKEN", raising=False)
    reference = call(capsys, CUSTOMER)
    code, _, err = run(capsys, "result", reference)
    assert code == 2 and "Add the API token in Profiles" in err and "OPDIAL_API_TOKEN" in err


def test_a_refused_token_and_unknown_or_unqueued_calls_are_explained(capsys, logs_env, monkeypatch):
    reference = call(capsys, CUSTOMER)
    monkeypatch.setenv("OPDIAL_API_TOKEN", "wrong-token-00000000000000000000")
    code, out, _ = run(capsys, "--json", "result", reference)
    assert code == 2 and strict_json.loads(out)["error"]["code"] == "token_refused"
    code, _, err = run(capsys, "result", "opd-no-such-call")
    assert code == 2 and "No call with Reference ID" in err
    code, out, _ = run(capsys, "--json", "call", "user", "--to", "+919000000400")  # the sandbox refuses it
    refused = strict_json.loads(out)["reference_id"]
    code, _, err = run(capsys, "result", refused)
    assert code == 2 and "was not queued" in err


def test_the_token_is_in_no_file_and_no_output(capsys, logs_env, isolated_data_dir):
    """It travels in the query string of GETs, so every log line that quotes a URL must mask it."""
    from desktop_app.logging_setup import shutdown_logging

    token = logs_env.config.logs_token
    reference = call(capsys, CUSTOMER)
    outputs = [run(capsys, "--json", "agents"), run(capsys, "result", reference), run(capsys, "agents")]
    outputs.append(run(capsys, "history", "--export", str(isolated_data_dir / "export.csv")))
    shutdown_logging()  # flush the log file
    assert any("/user?" in path.read_text() for path in isolated_data_dir.rglob("*.log"))  # URLs are logged
    assert all(token not in out + err for _code, out, err in outputs)
    leaked = [p for p in isolated_data_dir.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]
    assert leaked == []
