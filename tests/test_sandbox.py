"""The sandbox plays MyOperator's OBD endpoint faithfully: checked over real HTTP with plain httpx."""

from __future__ import annotations

import argparse
import io
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import phonenumbers
import pytest

from desktop_app.api import catalogue
from desktop_app.api.models import CallKind, CallRequest, build_body, build_headers
from desktop_app.sandbox.server import (
    DEMO_TRIGGERS,
    Faults,
    SandboxConfig,
    SandboxServer,
    add_arguments,
    config_from_args,
    describe,
    describe_json,
    request_printer,
    run_cli,
)
from tests import strict_json

CUSTOMER = "+919876543210"
AGENT = "+919812345678"
USER_ID = "a1b2c3d4e5f60718"


class Clock:
    """An injectable clock for the duplicate window."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module (building one costs an SSL context).

    trust_env=False: a proxy from the environment must not sit between the test and loopback.
    """
    with httpx.Client(trust_env=False, timeout=5) as client:
        yield client


def body_for(server: SandboxServer, kind: CallKind = CallKind.IVR, **changes: Any) -> dict[str, Any]:
    request = CallRequest(
        kind,
        CUSTOMER,
        user_id=USER_ID if kind is CallKind.USER else None,
        agent_number=AGENT if kind is CallKind.ANONYMOUS else None,
    )
    body = build_body(request, server.account)
    for name, value in changes.items():
        if value is DROP:
            body.pop(name, None)
        else:
            body[name] = value
    return body


DROP = object()  # marks a field to leave out of the body


def post(
    http: httpx.Client,
    server: SandboxServer,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    url: str | None = None,
) -> httpx.Response:
    sent_headers = build_headers(server.account) if headers is None else headers
    data = content if content is not None else json.dumps(body).encode()
    return http.post(url or server.url, content=data, headers=sent_headers)


def error(status: int, details: str, **extra: Any) -> dict[str, Any]:
    return {"status": "error", "code": str(status), "details": details, **extra}


# ---- accepted calls ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(CallKind))
def test_each_call_kind_is_accepted_with_the_observed_success_shape(sandbox, http, kind):
    body = body_for(sandbox, kind)
    response = post(http, sandbox, body)

    assert response.status_code == 200
    answer = response.json()
    assert answer["details"] == "Request accepted successfully"
    assert answer["status"] == "success"
    assert answer["code"] == "200"
    assert answer["reference_id"] == body["reference_id"]
    int(answer["unique_id"], 16)  # hex
    assert sandbox.accepted_calls == [body]


def test_received_records_method_path_headers_and_body(sandbox, http):
    body = body_for(sandbox, CallKind.USER, max_call_duration=60)
    post(http, sandbox, body)

    (record,) = sandbox.received
    assert (record.method, record.path) == ("POST", "/obd-api-v1")
    assert record.headers["x-api-key"] == sandbox.config.api_key
    assert record.headers["content-type"] == "application/json"
    assert record.json == body
    assert json.loads(record.body_text) == body
    assert record.accepted is True
    assert record.response_status == 200
    assert record.fault is None


def test_optional_fields_of_the_right_types_are_accepted(sandbox, http):
    body = body_for(sandbox, region="north", group="sales", caller_id="+911140000000", max_call_duration=5400)
    body["call_hold"] = True
    assert post(http, sandbox, body).status_code == 200


def test_a_request_without_reference_id_is_accepted_every_time(sandbox, http):
    body = body_for(sandbox, reference_id=DROP)
    first, second = post(http, sandbox, body), post(http, sandbox, body)

    assert first.status_code == second.status_code == 200
    assert first.json()["reference_id"] is None
    assert len(sandbox.accepted_calls) == 2


def test_the_account_points_at_the_running_server(sandbox):
    account = sandbox.account
    assert account.api_url == sandbox.url
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert sandbox.url.endswith("/obd-api-v1")
    assert (account.company_id, account.public_ivr_id) == ("demo-company", "demo-ivr")


# ---- refusals, in the order the service applies them ---------------------------------------------
def test_a_wrong_path_is_404(sandbox, http):
    url = sandbox.url.replace("/obd-api-v1", "/obd-api-v2")
    assert post(http, sandbox, body_for(sandbox), url=url).status_code == 404


