"""The sandbox plays MyOperator's logs and users API too (/user, /search, /recordings/link, one ``token``),
on the same loopback port as the OBD endpoint: checked over real HTTP with plain httpx."""

from __future__ import annotations

import copy
import json
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import phonenumbers
import pytest

from desktop_app.sandbox.server import (
    DEMO_TRIGGERS,
    LOG_AGENT_NO_ANSWER,
    LOG_CUSTOMER_NO_ANSWER,
    LOG_NEVER_LOGGED,
    LOG_STARTS_EARLY,
    LOG_STARTS_LATE,
    LOG_TRIGGERS,
    SandboxConfig,
    SandboxServer,
    describe,
    describe_json,
)

TOKEN = "sandboxlogstoken0000000000000000"
ASHA = "a1b2c3d4e5f60718"
RAVI = "b2c3d4e5f6071829"
MEERA = "c3d4e5f607182930"
CUSTOMER = "+919000000077"  # fictional, and no trigger
OTHER_CUSTOMER = "+919000000078"
AGENT_NUMBER = "+919000000088"
T0 = 1_781_618_900.0  # wall-clock (UTC unix) seconds when a test starts
NOT_AUTHORIZED = {"status": "error", "message": "This not an authorized request", "code": 400}
FILE_NOT_FOUND = {"status": "error", "code": 404, "message": "File not found"}
ENDPOINTS = ["/user", "/search", "/recordings/link"]


class WallClock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    # trust_env=False: a proxy from the environment must not sit between the test and loopback.
    with httpx.Client(trust_env=False, timeout=5) as client:
        yield client


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def server(clock: WallClock) -> Iterator[SandboxServer]:
    """A sandbox whose log times come from ``clock``."""
    with SandboxServer(SandboxConfig(wall_clock=clock)) as started:
        yield started


def place(
    http: httpx.Client,
    server: SandboxServer,
    number: str = CUSTOMER,
    *,
    call_type: str = "1",
    user_id: str | None = ASHA,
    number_2: str | None = None,
    reference_id: str | None = None,
) -> dict[str, Any]:
    """An accepted OBD call, sent as a plain JSON POST; returns the service's answer."""
    c = server.config
    body: dict[str, Any] = {
        "company_id": c.company_id,
        "secret_token": c.secret_token,
        "type": call_type,
        "number": number,
        "public_ivr_id": c.public_ivr_id,
    }
    if call_type == "1":
        body.update({"number_2": number_2} if number_2 else {"user_id": user_id})
    if reference_id:
        body["reference_id"] = reference_id
    response = http.post(server.url, json=body, headers={"x-api-key": c.api_key})
    assert response.status_code == 200, response.text
    return response.json()


def call(
    http: httpx.Client,
    server: SandboxServer,
    path: str,
    how: str = "form",
    method: str = "POST",
    **params: Any,
) -> httpx.Response:
    """The logs API, with the parameters (the token included unless given) sent ``how``."""
    params = {"token": TOKEN, **params}
    params = {k: v for k, v in params.items() if v is not None}
    url = server.logs_url + path
    if how == "query":
        return http.request(method, url, params=params)
    if how == "json":
        return http.request(method, url, json=params)
    return http.request(method, url, data={k: str(v) for k, v in params.items()})


def search(http: httpx.Client, server: SandboxServer, **params: Any) -> dict[str, Any]:
    response = call(http, server, "/search", **params)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["status"], answer["code"]) == ("success", 200)
    return answer["data"]


def sources(http: httpx.Client, server: SandboxServer, **params: Any) -> list[dict[str, Any]]:
    return [hit["_source"] for hit in search(http, server, **params)["hits"]]


def users(http: httpx.Client, server: SandboxServer, **params: Any) -> list[dict[str, Any]]:
    response = call(http, server, "/user", how="query", method="GET", **params)
    assert response.status_code == 200
    assert response.json()["status"] == "success"
    return response.json()["data"]


