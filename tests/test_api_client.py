"""The API client against the real sandbox over loopback HTTP: the wire format, every catalogue
error, and the safe-retry rule (same reference_id, duplicate-after-retry = accepted, exactly once)."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from desktop_app.api import catalogue
from desktop_app.api.client import ObdClient, Timeouts, UnsafeUrlError, validate_api_url
from desktop_app.api.models import Account, CallKind, CallRequest, build_body
from desktop_app.calls import InputError, prepare_call

CUSTOMER = "+919876543210"
AGENT = "+919812345678"
USER_ID = "a1b2c3d4e5f60718"


def client_for(sandbox, *, delays: list[float] | None = None, **kwargs) -> ObdClient:
    """A client whose back-off waits are recorded instead of slept, so tests stay fast."""
    recorded = delays if delays is not None else []
    return ObdClient(sandbox.account, sleep=recorded.append, **kwargs)


def user_call(**kwargs) -> CallRequest:
    return CallRequest(kind=CallKind.USER, to=CUSTOMER, user_id=USER_ID, **kwargs)


# -- the wire format ------------------------------------------------------------------------------


def test_user_dial_sends_exactly_the_documented_json_and_headers(sandbox):
    with client_for(sandbox) as client:
        outcome = client.place_call(user_call(reference_id="ref-user-1"))
    assert outcome.status == "accepted" and outcome.unique_id
    (received,) = sandbox.received
    assert received.headers["x-api-key"] == sandbox.config.api_key
    assert received.headers["content-type"] == "application/json"
    assert received.json == {
        "company_id": "demo-company",
        "secret_token": sandbox.config.secret_token,
        "type": "1",
        "number": CUSTOMER,
        "public_ivr_id": "demo-ivr",
        "reference_id": "ref-user-1",
        "user_id": USER_ID,
    }


def test_anonymous_dial_passes_both_numbers_and_no_user_id(sandbox):
    request = CallRequest(kind=CallKind.ANONYMOUS, to=CUSTOMER, agent_number=AGENT, reference_id="ref-anon")
    with client_for(sandbox) as client:
        assert client.place_call(request).accepted
    body = sandbox.received[0].json
    assert body["type"] == "1" and body["number_2"] == AGENT and "user_id" not in body


def test_ivr_call_is_type_2_with_optional_routing_and_integer_duration(sandbox):
    request = CallRequest(
        kind=CallKind.IVR, to=CUSTOMER, caller_id="+918045678900", region="north", group="sales",
        max_call_duration=300, reference_id="ref-ivr",
    )  # fmt: skip
    with client_for(sandbox) as client:
        assert client.place_call(request).accepted
    body = sandbox.received[0].json
    assert body["type"] == "2" and "user_id" not in body and "number_2" not in body
    assert (body["caller_id"], body["region"], body["group"]) == ("+918045678900", "north", "sales")
    assert body["max_call_duration"] == 300 and isinstance(body["max_call_duration"], int)


def test_empty_optionals_are_left_out_and_every_other_value_is_a_string():
    account = Account("c1", "ivr1", "key-xxxx", "secret-xxxx")
    body = build_body(user_call(caller_id="  ", region="", group=None), account)
    assert not {"caller_id", "region", "group", "max_call_duration"} & body.keys()
    assert all(isinstance(value, str) for value in body.values())


def test_a_reference_id_is_generated_for_every_call_unless_given():
    first, second = prepare_call("ivr", CUSTOMER), prepare_call("ivr", CUSTOMER)
    assert first.reference_id and second.reference_id and first.reference_id != second.reference_id
    assert prepare_call("ivr", CUSTOMER, reference_id="mine").reference_id == "mine"


# -- input is checked before anything is sent ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [("12345", "to"), ("call me", "to"), ("+999 123 456 789", "to"), ("", "to")],
)
def test_invalid_numbers_never_reach_the_network(sandbox, text, field):
    with pytest.raises(InputError) as error:
        prepare_call("ivr", text, default_region="IN")
    assert error.value.field == field and error.value.message
    assert sandbox.received == []


def test_user_dial_without_a_user_id_is_refused_before_sending():
    with pytest.raises(InputError, match="User ID"):
        prepare_call("user", CUSTOMER, user_id="  ")


def test_out_of_range_duration_is_refused_before_sending():
    with pytest.raises(InputError, match="between 1 and 5400"):
        prepare_call("ivr", CUSTOMER, max_call_duration=6000)


# -- every documented error, produced by the sandbox and classified ---------------------------------


def _outcome_with(sandbox, request: CallRequest | None = None, account: Account | None = None):
    with ObdClient(account or sandbox.account, sleep=lambda s: None, max_attempts=1) as client:
        return client.place_call(request or user_call())


def test_wrong_api_key_is_auth_failed(sandbox):
    account = Account("demo-company", "demo-ivr", "wrong-key-1234", sandbox.config.secret_token, sandbox.url)
    outcome = _outcome_with(sandbox, account=account)
    assert (outcome.status, outcome.http_status, outcome.problem.code) == ("rejected", 403, "auth_failed")


def test_gateway_forbidden_is_auth_failed(sandbox):
    sandbox.config.invalid_key_style = "gateway"
    account = Account("demo-company", "demo-ivr", "wrong-key-1234", sandbox.config.secret_token, sandbox.url)
    assert _outcome_with(sandbox, account=account).problem.code == "auth_failed"


def test_wrong_secret_token_is_auth_failed(sandbox):
    account = Account("demo-company", "demo-ivr", sandbox.config.api_key, "wrong-secret-1234", sandbox.url)
    assert _outcome_with(sandbox, account=account).problem.code == "auth_failed"


def test_anonymous_dial_on_an_account_without_it_is_anonymous_disabled(sandbox):
    sandbox.config.anonymous_enabled = False
    request = CallRequest(kind=CallKind.ANONYMOUS, to=CUSTOMER, agent_number=AGENT)
    outcome = _outcome_with(sandbox, request)
    assert outcome.problem.code == "anonymous_disabled" and "support" in outcome.problem.action


def test_company_config_missing(sandbox):
    sandbox.config.config_missing_companies = ("demo-company",)
    outcome = _outcome_with(sandbox)
    assert (outcome.http_status, outcome.problem.code) == (500, "company_config_missing")


def test_number_without_plus_is_invalid_number(sandbox):
    # Built by hand to get past our own checks: the sandbox must refuse it like the real service.
    outcome = _outcome_with(sandbox, CallRequest(kind=CallKind.IVR, to="+91 98765"))
    assert outcome.problem.code == "invalid_number"


def test_reused_reference_id_on_a_fresh_call_is_a_duplicate_with_remaining_ttl(sandbox):
    assert _outcome_with(sandbox, user_call(reference_id="same")).accepted
    outcome = _outcome_with(sandbox, user_call(reference_id="same"))
    assert outcome.status == "rejected" and outcome.problem.code == "duplicate_reference"
    assert outcome.problem.remaining_ttl and outcome.problem.remaining_ttl > 0


def test_wrong_path_is_not_found(sandbox):
    account = Account("demo-company", "demo-ivr", "k" * 8, "s" * 8, sandbox.url.replace("obd-api-v1", "v2"))
    assert _outcome_with(sandbox, account=account).problem.code == "not_found"


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        ("rate_limit", "rate_limited", "rejected"),
        ("server_error", "server_error", "rejected"),
        ("html_502", "server_error", "failed"),  # a gateway error may have been processed
        ("malformed", "unexpected_response", "failed"),
        ("empty_200", "unexpected_response", "failed"),
        ("status_not_success", "unexpected_response", "failed"),
        ("drop_connection", "network", "failed"),
    ],
)
def test_faults_are_classified(sandbox, fault, code, status):
    setattr(sandbox.faults, fault, 1)
    outcome = _outcome_with(sandbox)
    assert (outcome.problem.code, outcome.status) == (code, status)
    assert outcome.problem.title and outcome.problem.explanation and outcome.problem.action


def test_slow_reply_is_a_timeout_with_unknown_outcome(sandbox):
    sandbox.faults.latency_s = 1.0
    with ObdClient(sandbox.account, timeouts=Timeouts(connect=2, read=0.2), max_attempts=1) as client:
        outcome = client.place_call(user_call())
    assert (outcome.status, outcome.problem.code) == ("failed", "timeout")


def test_connection_refused_is_network(sandbox):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    account = Account("c", "i", "key-xxxx", "secret-xxxx", f"http://127.0.0.1:{port}/obd-api-v1")
    outcome = _outcome_with(sandbox, account=account)
    assert (outcome.status, outcome.problem.code) == ("failed", "network")
    assert "refused" in outcome.problem.explanation


def test_https_to_a_plain_http_server_is_a_tls_failure(sandbox):
    account = Account("c", "i", "key-xxxx", "secret-xxxx", sandbox.url.replace("http://", "https://"))
    assert _outcome_with(sandbox, account=account).problem.code == "tls"


def test_dns_failure_is_explained_as_such():
    # A resolver failure cannot be produced offline without waiting on the resolver: built by hand.
    error = httpx.ConnectError("[Errno -2] Name or service not known")
    found = catalogue.classify_exception(error)
    assert found.code == "network" and "DNS" in found.explanation


def test_huge_answer_is_unexpected_not_a_crash():
    found = catalogue.classify_response(200, "x" * 50_000)
    assert found.code == "unexpected_response" and len(found.raw) <= catalogue.RAW_LIMIT


def test_retry_after_as_http_date_is_understood():
    assert catalogue.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert catalogue.parse_retry_after("7") == 7.0


def test_every_code_has_words():
    for code, text in catalogue.PROBLEMS.items():
        assert text.title and text.explanation and text.action, code


# -- safe retries: same reference_id, exactly once ---------------------------------------------------


def test_retry_after_a_dropped_connection_reuses_the_reference_id(sandbox):
    sandbox.faults.drop_connection = 1
    with client_for(sandbox) as client:
        outcome = client.place_call(user_call())
    assert outcome.accepted and outcome.attempts == 2 and not outcome.confirmed_by_duplicate
    references = {r.json["reference_id"] for r in sandbox.received}
    assert references == {outcome.reference_id}
    assert len(sandbox.accepted_calls) == 1


def test_a_lost_reply_is_confirmed_by_the_duplicate_answer_and_placed_once(sandbox):
    sandbox.faults.lose_reply = 1
    with client_for(sandbox) as client:
        outcome = client.place_call(user_call())
    assert outcome.accepted and outcome.confirmed_by_duplicate and outcome.attempts == 2
    assert [r.json["reference_id"] for r in sandbox.received] == [outcome.reference_id] * 2
    assert len(sandbox.accepted_calls) == 1


@pytest.mark.parametrize("error_format", ["text", "html"])
def test_a_lost_reply_then_a_non_json_duplicate_is_confirmed_not_not_authorised(error_format):
    """The vendor's words in a plain-text or HTML 403 still mean "the first attempt got through"."""
    from desktop_app.sandbox.server import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(error_format=error_format)) as server:
        server.faults.lose_reply = 1
        with client_for(server) as client:
            outcome = client.place_call(user_call())
        assert outcome.accepted and outcome.confirmed_by_duplicate and outcome.attempts == 2
        assert server.received[1].response_status == 403
        assert len(server.accepted_calls) == 1