def test_a_wrong_method_is_refused(sandbox, http):
    assert http.get(sandbox.url).status_code == 405


def test_a_missing_api_key_gets_the_gateway_forbidden(sandbox, http):
    response = post(http, sandbox, body_for(sandbox), headers={"Content-Type": "application/json"})
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_a_wrong_api_key_gets_invalid_api_key(sandbox, http):
    headers = {"x-api-key": "not-the-key", "Content-Type": "application/json"}
    response = post(http, sandbox, body_for(sandbox), headers=headers)
    assert response.status_code == 403
    assert response.json() == error(403, "Invalid API Key")


def test_a_wrong_api_key_can_get_the_gateway_shape_instead(http):
    with SandboxServer(SandboxConfig(invalid_key_style="gateway")) as server:
        headers = {"x-api-key": "not-the-key", "Content-Type": "application/json"}
        response = post(http, server, body_for(server), headers=headers)
    assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})


def test_the_api_key_is_checked_before_the_body(sandbox, http):
    response = post(http, sandbox, headers={"x-api-key": "wrong"}, content=b"not json")
    assert response.status_code == 403


@pytest.mark.parametrize("content", [b"not json", b'{"company_id": ', "\u00e9".encode("latin-1")])
def test_a_body_that_is_not_json_is_400(sandbox, http, content):
    response = post(http, sandbox, content=content)
    assert response.status_code == 400
    assert response.json()["status"] == "error"


def test_a_json_body_that_is_not_an_object_is_400(sandbox, http):
    response = post(http, sandbox, [1, 2])
    assert (response.status_code, response.json()["details"]) == (400, "[1, 2] is not of type 'object'")


@pytest.mark.parametrize("missing", ["company_id", "secret_token", "type", "number", "public_ivr_id"])
def test_a_missing_required_field_is_400_with_validator_text(sandbox, http, missing):
    response = post(http, sandbox, body_for(sandbox, **{missing: DROP}))
    assert response.status_code == 400
    assert response.json()["details"] == f"'{missing}' is a required property"


def test_a_wrong_secret_token_is_403(sandbox, http):
    response = post(http, sandbox, body_for(sandbox, secret_token="wrong", number="12"))
    assert response.status_code == 403
    assert response.json()["status"] == "error"


def test_an_unknown_company_is_403(sandbox, http):
    response = post(http, sandbox, body_for(sandbox, company_id="someone-else"))
    assert response.status_code == 403


def test_a_company_without_configuration_is_500_config_missing(sandbox, http):
    sandbox.config.config_missing_companies = ("demo-company",)
    response = post(http, sandbox, body_for(sandbox, max_call_duration="60"))
    assert response.status_code == 500
    assert response.json() == error(500, "Company Config Missing")


def test_a_listed_company_exists_but_lacks_configuration(sandbox, http):
    sandbox.config.config_missing_companies = ("half-set-up",)
    response = post(http, sandbox, body_for(sandbox, company_id="half-set-up"))
    assert (response.status_code, response.json()["details"]) == (500, "Company Config Missing")


def test_an_unknown_public_ivr_id_is_500_config_missing(sandbox, http):
    response = post(http, sandbox, body_for(sandbox, public_ivr_id="other-campaign"))
    assert response.status_code == 500
    assert response.json() == error(500, "Company Config Missing")


@pytest.mark.parametrize(
    ("changes", "details"),
    [
        ({"max_call_duration": "60"}, "'60' is not of type 'integer'"),
        ({"max_call_duration": 60.5}, "60.5 is not of type 'integer'"),
        ({"max_call_duration": True}, "True is not of type 'integer'"),
        ({"max_call_duration": 0}, "0 is less than the minimum of 1"),
        ({"max_call_duration": 5401}, "5401 is greater than the maximum of 5400"),
        ({"call_hold": "yes"}, "'yes' is not of type 'boolean'"),
        ({"reference_id": 42}, "42 is not of type 'string'"),
        ({"type": 2}, "2 is not of type 'string'"),
        ({"type": "3"}, "'3' is not one of ['1', '2']"),
        ({"region": None}, "None is not of type 'string'"),
        ({"company_id": 7}, "7 is not of type 'string'"),
    ],
)
def test_field_types_are_checked_like_a_json_schema(sandbox, http, changes, details):
    response = post(http, sandbox, body_for(sandbox, **changes))
    assert response.status_code == 400
    assert response.json() == error(400, details)