def record(start_time: int, number: str = CUSTOMER, **changes: Any) -> dict[str, Any]:
    """An injected record (the fields a test needs, any others as given)."""
    return {
        "caller_number_raw": number[-10:],
        "caller_number": number,
        "event": 2,
        "status": 1,
        "start_time": start_time,
        **changes,
    }


def hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def after_delay(clock: WallClock, server: SandboxServer) -> None:
    clock.now += server.config.log_delay_s


# ---- authorisation -------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["query", "form", "json"])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_the_token_works_in_the_query_a_form_body_or_a_json_body(server, http, how, path):
    server.add_log_record(record(int(T0), filename="aa-v2.mp3"))
    method = "GET" if path == "/recordings/link" and how == "query" else "POST"
    response = call(http, server, path, how, method, file="aa-v2.mp3" if "recordings" in path else None)
    assert response.status_code == 200
    assert response.json()["status"] == "success"


@pytest.mark.parametrize(
    "token",
    [None, "", "wrong-token-00000000000000000000", TOKEN[:-1], TOKEN[:16], TOKEN.upper()],
    ids=["missing", "empty", "wrong", "one-short", "half", "other-case"],
)
@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_wrong_missing_or_truncated_token_is_400_not_authorized(server, http, path, token):
    server.add_log_record(record(int(T0), filename="aa-v2.mp3"))
    params: dict[str, Any] = {"file": "aa-v2.mp3"}
    response = http.post(server.logs_url + path, data=params if token is None else {**params, "token": token})
    assert response.status_code == 400
    assert response.json() == NOT_AUTHORIZED


def test_the_default_logs_token_is_fake_and_32_characters_like_the_real_one():
    assert SandboxConfig().logs_token == TOKEN and len(TOKEN) == 32


def test_the_logs_url_is_the_bare_server_address_and_the_obd_url_sits_under_it(sandbox):
    assert sandbox.logs_url == f"http://127.0.0.1:{sandbox.port}"
    assert sandbox.url == sandbox.logs_url + "/obd-api-v1"


# ---- users ---------------------------------------------------------------------------------------
def test_users_lists_the_demo_users_with_the_directory_fields(sandbox, http):
    listed = users(http, sandbox, _all=1)
    assert listed[0] == {
        "uuid": ASHA,
        "name": "Asha (demo agent)",
        "email": "asha@example.com",
        "contact_number": "9000000011",
        "extension": "11",
        "role_id": "8",
        "is_active": "1",
    }
    assert [(u["uuid"], u["extension"], u["role_id"]) for u in listed] == [
        (ASHA, "11", "8"),
        (RAVI, "12", "8"),
        (MEERA, "13", "4"),
    ]


def test_the_default_agent_is_still_asha_with_the_bigger_directory():
    assert SandboxConfig().default_user_id == ASHA


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [("ravi", [RAVI]), ("MEERA@EXAMPLE", [MEERA]), ("9000000011", [ASHA]), ("demo agent", [ASHA, RAVI])],
)
def test_users_keyword_matches_name_email_or_contact_number_ignoring_case(sandbox, http, keyword, expected):
    assert [u["uuid"] for u in users(http, sandbox, keyword=keyword)] == expected


def test_users_keyword_that_matches_nobody_gives_an_empty_list(sandbox, http):
    assert users(http, sandbox, keyword="nobody-by-this-name") == []


def test_users_pages_are_one_based(sandbox, http):
    assert [u["uuid"] for u in users(http, sandbox, page=1, **{"page-size": 2})] == [ASHA, RAVI]
    assert [u["uuid"] for u in users(http, sandbox, page=2, **{"page-size": 2})] == [MEERA]
    assert users(http, sandbox, page=3, **{"page-size": 2}) == []


def test_users_page_size_is_at_most_100_and_100_by_default(http):
    many = {f"{i:016x}": f"Agent {i}" for i in range(150)}
    with SandboxServer(SandboxConfig(users=many)) as server:
        assert len(users(http, server)) == 100
        assert len(users(http, server, **{"page-size": 500})) == 100
        assert len(users(http, server, page=2)) == 50