def test_rate_limit_honours_retry_after_then_succeeds(sandbox):
    sandbox.faults.rate_limit, sandbox.faults.retry_after = 1, 3
    delays: list[float] = []
    with client_for(sandbox, delays=delays) as client:
        outcome = client.place_call(user_call())
    assert outcome.accepted and delays == [3.0]


def test_a_retry_after_over_the_cap_is_reported_not_waited_out(sandbox):
    """A click must not block for an hour: the answer says how long to wait, and nothing is re-sent."""
    sandbox.faults.rate_limit, sandbox.faults.retry_after = 1, 3600
    delays: list[float] = []
    with client_for(sandbox, delays=delays) as client:
        outcome = client.place_call(user_call())
    assert (outcome.status, outcome.problem.code) == ("rejected", "rate_limited")
    assert outcome.problem.retry_after == 3600.0
    assert delays == [] and len(sandbox.received) == 1


def test_server_errors_back_off_then_give_up_without_a_new_reference(sandbox):
    sandbox.faults.server_error = 5
    delays: list[float] = []
    with client_for(sandbox, delays=delays, max_attempts=3) as client:
        outcome = client.place_call(user_call())
    assert outcome.status == "rejected" and outcome.problem.code == "server_error"
    assert len(delays) == 2 and delays[1] > delays[0]
    assert len({r.json["reference_id"] for r in sandbox.received}) == 1