@pytest.mark.parametrize("number", ["9876543210", "919876543210", 919876543210, "0091 98765 43210"])
def test_a_number_without_plus_is_refused_as_not_a_valid_number_string(sandbox, http, number):
    response = post(http, sandbox, body_for(sandbox, number=number))
    assert response.status_code == 400
    assert response.json() == error(400, "Provide valid Number in string format")


@pytest.mark.parametrize("number", ["+91 98765 43210", "+91abc", "+0919876543210", "+9112"])
def test_a_malformed_e164_number_is_invalid_number_format(sandbox, http, number):
    response = post(http, sandbox, body_for(sandbox, number=number))
    assert response.status_code == 400
    assert response.json() == error(400, "Invalid Number Format")


def test_a_peer_to_peer_call_needs_a_user_id_or_an_agent_number(sandbox, http):
    response = post(http, sandbox, body_for(sandbox, type="1"))
    assert response.status_code == 400


def test_a_peer_to_peer_call_takes_user_id_or_agent_number_not_both(sandbox, http):
    response = post(http, sandbox, body_for(sandbox, CallKind.USER, number_2=AGENT))
    assert response.status_code == 400


def test_a_user_id_must_be_16_hex_characters(sandbox, http):
    response = post(http, sandbox, body_for(sandbox, CallKind.USER, user_id="agent-7"))
    assert response.status_code == 400
    assert "does not match" in response.json()["details"]


def test_a_user_id_must_belong_to_the_company(sandbox, http):
    response = post(http, sandbox, body_for(sandbox, CallKind.USER, user_id="ffffffffffffffff"))
    assert response.status_code == 400
    assert "user_id" in response.json()["details"]


def test_the_agent_number_must_be_e164_too(sandbox, http):
    response = post(http, sandbox, body_for(sandbox, CallKind.ANONYMOUS, number_2="9812345678"))
    assert response.status_code == 400
    assert "Invalid Number Format" in response.json()["details"]


def test_anonymous_dial_is_403_when_the_feature_is_off_with_the_real_typo(sandbox, http):
    sandbox.config.anonymous_enabled = False
    response = post(http, sandbox, body_for(sandbox, CallKind.ANONYMOUS))
    assert response.status_code == 403
    assert response.json() == error(403, "annonymous dial is not enabled for this company")


def test_user_dial_and_ivr_calls_still_work_without_the_anonymous_feature(sandbox, http):
    sandbox.config.anonymous_enabled = False
    assert post(http, sandbox, body_for(sandbox, CallKind.USER)).status_code == 200
    assert post(http, sandbox, body_for(sandbox, CallKind.IVR)).status_code == 200


def test_refused_requests_are_recorded_but_not_accepted(sandbox, http):
    post(http, sandbox, body_for(sandbox, number="12345"))
    (record,) = sandbox.received
    assert (record.accepted, record.response_status) == (False, 400)
    assert sandbox.accepted_calls == []


# ---- duplicate reference_id ----------------------------------------------------------------------
def test_a_reused_reference_id_is_403_already_taken_with_remaining_ttl(http):
    clock = Clock()
    with SandboxServer(SandboxConfig(now=clock, duplicate_ttl_s=100)) as server:
        body = body_for(server)
        assert post(http, server, body).status_code == 200
        clock.now += 30.5
        response = post(http, server, body)
        assert response.status_code == 403
        assert response.json() == error(403, "Reference ID already taken", remaining_ttl=70)
        assert len(server.accepted_calls) == 1


def test_a_reference_id_is_free_again_after_the_ttl(http):
    clock = Clock()
    with SandboxServer(SandboxConfig(now=clock, duplicate_ttl_s=100)) as server:
        body = body_for(server)
        assert post(http, server, body).status_code == 200
        clock.now += 100
        assert post(http, server, body).status_code == 200
        assert len(server.accepted_calls) == 2


def test_the_default_window_is_48_hours(sandbox, http):
    body = body_for(sandbox)
    post(http, sandbox, body)
    assert post(http, sandbox, body).json()["remaining_ttl"] == 172800