def test_a_user_without_details_still_has_every_field(http):
    with SandboxServer(SandboxConfig(users={"00000000000000ff": "Nobody Special"})) as server:
        (user,) = users(http, server)
    assert user == {
        "uuid": "00000000000000ff",
        "name": "Nobody Special",
        "email": "",
        "contact_number": "",
        "extension": "",
        "role_id": "8",
        "is_active": "1",
    }


# ---- search: paging, window, free text -----------------------------------------------------------
def test_search_returns_newest_first_twenty_by_default_with_the_total(sandbox, http):
    for i in range(25):
        sandbox.add_log_record(record(int(T0) + i))
    data = search(http, sandbox)
    assert data["total"] == 25
    assert [h["_source"]["start_time"] for h in data["hits"]] == [int(T0) + i for i in range(24, 4, -1)]


def test_search_log_from_is_an_offset_into_the_matches(sandbox, http):
    for i in range(25):
        sandbox.add_log_record(record(int(T0) + i))
    data = search(http, sandbox, log_from=20)
    assert data["total"] == 25
    assert [h["_source"]["start_time"] for h in data["hits"]] == [int(T0) + i for i in range(4, -1, -1)]
    assert search(http, sandbox, log_from=25)["hits"] == []


def test_search_page_size_is_clamped_to_100(sandbox, http):
    for i in range(120):
        sandbox.add_log_record(record(int(T0) + i))
    assert len(search(http, sandbox, page_size=7)["hits"]) == 7
    data = search(http, sandbox, page_size=150)
    assert (data["total"], len(data["hits"])) == (120, 100)


def test_search_takes_numbers_as_json_numbers_too(sandbox, http):
    for i in range(5):
        sandbox.add_log_record(record(int(T0) + i))
    response = call(http, sandbox, "/search", how="json", page_size=2, log_from=1)
    assert [h["_source"]["start_time"] for h in response.json()["data"]["hits"]] == [int(T0) + 3, int(T0) + 2]


def test_search_from_and_to_bound_the_start_time_inclusively(sandbox, http):
    for offset in (-1, 0, 30, 60, 61):
        sandbox.add_log_record(record(int(T0) + offset))
    found = sources(http, sandbox, **{"from": str(int(T0)), "to": str(int(T0) + 60)})
    assert [s["start_time"] - int(T0) for s in found] == [60, 30, 0]
    assert search(http, sandbox, **{"from": str(int(T0) + 62)})["total"] == 0


def test_search_key_finds_a_ten_digit_national_number(sandbox, http):
    sandbox.add_log_record(record(int(T0), CUSTOMER))
    sandbox.add_log_record(record(int(T0) + 1, OTHER_CUSTOMER))
    found = sources(http, sandbox, search_key=CUSTOMER[-10:])
    assert [s["caller_number"] for s in found] == [CUSTOMER]


def test_search_key_finds_an_e164_number_and_an_agent_name(sandbox, http):
    by_ravi = record(int(T0), OTHER_CUSTOMER, log_details=[{"received_by": [{"name": "Ravi (demo agent)"}]}])
    sandbox.add_log_record(record(int(T0) + 1, CUSTOMER))
    sandbox.add_log_record(by_ravi)
    assert [s["caller_number"] for s in sources(http, sandbox, search_key=CUSTOMER)] == [CUSTOMER]
    assert [s["caller_number"] for s in sources(http, sandbox, search_key="ravi")] == [OTHER_CUSTOMER]


def test_search_key_and_window_combine_and_total_counts_all_matches(sandbox, http):
    for i in range(30):
        sandbox.add_log_record(record(int(T0) + i, CUSTOMER if i % 2 else OTHER_CUSTOMER))
    data = search(http, sandbox, search_key=CUSTOMER[-10:], page_size=5, **{"from": str(int(T0) + 10)})
    assert data["total"] == 10  # the odd offsets 11..29
    assert [h["_source"]["start_time"] - int(T0) for h in data["hits"]] == [29, 27, 25, 23, 21]