def test_permanent_rejections_are_not_retried(sandbox):
    sandbox.config.anonymous_enabled = False
    request = CallRequest(kind=CallKind.ANONYMOUS, to=CUSTOMER, agent_number=AGENT)
    with client_for(sandbox) as client:
        outcome = client.place_call(request)
    assert outcome.attempts == 1 and len(sandbox.received) == 1


def test_cancel_between_attempts_stops_retrying(sandbox):
    sandbox.faults.server_error = 5
    cancel = threading.Event()
    with ObdClient(sandbox.account, sleep=lambda s: cancel.set()) as client:
        outcome = client.place_call(user_call(), cancel)
    assert outcome.problem.code == "cancelled" and len(sandbox.received) == 1


# -- transport rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://obd-api.myoperator.co/obd-api-v1", "http://10.0.0.5/x", "ftp://x/y", "nonsense"]
)
def test_plain_http_to_another_computer_is_refused(url):
    with pytest.raises(UnsafeUrlError):
        validate_api_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://obd-api.myoperator.co/obd-api-v1",
        "http://127.0.0.1:8765/x",
        "http://localhost/x",
        "http://[::1]:1/x",
    ],
)
def test_https_and_loopback_http_are_allowed(url):
    assert validate_api_url(url) == url


def test_client_refuses_an_unsafe_url_before_any_connection():
    with pytest.raises(UnsafeUrlError):
        ObdClient(Account("c", "i", "key-xxxx", "secret-xxxx", "http://example.com/obd-api-v1"))


def test_resending_a_call_whose_outcome_was_unknown_confirms_it_instead_of_calling_again(sandbox):
    sandbox.faults.lose_reply = 3  # every answer is lost: the caller is left not knowing
    with client_for(sandbox) as client:
        unknown = client.place_call(user_call())
        assert unknown.status == "failed"
        again = client.place_call(unknown.request, resending=True)
    assert again.accepted and again.confirmed_by_duplicate
    assert len(sandbox.accepted_calls) == 1