def test_a_refused_request_does_not_use_up_its_reference_id(sandbox, http):
    body = body_for(sandbox)
    assert post(http, sandbox, {**body, "number": "98765"}).status_code == 400
    assert post(http, sandbox, body).status_code == 200


# ---- faults --------------------------------------------------------------------------------------
def test_a_dropped_connection_answers_nothing_and_accepts_nothing(sandbox, http):
    sandbox.faults.drop_connection = 1
    with pytest.raises(httpx.RemoteProtocolError):
        post(http, sandbox, body_for(sandbox))

    (record,) = sandbox.received
    assert (record.accepted, record.response_status, record.fault) == (False, None, "drop_connection")
    assert sandbox.accepted_calls == []
    assert sandbox.faults.drop_connection == 0
    assert post(http, sandbox, body_for(sandbox)).status_code == 200


def test_a_lost_reply_accepts_the_call_then_the_retry_is_told_already_taken(sandbox, http):
    sandbox.faults.lose_reply = 1
    body = body_for(sandbox)
    with pytest.raises(httpx.RemoteProtocolError):
        post(http, sandbox, body)
    assert sandbox.accepted_calls == [body]
    assert sandbox.received[0].accepted is True
    assert sandbox.received[0].response_status is None

    retry = post(http, sandbox, body)
    assert retry.status_code == 403
    assert retry.json()["details"] == "Reference ID already taken"
    assert len(sandbox.accepted_calls) == 1


def test_a_lost_reply_on_a_refused_request_accepts_nothing(sandbox, http):
    sandbox.faults.lose_reply = 1
    with pytest.raises(httpx.RemoteProtocolError):
        post(http, sandbox, body_for(sandbox, secret_token="wrong"))
    assert sandbox.accepted_calls == []


@pytest.mark.parametrize(
    ("fault", "status", "content_type"),
    [
        ("server_error", 500, "application/json"),
        ("rate_limit", 429, "application/json"),
        ("html_502", 502, "text/html"),
        ("malformed", 200, "application/json"),
        ("empty_200", 200, "application/json"),
        ("status_not_success", 200, "application/json"),
    ],
)
def test_each_answering_fault_replies_once_without_accepting(sandbox, http, fault, status, content_type):
    setattr(sandbox.faults, fault, 1)
    response = post(http, sandbox, body_for(sandbox))

    assert response.status_code == status
    assert response.headers["content-type"] == content_type
    assert sandbox.accepted_calls == []
    assert sandbox.received[0].fault == fault
    assert getattr(sandbox.faults, fault) == 0
    assert post(http, sandbox, body_for(sandbox)).status_code == 200


def test_rate_limit_carries_retry_after(sandbox, http):
    sandbox.faults.rate_limit = 1
    sandbox.faults.retry_after = 2
    response = post(http, sandbox, body_for(sandbox))
    assert response.headers["retry-after"] == "2"


def test_the_garbage_faults_are_not_json_or_not_success(sandbox, http):
    sandbox.faults.malformed = sandbox.faults.empty_200 = sandbox.faults.status_not_success = 1
    sandbox.faults.html_502 = 1
    html, garbage, empty, not_success = (post(http, sandbox, body_for(sandbox)) for _ in range(4))

    assert "<h1>502 Bad Gateway</h1>" in html.text
    with pytest.raises(ValueError):
        garbage.json()
    assert empty.content == b""
    assert not_success.json()["status"] == "error"


def test_several_counted_faults_play_in_sequence(sandbox, http):
    sandbox.faults.server_error = 2
    sandbox.faults.rate_limit = 1
    statuses = [post(http, sandbox, body_for(sandbox)).status_code for _ in range(4)]
    assert statuses == [500, 500, 429, 200]


def test_latency_delays_the_answer_after_the_call_was_accepted(sandbox):
    sandbox.faults.latency_s = 30
    body = body_for(sandbox)
    with httpx.Client(trust_env=False, timeout=0.2) as impatient, pytest.raises(httpx.ReadTimeout):
        post(impatient, sandbox, body)
    assert sandbox.accepted_calls == [body]  # the classic "timeout after success"


def test_faults_clear_back_to_defaults():
    faults = Faults(server_error=3, latency_s=1.5, retry_after=9)
    faults.clear()
    assert faults == Faults()