# ---- records of accepted calls -------------------------------------------------------------------
def test_an_accepted_call_is_logged_only_log_delay_s_after_acceptance(server, http, clock):
    place(http, server)
    assert search(http, server)["total"] == 0
    assert len(server.log_records) == 1  # already written, not yet visible
    clock.now = T0 + server.config.log_delay_s - 0.01
    assert search(http, server)["total"] == 0
    clock.now = T0 + server.config.log_delay_s
    assert search(http, server)["total"] == 1


def test_the_log_delay_is_configurable(http, clock):
    with SandboxServer(SandboxConfig(wall_clock=clock, log_delay_s=60)) as server:
        place(http, server)
        clock.now = T0 + 59
        assert search(http, server)["total"] == 0
        clock.now = T0 + 60
        assert search(http, server)["total"] == 1


def test_a_normal_call_is_answered_with_ring_talk_a_recording_and_its_unique_id(server, http, clock):
    answer = place(http, server, reference_id="ref-1")
    after_delay(clock, server)
    (source,) = sources(http, server)

    start = int(T0) + 3
    assert re.fullmatch(r"[0-9a-f]{32}", source["allcaller_id"])
    assert re.fullmatch(r"[0-9a-f]{32}-v2\.mp3", source["filename"])
    assert source == {
        "allcaller_id": source["allcaller_id"],
        "caller_number_raw": "9000000077",
        "caller_number": CUSTOMER,
        "event": 2,
        "status": 1,
        "start_time": start,
        "end_time": start + 12 + 42,
        "duration": "00:00:54",
        "filename": source["filename"],
        "additional_parameters": [{"ky": "unique_id", "vl": answer["unique_id"]}],
        "log_details": [
            {
                "received_by": [{"user_id": ASHA, "name": "Asha (demo agent)", "extension": "11"}],
                "action": "received",
                "_ds": "ANSWER",
                "start_time": start + 12,
                "end_time": start + 54,
                "duration": "00:00:42",
            }
        ],
        "_us": [{"ky": ASHA, "vl": "received"}],
        "_cri": "ref-1",
        "_ri": "",
    }


def test_a_user_dial_logs_the_dialled_user_as_the_agent(server, http, clock):
    place(http, server, user_id=RAVI)
    after_delay(clock, server)
    (source,) = sources(http, server)
    assert source["log_details"][0]["received_by"] == [
        {"user_id": RAVI, "name": "Ravi (demo agent)", "extension": "12"}
    ]
    assert source["_us"] == [{"ky": RAVI, "vl": "received"}]


def test_an_anonymous_dial_logs_the_agent_number_and_no_user(server, http, clock):
    place(http, server, number_2=AGENT_NUMBER)
    after_delay(clock, server)
    (source,) = sources(http, server)
    assert source["log_details"][0]["received_by"] == [{"user_id": "", "name": AGENT_NUMBER, "extension": ""}]
    assert source["_us"] == []


def test_an_ivr_call_logs_the_first_user_as_the_agent(server, http, clock):
    place(http, server, call_type="2")
    after_delay(clock, server)
    (source,) = sources(http, server)
    assert source["log_details"][0]["received_by"][0]["user_id"] == ASHA
    assert source["event"] == 2


def test_the_customer_not_answering_is_missed_with_the_agent_leg_answered_and_no_talk(server, http, clock):
    place(http, server, LOG_CUSTOMER_NO_ANSWER)
    after_delay(clock, server)
    (source,) = sources(http, server)
    (leg,) = source["log_details"]
    assert (source["status"], source["filename"]) == (2, "")
    assert (leg["action"], leg["_ds"], leg["duration"]) == ("received", "ANSWER", "00:00:00")
    assert source["_us"] == [{"ky": ASHA, "vl": "received"}]
    assert source["duration"] == hms(source["end_time"] - source["start_time"])


