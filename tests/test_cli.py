"""opdial-cli as a script sees it: exit codes, one JSON object, plain sentences, no secrets anywhere."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app import cli
from tests import strict_json

CUSTOMER = "+919876543210"


@pytest.fixture
def env_account(sandbox, sandbox_env):
    """Credentials from the environment, as automation would pass them (no profile at all)."""
    return sandbox


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def secrets_of(sandbox) -> tuple[str, str]:
    return sandbox.config.api_key, sandbox.config.secret_token


def assert_no_secrets(text: str, sandbox) -> None:
    for secret in secrets_of(sandbox):
        assert secret not in text


def test_user_call_with_environment_credentials_is_queued(capsys, env_account):
    code, out, _ = run(capsys, "call", "user", "--to", "098765 43210")
    assert code == 0
    assert "Queued — the agent's phone (User ID a1b2c3d4e5f60718) rings first, then the customer's." in out
    assert env_account.accepted_calls[0]["number"] == CUSTOMER


def test_json_output_is_exactly_one_object_with_the_documented_fields(capsys, env_account):
    code, out, _ = run(capsys, "--json", "call", "ivr", "--to", CUSTOMER, "--reference-id", "cli-ref-1")
    data = strict_json.loads(out)
    assert code == 0
    assert {"outcome", "http_status", "unique_id", "reference_id", "problem", "request"} <= data.keys()
    assert (data["outcome"], data["http_status"], data["reference_id"]) == ("accepted", 200, "cli-ref-1")
    assert data["request"]["body"]["secret_token"] == "********"
    assert data["request"]["headers"]["x-api-key"] == "********"
    assert_no_secrets(out, env_account)


def test_json_flag_is_also_accepted_after_the_command(capsys, env_account):
    code, out, _ = run(capsys, "call", "ivr", "--to", CUSTOMER, "--json")
    assert code == 0 and strict_json.loads(out)["outcome"] == "accepted"


def test_rejection_exits_3_with_the_explanation(capsys, env_account):
    env_account.config.anonymous_enabled = False
    code, out, _ = run(capsys, "call", "anonymous", "--agent", "+919812345678", "--to", CUSTOMER)
    assert code == 3
    assert "Anonymous dial is not enabled" in out and "What to do:" in out


def test_rejection_as_json_carries_the_problem(capsys, env_account):
    env_account.config.config_missing_companies = (env_account.config.company_id,)
    code, out, _ = run(capsys, "--json", "call", "ivr", "--to", CUSTOMER)
    problem = strict_json.loads(out)["problem"]
    assert code == 3
    assert problem["code"] == "company_config_missing" and problem["action"] and problem["raw"]


def test_transport_failure_exits_4(capsys, env_account, monkeypatch):
    env_account.faults.drop_connection = 10
    code, out, _ = run(capsys, "--json", "call", "ivr", "--to", CUSTOMER)
    assert code == 4 and strict_json.loads(out)["outcome"] == "failed"


def test_invalid_number_exits_2_and_sends_nothing(capsys, env_account):
    code, _, err = run(capsys, "call", "user", "--to", "12345")
    assert code == 2 and "customer number" in err.lower()
    assert env_account.received == []


def test_missing_configuration_exits_2_with_what_to_do(capsys):
    code, _, err = run(capsys, "call", "ivr", "--to", CUSTOMER)
    assert code == 2 and "profile" in err.lower()


def test_preview_shows_the_request_and_masked_curl_without_sending(capsys, env_account):
    code, out, _ = run(capsys, "preview", "call", "user", "--to", CUSTOMER, "--caller-id", "+918045678900")
    assert code == 0 and env_account.received == []
    assert "curl --request POST" in out and "x-api-key: ********" in out and "+918045678900" in out
    assert_no_secrets(out, env_account)


def test_preview_reveals_the_real_secrets_only_when_asked_and_warns(capsys, env_account):
    code, out, err = run(capsys, "preview", "call", "ivr", "--to", CUSTOMER, "--reveal-secrets")
    assert code == 0 and env_account.received == []
    curl = out[out.index("curl --request POST") :]
    assert all(secret in curl for secret in secrets_of(env_account))
    assert "real secrets" in err
    # the JSON preview of the request itself stays masked either way
    assert_no_secrets(out[: out.index("curl --request POST")], env_account)


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("098765 43210", CUSTOMER),
        ("tel:+91%2098765%2043210", CUSTOMER),
        ("callto://+442079460000", "+442079460000"),
    ],
)
def test_number_normalises_numbers_and_links(capsys, text, e164):
    code, out, _ = run(capsys, "--json", "number", text)
    data = strict_json.loads(out)
    assert code == 0 and data["e164"] == e164 and data["valid"] is True
    assert {"region", "type", "national", "international"} <= data.keys()


def test_number_refuses_what_is_not_callable_with_exit_2(capsys):
    code, out, _ = run(capsys, "--json", "number", "mailto:someone@example.com")
    assert code == 2 and strict_json.loads(out)["valid"] is False and strict_json.loads(out)["reason"]


def test_history_lists_and_exports_calls_without_secrets(capsys, env_account, tmp_path):
    run(capsys, "call", "user", "--to", CUSTOMER)
    env_account.config.anonymous_enabled = False
    run(capsys, "call", "anonymous", "--agent", "+919812345678", "--to", CUSTOMER)
    code, out, _ = run(capsys, "--json", "history")
    entries = strict_json.loads(out)
    assert code == 0 and [e["status"] for e in entries] == ["rejected", "accepted"]
    export = tmp_path / "history.csv"
    assert run(capsys, "history", "--export", str(export))[0] == 0
    rows = list(csv.DictReader(io.StringIO(export.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 2
    assert_no_secrets(export.read_text(encoding="utf-8-sig"), env_account)


def test_no_file_under_the_data_dir_holds_a_secret(capsys, env_account, isolated_data_dir):
    run(capsys, "call", "user", "--to", CUSTOMER)
    env_account.faults.server_error = 1
    run(capsys, "call", "ivr", "--to", CUSTOMER)
    files = [p for p in Path(isolated_data_dir).rglob("*") if p.is_file()]
    assert files, "history and log should exist"
    for path in files:
        data = path.read_bytes()
        for secret in secrets_of(env_account):
            assert secret.encode() not in data, path


@pytest.mark.usefixtures("secret_service")
def test_profile_round_trip_through_the_os_keyring(capsys, sandbox, monkeypatch, isolated_data_dir):
    config = sandbox.config
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{config.api_key}\n{config.secret_token}\n"))
    code, out, _ = run(
        capsys, "profile", "add", "acme", "--company-id", config.company_id,
        "--public-ivr-id", config.public_ivr_id, "--user-id", config.default_user_id,
        "--set-api-url", sandbox.url, "--secrets-from-stdin",
    )  # fmt: skip
    assert code == 0, out
    code, out, _ = run(capsys, "--profile", "acme", "call", "user", "--to", CUSTOMER)
    assert code == 0 and "Queued" in out
    code, out, _ = run(capsys, "profile", "show", "acme")
    assert "********" in out
    assert_no_secrets(out, sandbox)
    settings = (Path(isolated_data_dir) / "config" / "settings.json").read_text()
    assert "acme" in settings
    assert_no_secrets(settings, sandbox)
    assert run(capsys, "profile", "remove", "acme")[0] == 0
    assert run(capsys, "--profile", "acme", "call", "user", "--to", CUSTOMER)[0] == 2


def test_the_installed_entry_point_runs_as_a_real_process(env_account):
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app.cli", "--json", "call", "ivr", "--to", CUSTOMER],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert strict_json.loads(result.stdout)["outcome"] == "accepted"
    assert_no_secrets(result.stdout + result.stderr, env_account)


def test_resend_with_the_same_reference_confirms_an_unknown_call_instead_of_placing_it_again(
    capsys, env_account
):
    env_account.faults.lose_reply = 3  # every answer lost: the outcome is unknown
    code, out, _ = run(capsys, "--json", "call", "ivr", "--to", CUSTOMER)
    first = strict_json.loads(out)
    assert code == 4 and "--resend" in first["problem"]["action"]

    code, out, _ = run(
        capsys, "--json", "call", "ivr", "--to", CUSTOMER, "--reference-id", first["reference_id"], "--resend"
    )
    again = strict_json.loads(out)
    assert code == 0 and again["outcome"] == "accepted" and again["confirmed_by_duplicate"] is True
    assert len(env_account.accepted_calls) == 1


def test_resend_without_a_reference_id_is_refused(capsys, env_account):
    code, _, err = run(capsys, "call", "ivr", "--to", CUSTOMER, "--resend")
    assert code == 2 and "--reference-id" in err and env_account.received == []


def test_refused_credentials_from_the_environment_name_the_variables(capsys, env_account, monkeypatch):
    monkeypatch.setenv("OPDIAL_API_KEY", "not-the-key-0000")
    code, out, _ = run(capsys, "call", "user", "--to", CUSTOMER)
    assert code == 3
    assert "What to do: Check OPDIAL_API_KEY and OPDIAL_SECRET_TOKEN" in out and "Profiles" not in out


def test_refused_credentials_from_a_profile_name_the_cli_command():
    from desktop_app.api import catalogue
    from desktop_app.api.models import CallKind, CallRequest, Outcome
    from desktop_app.credentials import Profile, Resolved

    request = CallRequest(kind=CallKind.IVR, to=CUSTOMER)
    refused = Outcome("rejected", request, problem=catalogue.problem("auth_failed", ""))
    resolved = Resolved(
        profile=Profile(name="Acme Sales", company_id="c", public_ivr_id="i"),
        account=None,  # type: ignore[arg-type]  # not needed for the words
        sources={"api_key": "keyring", "secret_token": "keyring"},
    )
    action = cli._with_cli_advice(refused, resolved).problem.action
    assert "`opdial-cli profile add 'Acme Sales'" in action and "Open Profiles" not in action


def test_a_rate_limit_says_how_long_to_wait(capsys, env_account):
    env_account.faults.rate_limit, env_account.faults.retry_after = 5, 90  # over the wait cap: said
    code, out, _ = run(capsys, "call", "ivr", "--to", CUSTOMER)
    assert code == 3 and "What to do: MyOperator asks to wait 90 s, then call again." in out