# ---- demo triggers -------------------------------------------------------------------------------
def test_demo_trigger_numbers_are_valid_distinct_mobile_numbers():
    numbers = [number for number, _, _ in DEMO_TRIGGERS]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number


REFUSING_TRIGGERS = [t for t in DEMO_TRIGGERS if t.problem not in ("accepted", "network")]


@pytest.mark.parametrize("trigger", REFUSING_TRIGGERS, ids=lambda t: t.number)
def test_each_refusing_demo_trigger_shows_its_problem(sandbox, http, trigger):
    sandbox.faults.retry_after = 0
    response = post(http, sandbox, body_for(sandbox, number=trigger.number))

    found = catalogue.classify_response(response.status_code, response.text, response.headers)
    assert found is not None
    assert found.code == trigger.problem
    assert sandbox.accepted_calls == []


def test_the_dropping_demo_trigger_answers_nothing(sandbox, http):
    (trigger,) = [t for t in DEMO_TRIGGERS if t.problem == "network"]
    with pytest.raises(httpx.RemoteProtocolError):
        post(http, sandbox, body_for(sandbox, number=trigger.number))
    assert sandbox.accepted_calls == []


def test_the_slow_demo_trigger_accepts_after_a_delay(http):
    (trigger,) = [t for t in DEMO_TRIGGERS if "takes" in t.behaviour]
    with SandboxServer(SandboxConfig(slow_reply_s=0.05)) as server:
        response = post(http, server, body_for(server, number=trigger.number))
        assert response.json()["status"] == "success"


def test_the_lost_reply_demo_trigger_accepts_once_and_the_retry_confirms_it(sandbox, http):
    (trigger,) = [t for t in DEMO_TRIGGERS if "lost" in t.behaviour]
    body = body_for(sandbox, number=trigger.number)
    with pytest.raises(httpx.RemoteProtocolError):
        post(http, sandbox, body)
    retry = post(http, sandbox, body)

    assert catalogue.classify_response(retry.status_code, retry.text).code == "duplicate_reference"
    assert sandbox.accepted_calls == [body]


def test_demo_triggers_can_be_switched_off(http):
    with SandboxServer(SandboxConfig(demo_triggers_enabled=False)) as server:
        for number, _, _ in DEMO_TRIGGERS:
            assert post(http, server, body_for(server, number=number)).status_code == 200


# ---- lifecycle and concurrency -------------------------------------------------------------------
def handler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("opdial-sandbox")]


def test_start_and_stop_without_a_with_block(http):
    server = SandboxServer()
    assert not server.running
    with pytest.raises(RuntimeError):
        _ = server.url
    server.start()
    try:
        assert post(http, server, body_for(server)).status_code == 200
    finally:
        server.stop()
    assert not server.running
    server.stop()  # harmless twice


def test_stop_closes_idle_keep_alive_connections_and_leaves_no_threads(http):
    server = SandboxServer().start()
    url, body = server.url, body_for(server)
    post(http, server, body)  # the client keeps this connection open
    server.stop()

    assert handler_threads() == []
    with pytest.raises(httpx.TransportError):
        http.post(url, json=body)


def test_stop_interrupts_a_reply_held_back_by_latency():
    server = SandboxServer().start()
    server.faults.latency_s = 60
    failures: list[Exception] = []

    def waiting_client() -> None:
        with httpx.Client(trust_env=False, timeout=120) as client:
            try:
                post(client, server, body_for(server))
            except httpx.TransportError as exc:
                failures.append(exc)

    caller = threading.Thread(target=waiting_client)
    caller.start()
    while not server.received:
        threading.Event().wait(0.01)
    server.stop()
    caller.join()

    assert len(failures) == 1  # dropped at shutdown instead of answered a minute late
    assert handler_threads() == []


def test_many_parallel_requests_are_all_answered(sandbox, http):
    bodies = [body_for(sandbox) for _ in range(60)]
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda body: post(http, sandbox, body).status_code, bodies))

    assert statuses == [200] * 60
    assert len(sandbox.accepted_calls) == 60
    assert len(sandbox.received) == 60


def test_parallel_requests_with_one_reference_id_are_accepted_exactly_once(sandbox, http):
    body = body_for(sandbox)
    with ThreadPoolExecutor(12) as pool:
        statuses = sorted(pool.map(lambda _: post(http, sandbox, body).status_code, range(24)))

    assert statuses == [200] + [403] * 23
    assert sandbox.accepted_calls == [body]