def test_the_agent_not_answering_is_missed_with_a_missed_agent_leg(server, http, clock):
    place(http, server, LOG_AGENT_NO_ANSWER)
    after_delay(clock, server)
    (source,) = sources(http, server)
    (leg,) = source["log_details"]
    assert (source["status"], source["filename"]) == (2, "")
    assert (leg["action"], leg["_ds"], leg["duration"]) == ("missed", "NOANSWER", "00:00:00")
    assert source["_us"] == [{"ky": ASHA, "vl": "missed"}]


def test_a_never_logged_number_leaves_no_record_however_long_one_waits(server, http, clock):
    answer = place(http, server, LOG_NEVER_LOGGED)
    clock.now += 86400
    assert answer["status"] == "success"
    assert search(http, server)["total"] == 0
    assert server.log_records == []


def test_a_call_can_be_logged_as_starting_8_s_before_it_was_accepted(server, http, clock):
    place(http, server, LOG_STARTS_EARLY)
    after_delay(clock, server)
    (source,) = sources(http, server)
    assert source["start_time"] == int(T0) - 8
    assert (source["status"], source["log_details"][0]["action"]) == (1, "received")
    assert source["filename"].endswith("-v2.mp3")


def test_a_queued_call_is_logged_as_starting_90_s_after_acceptance(server, http, clock):
    place(http, server, LOG_STARTS_LATE)
    after_delay(clock, server)
    (source,) = sources(http, server)
    assert source["start_time"] == int(T0) + 90
    assert source["status"] == 1


def test_the_log_trigger_numbers_are_valid_distinct_mobile_numbers_apart_from_the_demo_triggers():
    numbers = [t.number for t in LOG_TRIGGERS]
    assert numbers == [
        LOG_CUSTOMER_NO_ANSWER,
        LOG_AGENT_NO_ANSWER,
        LOG_NEVER_LOGGED,
        LOG_STARTS_EARLY,
        LOG_STARTS_LATE,
    ]
    assert len(set(numbers)) == len(numbers)
    assert not set(numbers) & {t.number for t in DEMO_TRIGGERS}
    for number in numbers:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number


def test_log_rules_apply_even_with_the_demo_triggers_off(http, clock):
    with SandboxServer(SandboxConfig(wall_clock=clock, demo_triggers_enabled=False)) as server:
        place(http, server, LOG_NEVER_LOGGED)
        assert server.log_records == []


def test_a_refused_call_leaves_no_record(server, http):
    c = server.config
    body = {
        "company_id": c.company_id,
        "secret_token": "wrong",
        "type": "2",
        "number": CUSTOMER,
        "public_ivr_id": c.public_ivr_id,
    }
    assert http.post(server.url, json=body, headers={"x-api-key": c.api_key}).status_code == 403
    assert server.log_records == []


# ---- _cri: the reference_id, sometimes -----------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("alternate", ["ref-0", "", "ref-2", ""]),
        ("always", ["ref-0", "ref-1", "ref-2", "ref-3"]),
        ("never", ["", "", "", ""]),
    ],
)
def test_cri_carries_the_reference_id_always_never_or_every_other_call(http, clock, mode, expected):
    with SandboxServer(SandboxConfig(wall_clock=clock, log_cri=mode)) as server:
        for i in range(4):
            place(http, server, reference_id=f"ref-{i}")
        assert [s["_cri"] for s in server.log_records] == expected


def test_cri_alternates_by_default_starting_filled(server, http):
    assert server.config.log_cri == "alternate"
    place(http, server, reference_id="first")
    place(http, server, reference_id="second")
    assert [s["_cri"] for s in server.log_records] == ["first", ""]


def test_cri_is_empty_when_the_call_had_no_reference_id(http, clock):
    with SandboxServer(SandboxConfig(wall_clock=clock, log_cri="always")) as server:
        place(http, server)
        assert server.log_records[0]["_cri"] == ""


@pytest.mark.parametrize("change", [{"log_cri": "sometimes"}, {"logs_fault": "on_fire"}])
def test_an_unknown_log_cri_or_logs_fault_is_refused_at_start(change):
    with pytest.raises(ValueError, match="unknown"):
        SandboxServer(SandboxConfig(**change)).start()


