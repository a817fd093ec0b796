"""The logs and users client and the result poller against the sandbox over real HTTP: users, the
call log with its pages, every answer shape the reference allows, and a poller that asks gently."""

from __future__ import annotations

import time
from typing import Any

import pytest

from desktop_app.api.client import ObdClient
from desktop_app.api.logs import LogsClient, LogsError
from desktop_app.api.models import CallKind, CallRequest
from desktop_app.call_results import MIN_INTERVAL_S, ResultPoller, WaitingCall
from desktop_app.sandbox.server import (
    LOG_AGENT_NO_ANSWER,
    LOG_CUSTOMER_NO_ANSWER,
    LOG_NEVER_LOGGED,
    LOG_STARTS_EARLY,
)

ASHA = "a1b2c3d4e5f60718"
CUSTOMER = "+919000000021"  # fictional


@pytest.fixture
def logs(sandbox) -> Any:
    sandbox.config.log_delay_s = 0.0  # records at once: the tests control time themselves
    client = LogsClient(sandbox.config.logs_token, sandbox.logs_url)
    yield client
    client.close()


def place(sandbox, to: str, user_id: str = ASHA) -> WaitingCall:
    """A real user dial through the OBD client; the accepted call as the poller waits for it."""
    with ObdClient(sandbox.account) as client:
        outcome = client.place_call(CallRequest(CallKind.USER, to, user_id=user_id))
    assert outcome.accepted
    return WaitingCall(outcome.request.reference_id, to, "user", user_id, time.time())


def searches(sandbox) -> int:
    return sum(1 for r in sandbox.received if r.path == "/search")


def test_users_are_read_with_names_extensions_numbers_and_roles(logs):
    agents = {agent.user_id: agent for agent in logs.users()}
    asha = agents[ASHA]
    assert (asha.name, asha.extension, asha.number, asha.role) == (
        "Asha (demo agent)",
        "11",
        "9000000011",
        "Agent",
    )
    assert any(agent.role == "Manager" for agent in agents.values())
    assert asha.to_json() == {
        "user_id": ASHA,
        "name": "Asha (demo agent)",
        "extension": "11",
        "number": "9000000011",
        "role": "Agent",
    }


def test_the_call_log_is_read_page_by_page(sandbox, logs):
    for i in range(7):
        sandbox.add_log_record({"allcaller_id": f"r{i}", "caller_number": CUSTOMER, "event": 2, "status": 1,
                                "start_time": 1_781_600_000 + i})  # fmt: skip
    total, first = logs.search(1_781_600_000, 1_781_600_100, page_size=3)
    _, second = logs.search(1_781_600_000, 1_781_600_100, offset=3, page_size=3)
    assert total == 7 and len(first) == len(second) == 3
    assert {r.record_id for r in first}.isdisjoint(r.record_id for r in second)


def test_a_wrong_token_is_refused_in_words_and_marked_as_the_tokens_fault(sandbox):
    client = LogsClient("not-the-token-0000000000000000000", sandbox.logs_url)
    with pytest.raises(LogsError) as refused:
        client.users()
    client.close()
    assert refused.value.token and "refused the API token" in refused.value.reason


@pytest.mark.parametrize(
    "fault, words",
    [("status_error", "answered with an error (HTTP 200): Something went wrong"), ("non_json", "not JSON")],
)
def test_an_error_inside_http_200_or_a_page_that_is_not_json_is_an_error_not_a_result(
    sandbox, logs, fault, words
):
    sandbox.config.logs_fault = fault
    with pytest.raises(LogsError) as failed:
        logs.search(0, int(time.time()))
    assert words in failed.value.reason and not failed.value.token


def test_records_missing_what_matching_needs_are_left_out_and_duplicates_count_once(sandbox, logs):
    call = place(sandbox, CUSTOMER)
    sandbox.config.logs_fault = "duplicate_records"
    poller = ResultPoller(logs, min_interval_s=0)
    assert poller.tick([call])[call.reference_id].result == "answered"
    sandbox.config.logs_fault = "missing_fields"
    _, records = logs.search(0, int(time.time()) + 60)
    assert all(r.answered is None and r.agents == () for r in records)  # nothing invented


def test_a_recording_link_is_fresh_every_time(sandbox, logs):
    call = place(sandbox, CUSTOMER)
    result = ResultPoller(logs, min_interval_s=0).tick([call])[call.reference_id]
    assert result.recording
    first, second = logs.recording_link(result.recording), logs.recording_link(result.recording)
    assert first.startswith(sandbox.logs_url) and first != second


def test_placed_calls_get_their_results_and_say_how_they_were_matched(sandbox, logs):
    numbers = (CUSTOMER, LOG_CUSTOMER_NO_ANSWER, LOG_AGENT_NO_ANSWER, LOG_STARTS_EARLY, LOG_NEVER_LOGGED)
    calls = {number: place(sandbox, number) for number in numbers}
    found = ResultPoller(logs, min_interval_s=0).tick(list(calls.values()))
    result = {number: found.get(call.reference_id) for number, call in calls.items()}
    assert result[CUSTOMER].result == "answered" and result[CUSTOMER].talk_seconds == 42
    assert result[LOG_CUSTOMER_NO_ANSWER].words().startswith("Missed: the customer did not answer")
    assert result[LOG_AGENT_NO_ANSWER].words().startswith("Missed: the agent did not answer")
    assert result[LOG_STARTS_EARLY].result == "answered"  # its clock was 8 s behind ours
    assert result[LOG_NEVER_LOGGED] is None  # still pending: never "missed"
    assert {r.matched_by for r in found.values()} <= {"Reference ID", "number, agent and time"}
    assert "Reference ID" in {r.matched_by for r in found.values()}  # the sandbox fills _cri on every other


def test_a_call_never_logged_is_none_after_the_wait_not_missed(sandbox, logs):
    call = place(sandbox, LOG_NEVER_LOGGED)
    now = [time.time()]
    poller = ResultPoller(logs, wait_s=60, min_interval_s=0, clock=lambda: now[0])
    assert poller.tick([call]) == {}
    now[0] += 61
    assert poller.tick([call])[call.reference_id].words() == "No result in the call log"


def test_the_poller_asks_at_most_once_per_interval_and_backs_off_after_errors(sandbox, logs):
    call = place(sandbox, LOG_NEVER_LOGGED)
    now = [time.time()]
    poller = ResultPoller(logs, clock=lambda: now[0])
    for _ in range(50):  # a busy caller: 50 ticks within 5 seconds
        poller.tick([call])
        now[0] += 0.1
    assert searches(sandbox) == 1
    now[0] += MIN_INTERVAL_S
    poller.tick([call])
    assert searches(sandbox) == 2
    sandbox.config.logs_fault = "status_error"
    now[0] += MIN_INTERVAL_S
    poller.tick([call])
    assert poller.error is not None and poller.due_in() > MIN_INTERVAL_S  # waits longer after an error
    assert poller.tick([]) == {} and searches(sandbox) == 3  # nothing waiting: nothing asked


def test_one_query_covers_every_waiting_call(sandbox, logs):
    calls = [place(sandbox, f"+91900000003{i}") for i in range(4)]
    found = ResultPoller(logs, min_interval_s=0).tick(calls)
    assert len(found) == 4 and searches(sandbox) == 1