def test_reset_forgets_everything(sandbox, http):
    body = body_for(sandbox)
    post(http, sandbox, body)
    sandbox.faults.server_error = 5
    sandbox.reset()

    assert (sandbox.received, sandbox.accepted_calls, sandbox.faults) == ([], [], Faults())
    assert post(http, sandbox, body).status_code == 200


def test_binding_beyond_loopback_needs_explicit_permission():
    with pytest.raises(ValueError, match="non-loopback"):
        SandboxServer(SandboxConfig(host="0.0.0.0")).start()


def test_on_request_sees_every_record(http):
    seen = []
    with SandboxServer(on_request=seen.append) as server:
        post(http, server, body_for(server))
    assert [r.response_status for r in seen] == [200]


# ---- error answers as JSON, plain text or HTML ---------------------------------------------------
def _request(server: SandboxServer, kind: CallKind = CallKind.IVR, **changes: Any) -> dict[str, Any]:
    return {"body": body_for(server, kind, **changes)}


def _duplicate(server: SandboxServer) -> dict[str, Any]:
    body = body_for(server)
    server._accept(dict(body))  # the first use of the reference_id, straight into the books
    return {"body": body}


def _anonymous_off(server: SandboxServer) -> dict[str, Any]:
    server.config.anonymous_enabled = False
    return {"body": body_for(server, CallKind.ANONYMOUS)}


def _fault(name: str) -> Callable[[SandboxServer], dict[str, Any]]:
    def setup(server: SandboxServer) -> dict[str, Any]:
        setattr(server.faults, name, 1)
        server.faults.retry_after = 0
        return {"body": body_for(server)}

    return setup


def _trigger(number: str) -> Callable[[SandboxServer], dict[str, Any]]:
    return lambda server: _request(server, number=number)


# Every error the sandbox answers with: (name, how to provoke it, the code the app must show).
ERROR_SCENARIOS: list[tuple[str, Callable[[SandboxServer], dict[str, Any]], str]] = [
    (
        "missing-key",
        lambda s: {"body": body_for(s), "headers": {"Content-Type": "application/json"}},
        "auth_failed",
    ),
    ("wrong-key", lambda s: {"body": body_for(s), "headers": {"x-api-key": "wrong-key-1234"}}, "auth_failed"),
    ("not-json", lambda s: {"content": b"number=+919876543210"}, "bad_request"),
    ("missing-field", lambda s: _request(s, number=DROP), "bad_request"),
    ("wrong-secret", lambda s: _request(s, secret_token="wrong-secret"), "auth_failed"),
    ("unknown-company", lambda s: _request(s, company_id="someone-else"), "auth_failed"),
    ("unknown-ivr", lambda s: _request(s, public_ivr_id="no-such-ivr"), "company_config_missing"),
    ("duration-as-text", lambda s: _request(s, max_call_duration="300"), "bad_request"),
    ("number-without-plus", lambda s: _request(s, number="919876543210"), "invalid_number"),
    ("number-malformed", lambda s: _request(s, number="+91-98765"), "invalid_number"),
    ("bad-user-id", lambda s: _request(s, CallKind.USER, user_id="nothex"), "bad_request"),
    ("anonymous-off", _anonymous_off, "anonymous_disabled"),
    ("duplicate", _duplicate, "duplicate_reference"),
    ("wrong-path", lambda s: {"body": body_for(s), "url": s.url + "/nowhere"}, "not_found"),
    ("fault-500", _fault("server_error"), "server_error"),
    ("fault-429", _fault("rate_limit"), "rate_limited"),
    ("fault-502", _fault("html_502"), "server_error"),
    *((f"trigger-{t.number[-3:]}", _trigger(t.number), t.problem) for t in REFUSING_TRIGGERS),
]