# ---- logs faults ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ENDPOINTS)
def test_status_error_is_http_200_with_a_failing_status(server, http, path):
    server.add_log_record(record(int(T0), filename="aa-v2.mp3"))
    server.config.logs_fault = "status_error"
    response = call(http, server, path, file="aa-v2.mp3")
    assert response.status_code == 200
    assert response.json() == {"status": "error", "code": 500, "message": "Something went wrong"}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_non_json_is_http_200_with_an_html_page(server, http, path):
    server.config.logs_fault = "non_json"
    response = call(http, server, path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html"
    assert response.text == "<html><body>Service Unavailable</body></html>"
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_a_fault_still_answers_a_wrong_token_with_400(server, http):
    server.config.logs_fault = "status_error"
    assert call(http, server, "/search", token="nope").json() == NOT_AUTHORIZED


def test_missing_fields_strips_the_outcome_fields_from_records(server, http, clock):
    place(http, server, reference_id="ref-1")
    after_delay(clock, server)
    server.config.logs_fault = "missing_fields"
    (source,) = sources(http, server)
    for name in ("log_details", "_us", "_cri", "duration", "filename", "status"):
        assert name not in source
    assert source["caller_number"] == CUSTOMER and source["start_time"] == int(T0) + 3
    assert "status" in server.log_records[0]  # only the answer lost them


def test_duplicate_records_returns_every_hit_twice(server, http):
    server.add_log_record(record(int(T0), CUSTOMER))
    server.add_log_record(record(int(T0) + 1, OTHER_CUSTOMER))
    server.config.logs_fault = "duplicate_records"
    data = search(http, server)
    assert data["total"] == 4
    assert [h["_source"]["caller_number"] for h in data["hits"]] == [OTHER_CUSTOMER] * 2 + [CUSTOMER] * 2


def test_a_played_logs_fault_is_named_in_the_received_request(server, http):
    server.config.logs_fault = "non_json"
    call(http, server, "/search")
    assert server.received[-1].fault == "non_json"


def test_obd_faults_never_touch_the_logs_api(server, http):
    server.faults.server_error = 1
    assert call(http, server, "/search").status_code == 200
    assert server.faults.server_error == 1  # still waiting for the next OBD request


# ---- recording links -----------------------------------------------------------------------------
def test_a_recording_link_is_a_fresh_url_on_this_server_valid_for_a_day(server, http, clock):
    place(http, server)
    filename = server.log_records[0]["filename"]

    first, second = (call(http, server, "/recordings/link", "query", "GET", file=filename) for _ in range(2))
    assert first.status_code == second.status_code == 200
    url = first.json()["url"]
    assert first.json()["status"] == "success" and first.json()["code"] == 200
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == server.logs_url
    assert parts.path == f"/recordings/{filename}"
    query = urllib.parse.parse_qs(parts.query)
    assert query["expires"] == [str(int(T0) + 86400)]
    assert query["n"]
    assert second.json()["url"] != url


def test_a_recording_link_for_an_injected_record_works_too(server, http):
    server.add_log_record(record(int(T0), filename="0123abcd-v2.mp3"))
    assert call(http, server, "/recordings/link", file="0123abcd-v2.mp3").status_code == 200


@pytest.mark.parametrize("file", ["no-such-file-v2.mp3", "", None])
def test_an_unknown_recording_is_404_file_not_found(server, http, file):
    server.add_log_record(record(int(T0), filename=""))  # an unanswered call has no file to link
    response = call(http, server, "/recordings/link", "query", "GET", file=file)
    assert response.status_code == 404
    assert response.json() == FILE_NOT_FOUND


# ---- injected records ----------------------------------------------------------------------------
def test_an_injected_record_is_visible_at_once_and_returned_as_given(server, http):
    incoming = {"caller_number": CUSTOMER, "event": 1, "start_time": int(T0) - 60, "anything": ["else"]}
    server.add_log_record(incoming)
    assert sources(http, server) == [incoming]
    assert server.log_records == [incoming]


def test_an_injected_record_is_copied_so_later_changes_do_not_leak_in(server):
    original = record(int(T0), log_details=[{"received_by": [{"name": "Ravi (demo agent)"}]}])
    kept = copy.deepcopy(original)
    server.add_log_record(original)
    original["log_details"][0]["received_by"][0]["name"] = "Changed"
    server.log_records[0]["status"] = 99  # a snapshot: changing it changes nothing
    assert server.log_records == [kept]


def test_two_calls_to_one_number_a_minute_apart_come_back_newest_first(server, http):
    server.add_log_record(record(int(T0), allcaller_id="first"))
    server.add_log_record(record(int(T0) + 60, allcaller_id="second"))
    found = sources(http, server, search_key=CUSTOMER[-10:])
    assert [s["allcaller_id"] for s in found] == ["second", "first"]


def test_only_a_dict_can_be_a_log_record(server):
    with pytest.raises(TypeError):
        server.add_log_record(["not", "a", "record"])  # type: ignore[arg-type]


def test_log_records_mix_calls_and_injected_records_in_the_order_written(server, http):
    server.add_log_record(record(int(T0) - 600, allcaller_id="earlier"))
    place(http, server)
    assert [s.get("allcaller_id") != "earlier" for s in server.log_records] == [False, True]


def test_reset_forgets_the_call_log(server, http, clock):
    place(http, server)
    server.add_log_record(record(int(T0)))
    server.reset()
    after_delay(clock, server)
    assert server.log_records == []
    assert search(http, server)["total"] == 0


# ---- requests, paths, methods --------------------------------------------------------------------
def test_logs_requests_are_recorded_with_the_bare_path(server, http):
    call(http, server, "/search", "query", "POST", search_key="x")
    call(http, server, "/user", "query", "GET", keyword="asha")
    call(http, server, "/recordings/link", "query", "GET", file="none")

    assert [(r.method, r.path, r.response_status) for r in server.received] == [
        ("POST", "/search", 200),
        ("GET", "/user", 200),
        ("GET", "/recordings/link", 404),
    ]
    assert all(r.accepted is False and r.fault is None for r in server.received)


def test_the_search_requests_can_be_counted_among_obd_requests(server, http):
    place(http, server)
    for _ in range(3):
        call(http, server, "/search")
    assert sum(r.path == "/search" for r in server.received) == 3
    assert sum(r.path == "/obd-api-v1" for r in server.received) == 1


def test_a_json_body_is_recorded_as_parsed_json(server, http):
    call(http, server, "/search", "json", search_key="asha")
    assert server.received[0].json == {"token": TOKEN, "search_key": "asha"}


@pytest.mark.parametrize("path", ["/search/details", "/search/logs/"])
def test_the_search_prefixed_paths_of_a_postman_collection_are_404_unknown_method(sandbox, http, path):
    response = call(http, sandbox, path)
    assert response.status_code == 404
    assert response.json() == {"status": "error", "code": 404, "message": "Unknown method."}


@pytest.mark.parametrize("path", ["/users", "/logs", "/recordings", "/"])
def test_other_paths_stay_404(sandbox, http, path):
    assert call(http, sandbox, path).status_code == 404


@pytest.mark.parametrize("path", ENDPOINTS)
def test_other_methods_are_405(sandbox, http, path):
    assert call(http, sandbox, path, "query", "PUT").status_code == 405


def test_a_trailing_slash_reaches_the_same_endpoint(sandbox, http):
    assert call(http, sandbox, "/user/").json()["status"] == "success"


# ---- what the banner tells a person --------------------------------------------------------------
def test_the_banner_gives_the_logs_url_token_and_the_log_numbers(sandbox):
    banner = "\n".join(describe(sandbox))
    assert sandbox.logs_url in banner and TOKEN in banner
    for trigger in LOG_TRIGGERS:
        assert trigger.number in banner
    data = describe_json(sandbox)
    assert (data["logs_url"], data["logs_token"]) == (sandbox.logs_url, TOKEN)
    assert [t["number"] for t in data["log_triggers"]] == [t.number for t in LOG_TRIGGERS]
