"""Matching accepted calls to the company's call log: every rule, the ambiguous cases, and never a
wrong result (a call without its record is pending, then "none", never "missed").

Records here are built as the log writes them (``record_from_json`` on ``_source`` dicts), so the
parsing the matching relies on is part of the specification.
"""

from __future__ import annotations

from typing import Any

import pytest

from desktop_app.api.logs import LogRecord, parse_duration, record_from_json
from desktop_app.call_results import START_SLACK_S, WaitingCall, match

T0 = 1_781_600_000  # a fixed UTC second
AGENT = "a1b2c3d4e5f60718"
OTHER_AGENT = "b2c3d4e5f6071829"
CUSTOMER = "+919000000021"  # fictional


def source(
    record_id: str,
    start: int,
    *,
    number: str = CUSTOMER,
    agent: str = AGENT,
    answered: bool = True,
    agent_answered: bool = True,
    event: int = 2,
    cri: str = "",
    talk: str = "00:00:42",
) -> dict[str, Any]:
    return {
        "allcaller_id": record_id,
        "caller_number_raw": number[-10:],
        "caller_number": number,
        "event": event,
        "status": 1 if answered else 2,
        "start_time": start,
        "end_time": start + 60,
        "duration": "00:01:00",
        "filename": f"{record_id}-v2.mp3" if answered else "",
        "log_details": [
            {
                "received_by": [{"user_id": agent, "name": "Agent", "extension": "11"}],
                "action": "received" if agent_answered else "missed",
                "_ds": "ANSWER" if agent_answered else "NOANSWER",
                "duration": talk if answered else "00:00:00",
            }
        ],
        "_us": [{"ky": agent, "vl": "received" if agent_answered else "missed"}],
        "_cri": cri,
        "_ri": "",
    }


def records(*sources: dict[str, Any]) -> list[LogRecord]:
    parsed = [record_from_json(s) for s in sources]
    assert all(r is not None for r in parsed)
    return parsed  # type: ignore[return-value]


def user_call(reference: str, accepted_at: float, number: str = CUSTOMER, agent: str = AGENT) -> WaitingCall:
    return WaitingCall(reference, number, "user", agent, accepted_at)


def test_a_record_carrying_the_reference_id_is_that_calls_whatever_else_it_says():
    call = user_call("opd-1", T0)
    found = match([call], records(source("r1", T0 - 600, number="+919000000099", cri="opd-1")))
    assert found["opd-1"].record_id == "r1" and found["opd-1"].matched_by == "Reference ID"


def test_without_a_reference_the_same_number_agent_and_time_match_and_say_so():
    found = match([user_call("opd-1", T0)], records(source("r1", T0 + 3)))
    result = found["opd-1"]
    assert (result.result, result.talk_seconds, result.agent_answered) == ("answered", 42, True)
    assert result.matched_by == "number, agent and time" and result.recording == "r1-v2.mp3"
    assert result.words() == "Answered · talked 0:42 · matched by number, agent and time"


def test_numbers_match_by_their_last_ten_digits_national_or_international():
    national = source("r1", T0 + 3)
    national["caller_number"] = ""  # only the raw, national form
    assert match([user_call("opd-1", T0)], records(national))["opd-1"].record_id == "r1"


def test_an_anonymous_or_ivr_call_matches_on_number_and_time_alone():
    for kind in ("anonymous", "ivr"):
        call = WaitingCall("opd-1", CUSTOMER, kind, "", T0)
        result = match([call], records(source("r1", T0 + 3, agent=OTHER_AGENT)))["opd-1"]
        assert result.matched_by == "number and time"


@pytest.mark.parametrize(
    "why, record",
    [
        ("another agent placed it", source("r1", T0 + 3, agent=OTHER_AGENT)),
        ("another customer", source("r1", T0 + 3, number="+919000000022")),
        ("an incoming call", source("r1", T0 + 3, event=1)),
        ("it started long before the call was accepted", source("r1", T0 - START_SLACK_S - 1)),
        ("it carries another request's reference", source("r1", T0 + 3, cri="opd-someone-else")),
    ],
)
def test_records_that_cannot_be_the_call_are_not_matched(why, record):
    assert match([user_call("opd-1", T0)], records(record)) == {}, why


def test_a_start_time_a_few_seconds_before_acceptance_still_matches():
    assert match([user_call("opd-1", T0)], records(source("r1", T0 - 8)))["opd-1"].record_id == "r1"


def test_the_earliest_unclaimed_record_is_chosen_and_claimed_ones_are_left_alone():
    log = records(source("r-early", T0 + 5), source("r-late", T0 + 400))
    assert match([user_call("opd-1", T0)], log)["opd-1"].record_id == "r-early"
    assert match([user_call("opd-1", T0)], log, claimed={"r-early"})["opd-1"].record_id == "r-late"


def test_two_calls_to_one_number_a_minute_apart_each_get_their_own_record():
    first, second = user_call("opd-1", T0), user_call("opd-2", T0 + 60)
    both = match([first, second], records(source("r1", T0 + 3), source("r2", T0 + 63)))
    assert (both["opd-1"].record_id, both["opd-2"].record_id) == ("r1", "r2")


def test_while_the_first_of_two_calls_is_not_logged_yet_the_seconds_record_is_not_given_to_it():
    first, second = user_call("opd-1", T0), user_call("opd-2", T0 + 60)
    found = match([first, second], records(source("r2", T0 + 63)))
    assert found["opd-2"].record_id == "r2" and "opd-1" not in found


def test_a_queued_call_that_starts_after_a_later_call_still_gets_its_own_record():
    first, second = user_call("opd-1", T0), user_call("opd-2", T0 + 60)
    found = match([first, second], records(source("r-first", T0 + 90), source("r-second", T0 + 65)))
    assert (found["opd-1"].record_id, found["opd-2"].record_id) == ("r-first", "r-second")


def test_a_record_listed_twice_is_one_record():
    duplicated = records(source("r1", T0 + 3), source("r1", T0 + 3))
    found = match([user_call("opd-1", T0), user_call("opd-2", T0 + 1)], duplicated)
    assert len(found) == 1


def test_missed_calls_say_who_did_not_answer():
    customer = match([user_call("opd-1", T0)], records(source("r1", T0 + 3, answered=False)))["opd-1"]
    agent = match(
        [user_call("opd-2", T0)], records(source("r2", T0 + 3, answered=False, agent_answered=False))
    )["opd-2"]
    assert customer.result == agent.result == "missed" and customer.talk_seconds == 0
    assert customer.words().startswith("Missed: the customer did not answer")
    assert agent.words().startswith("Missed: the agent did not answer") and not agent.recording


def test_records_without_what_matching_needs_are_skipped_not_guessed():
    assert record_from_json({"allcaller_id": "r1", "caller_number": CUSTOMER}) is None  # no start time
    assert record_from_json({"start_time": T0, "caller_number": CUSTOMER}) is None  # no id
    assert record_from_json("not a record") is None
    sparse = record_from_json({"allcaller_id": "r1", "caller_number": CUSTOMER, "start_time": T0, "event": 2})
    assert sparse is not None and sparse.answered is None and sparse.agents == ()


def test_durations_are_read_from_clock_strings_only():
    assert parse_duration("00:01:06") == 66 and parse_duration("01:06") == 66
    assert parse_duration("soon") is None and parse_duration(None) is None