@pytest.mark.parametrize("error_format", ["json", "text", "html"])
@pytest.mark.parametrize(("name", "provoke", "code"), ERROR_SCENARIOS, ids=[n for n, _, _ in ERROR_SCENARIOS])
def test_every_error_is_classified_the_same_in_every_body_format(http, error_format, name, provoke, code):
    with SandboxServer(SandboxConfig(error_format=error_format)) as server:
        response = post(http, server, **provoke(server))
        assert server.accepted_calls == [] or name == "duplicate"

    found = catalogue.classify_response(response.status_code, response.text, response.headers)
    assert found is not None and found.code == code
    if response.status_code >= 400 and response.status_code != 502:  # the 502 is always an HTML page
        expected_type = {"json": "application/json", "text": "text/plain", "html": "text/html"}[error_format]
        assert response.headers["content-type"].startswith(expected_type)


def test_a_plain_text_error_carries_the_words_and_extra_fields():
    with SandboxServer(SandboxConfig(error_format="text")) as server, httpx.Client(trust_env=False) as http:
        response = post(http, server, **_duplicate(server))
    assert response.status_code == 403
    assert response.text.splitlines()[0] == "Reference ID already taken"
    assert "remaining_ttl: " in response.text


def test_an_html_error_is_a_page_with_the_status_and_the_words_escaped(http):
    with SandboxServer(SandboxConfig(error_format="html")) as server:
        response = post(http, server, body_for(server, type="3"))
    assert response.text.startswith("<!DOCTYPE html>")
    assert "<title>400 Bad Request</title>" in response.text
    assert "&#x27;3&#x27; is not one of [&#x27;1&#x27;, &#x27;2&#x27;]" in response.text


def test_successes_stay_json_in_every_format(http):
    with SandboxServer(SandboxConfig(error_format="text")) as server:
        assert post(http, server, body_for(server)).json()["status"] == "success"


def test_an_unknown_error_format_is_refused_at_start():
    with pytest.raises(ValueError, match="error format"):
        SandboxServer(SandboxConfig(error_format="xml")).start()


# ---- opdial-cli sandbox --------------------------------------------------------------------------
def parse_cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_cli_options_map_onto_the_config():
    config = config_from_args(parse_cli("--port", "0", "--no-anonymous", "--config-missing"))
    assert (config.host, config.port, config.anonymous_enabled) == ("127.0.0.1", 0, False)
    assert config.config_missing_companies == (config.company_id,)
    assert config.allow_non_loopback is False


def test_cli_allows_another_host_only_when_given_explicitly():
    assert config_from_args(parse_cli("--host", "0.0.0.0")).allow_non_loopback is True


def test_the_banner_gives_url_fake_credentials_env_vars_and_demo_numbers(sandbox):
    banner = "\n".join(describe(sandbox))
    assert sandbox.url in banner
    assert f"export OPDIAL_API_URL={sandbox.url}" in banner
    assert "export OPDIAL_SECRET_TOKEN=sandbox-secret-0000" in banner
    assert f"export OPDIAL_USER_ID={USER_ID}" in banner
    for number, _, _ in DEMO_TRIGGERS:
        assert number in banner


def test_the_banner_speaks_powershell_on_windows(sandbox):
    banner = list(describe(sandbox, windows=True))
    assert f'  $env:OPDIAL_API_URL = "{sandbox.url}"' in banner


def test_the_json_banner_is_one_object_with_url_environment_and_triggers(sandbox):
    banner = json.loads(json.dumps(describe_json(sandbox)))
    assert banner["url"] == sandbox.url
    assert banner["environment"]["OPDIAL_COMPANY_ID"] == "demo-company"
    assert [t["number"] for t in banner["demo_triggers"]] == [t.number for t in DEMO_TRIGGERS]


def test_the_cli_exits_2_when_the_port_is_taken(sandbox, capsys):
    assert run_cli(parse_cli("--port", str(sandbox.port))) == 2
    assert "cannot start" in capsys.readouterr().err


def test_the_sandbox_also_listens_on_ipv6_loopback(http):
    try:
        server = SandboxServer(SandboxConfig(host="::1")).start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with server:
        assert server.url.startswith("http://[::1]:")
        assert post(http, server, body_for(server)).status_code == 200


def sandbox_process(*options: str, **popen: Any) -> subprocess.Popen:
    """``python -m desktop_app.sandbox`` (the same code as ``opdial-cli sandbox``) as a child process."""
    command = [sys.executable, "-m", "desktop_app.sandbox", "--port", "0", *options]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def call_with_demo_credentials(http: httpx.Client, url: str, reference_id: str) -> httpx.Response:
    config = SandboxConfig()
    body = {
        "company_id": config.company_id,
        "secret_token": config.secret_token,
        "type": "2",
        "number": CUSTOMER,
        "public_ivr_id": config.public_ivr_id,
        "reference_id": reference_id,
    }
    return http.post(url, json=body, headers={"x-api-key": config.api_key})


def interrupt(process: subprocess.Popen) -> str:
    """Ctrl+C, then the rest of stdout."""
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=10)[0]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


posix_only = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX-only")


@posix_only
def test_the_cli_serves_until_interrupted_and_logs_requests_without_secrets(http):
    process = sandbox_process()
    url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
    while "Ctrl+C" not in process.stdout.readline():
        pass
    assert call_with_demo_credentials(http, url, "cli-test-1").status_code == 200
    log_line = process.stdout.readline()
    rest = interrupt(process)

    assert process.returncode == 0
    assert "200 accepted" in log_line
    assert "reference_id=cli-test-1" in log_line
    config = SandboxConfig()
    assert config.secret_token not in log_line + rest
    assert config.api_key not in log_line + rest


@posix_only
def test_the_cli_speaks_json_lines_when_asked(http):
    process = sandbox_process("--json")
    banner = strict_json.loads(process.stdout.readline())
    call_with_demo_credentials(http, banner["url"], "cli-test-2")
    logged = strict_json.loads(process.stdout.readline())
    interrupt(process)

    assert process.returncode == 0
    assert logged == {
        "method": "POST",
        "path": "/obd-api-v1",
        "status": 200,
        "accepted": True,
        "fault": None,
        "type": "2",
        "number": CUSTOMER,
        "reference_id": "cli-test-2",
    }


@posix_only
def test_the_json_request_log_writes_each_request_as_one_whole_line_under_concurrency(http):
    process = sandbox_process("--json")
    url = strict_json.loads(process.stdout.readline())["url"]
    count = 200
    with ThreadPoolExecutor(16) as pool:
        statuses = list(
            pool.map(lambda i: call_with_demo_credentials(http, url, f"par-{i}").status_code, range(count))
        )
    rest = interrupt(process)

    assert statuses == [200] * count
    lines = rest.splitlines()
    logged = [strict_json.loads(line) for line in lines]  # a shared or broken line does not parse
    assert sorted(entry["reference_id"] for entry in logged) == sorted(f"par-{i}" for i in range(count))


class SlowStream(io.StringIO):
    """A stream that yields to other threads inside every write, as a busy pipe does: two writes
    for one line (``print``) would then interleave with another thread's line."""

    def write(self, text: str) -> int:
        written = super().write(text)
        time.sleep(0.001)
        return written


def test_the_request_printer_never_shares_a_line_between_threads(sandbox, http):
    post(http, sandbox, body_for(sandbox))
    (record,) = sandbox.received
    stream = SlowStream()
    show = request_printer(True, stream)
    threads = [threading.Thread(target=lambda: [show(record) for _ in range(20)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = stream.getvalue().splitlines()
    assert len(lines) == 160
    assert all(strict_json.loads(line)["status"] == 200 for line in lines)


def ignore_sigint() -> None:
    """What a shell does to a background job (``sandbox &``) in a non-interactive script."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@posix_only
def test_sigint_stops_the_sandbox_even_when_started_with_sigint_ignored(http):
    process = sandbox_process("--json", preexec_fn=ignore_sigint)
    url = strict_json.loads(process.stdout.readline())["url"]
    assert call_with_demo_credentials(http, url, "bg-1").status_code == 200
    process.stdout.readline()  # the request's log line: the server is serving
    interrupt(process)

    assert process.returncode == 0


def test_run_cli_leaves_the_sigint_handler_as_it_found_it(sandbox, capsys):
    before = signal.getsignal(signal.SIGINT)
    assert run_cli(parse_cli("--port", str(sandbox.port))) == 2
    assert signal.getsignal(signal.SIGINT) is before


def test_cli_error_format_and_echo_options_map_onto_the_config():
    config = config_from_args(parse_cli("--error-format", "html", "--echo-secrets"))
    assert (config.error_format, config.echo_secrets) == ("html", True)
    assert config_from_args(parse_cli()).error_format == "json"
    with pytest.raises(SystemExit):
        parse_cli("--error-format", "xml")
