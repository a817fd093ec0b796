"""MyOperator's logs and users API (a second secret, the company's API token): users and call log.

See shared/myoperator-api.md, "The logs and users API". Its field set is not pinned, so everything
here reads defensively: HTTP 200 may still say ``"status": "error"``; a non-JSON answer is an error
in words; a record without what matching needs is skipped, never guessed at. The token travels in
the query string of GET requests (as documented), so it is registered with the log redactor at once.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop_app.api.models import DEFAULT_LOGS_URL
from desktop_app.api.redaction import register_secret
from desktop_app.api.urls import validate_api_url

if TYPE_CHECKING:
    import httpx  # loaded with the first client: showing a stored result needs no HTTP stack

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # the most /search and /user give per request
MAX_BODY_BYTES = 5_000_000  # a page of 100 records is ~100 kB
ROLE_WORDS = {"1": "Super admin", "2": "Admin", "4": "Manager", "8": "Agent"}
_DURATION = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})\s*$")
_NOT_AUTHORISED = "not an authorized request"


class LogsError(Exception):
    """The logs API could not answer. ``reason``: one sentence for a person; ``token``: the token
    itself was refused (asking again will not help until it is fixed)."""

    def __init__(self, reason: str, *, token: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.token = token


TOKEN_REFUSED = LogsError(
    "MyOperator refused the API token: copy it again from the MyOperator panel "
    "(Manage → API integration) into Profiles.",
    token=True,
)


@dataclass(frozen=True)
class Agent:
    """A user of the company, as the picker shows it. ``user_id`` is what a user dial sends."""

    user_id: str
    name: str
    extension: str = ""
    number: str = ""
    role: str = ""
    email: str = ""
    active: bool = True

    def to_json(self) -> dict[str, str]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "extension": self.extension,
            "number": self.number,
            "role": self.role,
        }

    def matches(self, text: str) -> bool:
        wanted = text.strip().lower()
        haystack = (self.name, self.extension, self.number, self.email, self.user_id, self.role)
        return not wanted or any(wanted in field.lower() for field in haystack)


@dataclass(frozen=True)
class LogRecord:
    """One call in the company's log, reduced to what matching and showing a result need."""

    record_id: str
    customer: str  # the other party: on an outgoing call, the customer dialled
    outgoing: bool
    answered: bool | None  # status 1 / 2; None when the record does not say
    start_time: int
    agents: tuple[str, ...] = ()  # user ids in _us and received_by
    agent_answered: bool | None = None
    talk_seconds: int | None = None
    filename: str = ""
    cri: str = ""  # maybe the OBD reference_id ("client reference id"): used when present

    @property
    def customer_digits(self) -> str:
        return last_digits(self.customer)


def last_digits(number: str, count: int = 10) -> str:
    """Compare numbers by their last 10 digits: the log writes them national or E.164."""
    return "".join(c for c in number if c.isdigit())[-count:]


def parse_duration(text: Any) -> int | None:
    """'00:01:06' → 66; anything else → None."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return int(text)
    found = _DURATION.match(text) if isinstance(text, str) else None
    if not found:
        return None
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return hours * 3600 + minutes * 60 + seconds


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _int(value: Any) -> int | None:
    try:
        return int(float(value)) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def agent_from_json(data: Any) -> Agent | None:
    """A user from ``GET /user``; None when it has no 16-hex ``uuid`` (it could not be dialled)."""
    if not isinstance(data, dict):
        return None
    user_id = _text(data.get("uuid") or data.get("user_id")).lower()
    if not re.fullmatch(r"[0-9a-f]{16}", user_id):
        return None
    return Agent(
        user_id=user_id,
        name=_text(data.get("name")) or user_id,
        extension=_text(data.get("extension")),
        number=_text(data.get("contact_number")),
        role=ROLE_WORDS.get(_text(data.get("role_id")), _text(data.get("role_id"))),
        email=_text(data.get("email")),
        active=_text(data.get("is_active")) in ("", "1", "true", "True"),
    )


def record_from_json(source: Any) -> LogRecord | None:
    """A ``/search`` hit's ``_source``; None without an id, a number or a start time."""
    if not isinstance(source, dict):
        return None
    record_id = _text(source.get("allcaller_id") or source.get("id"))
    customer = _text(source.get("caller_number")) or _text(source.get("caller_number_raw"))
    start = _int(source.get("start_time"))
    if not record_id or not last_digits(customer) or start is None:
        return None
    status = _int(source.get("status"))
    legs = _dicts(source.get("log_details"))
    agents: list[str] = []
    agent_answered: bool | None = None
    talk: int | None = None
    for leg in legs:
        for person in _dicts(leg.get("received_by")):
            if _text(person.get("user_id")):
                agents.append(_text(person.get("user_id")).lower())
        action, dial = _text(leg.get("action")).lower(), _text(leg.get("_ds")).upper()
        if action == "received" or dial == "ANSWER":
            agent_answered = True
            talk = parse_duration(leg.get("duration"))
        elif (action == "missed" or dial in ("NOANSWER", "BUSY", "CANCEL")) and agent_answered is None:
            agent_answered = False
    for mark in _dicts(source.get("_us")):
        user = _text(mark.get("ky")).lower()
        if user:
            agents.append(user)
        if agent_answered is None and _text(mark.get("vl")).lower() in ("received", "missed"):
            agent_answered = _text(mark.get("vl")).lower() == "received"
    answered = {1: True, 2: False}.get(status) if status is not None else None
    return LogRecord(
        record_id=record_id,
        customer=customer,
        outgoing=_int(source.get("event")) == 2,
        answered=answered,
        start_time=start,
        agents=tuple(dict.fromkeys(agents)),
        agent_answered=agent_answered,
        talk_seconds=talk if answered else (0 if answered is False else talk),
        filename=_text(source.get("filename")),
        cri=_text(source.get("_cri")),
    )


def _total(data: dict[str, Any], hits: int) -> int:
    total = data.get("total")
    if isinstance(total, dict):  # Elasticsearch 7 writes {"value": n, "relation": "eq"}
        total = total.get("value")
    number = _int(total)
    return number if number is not None and number >= hits else hits


def _link_in(payload: Any) -> str:
    """The recording's URL: ``url``, ``link``, ``data.url``, ``data.link``, or the first http string."""
    if isinstance(payload, dict):
        for holder in (payload, payload.get("data")):
            if isinstance(holder, dict):
                for key in ("url", "link"):
                    value = holder.get(key)
                    if isinstance(value, str) and value.startswith(("https://", "http://")):
                        return value
    stack: list[Any] = [payload]
    while stack:
        item = stack.pop(0)
        if isinstance(item, str) and item.startswith(("https://", "http://")):
            return item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return ""


class LogsClient:
    """One company's logs API. Thread-safe (httpx.Client). ``close()`` when done."""

    def __init__(self, token: str, base_url: str = DEFAULT_LOGS_URL, *, http: httpx.Client | None = None):
        if not token.strip():
            raise LogsError("Add the API token in Profiles to see agents and call results.", token=True)
        self.token = token.strip()
        register_secret(self.token)
        self.base_url = validate_api_url(base_url).rstrip("/")
        if http is None:
            from desktop_app.api.client import Timeouts, make_http_client

            http = make_http_client(Timeouts(connect=5.0, read=20.0))
        self._http = http

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LogsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the three calls --------------------------------------------------------------------------

    def users(self, keyword: str = "") -> list[Agent]:
        """Every user of the company (all pages), active ones first as MyOperator lists them."""
        found: list[Agent] = []
        page = 1
        while True:
            params = {"_all": "1", "page": str(page), "page-size": str(PAGE_SIZE)}
            if keyword:
                params["keyword"] = keyword
            payload = self._ask("GET", "/user", params)
            data = payload.get("data")
            items = data if isinstance(data, list) else _dicts((data or {}).get("users"))
            found.extend(agent for agent in map(agent_from_json, items) if agent is not None)
            if len(items) < PAGE_SIZE or page >= 50:
                return list({agent.user_id: agent for agent in found}.values())
            page += 1

    def search(
        self, start: int, end: int, *, offset: int = 0, search_key: str = "", page_size: int = PAGE_SIZE
    ) -> tuple[int, list[LogRecord]]:
        """One page of the call log between ``start`` and ``end`` (UTC unix seconds): (total, records)."""
        body = {
            "from": str(int(start)),
            "to": str(int(end)),
            "log_from": str(offset),
            "page_size": str(min(page_size, PAGE_SIZE)),
        }
        if search_key:
            body["search_key"] = search_key
        payload = self._ask("POST", "/search", body)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise LogsError("MyOperator's call log answered without a list of calls.")
        hits = _dicts(data.get("hits"))
        records = [record_from_json(hit.get("_source")) for hit in hits]
        return _total(data, len(hits)), [r for r in records if r is not None]

    def recording_link(self, filename: str) -> str:
        """A fresh download link for a recording (valid about 24 hours)."""
        link = _link_in(self._ask("GET", "/recordings/link", {"file": filename}))
        if not link:
            raise LogsError("MyOperator answered without a link to the recording.")
        return link

    # -- HTTP -------------------------------------------------------------------------------------

    def _ask(self, method: str, path: str, params: dict[str, str]) -> dict[str, Any]:
        import httpx

        url = self.base_url + path
        try:
            if method == "GET":
                response = self._http.get(url, params={"token": self.token, **params})
            else:
                response = self._http.post(url, json={"token": self.token, **params})
        except httpx.TimeoutException:
            raise LogsError("MyOperator's logs API did not answer in time; OpDial will ask again.") from None
        except httpx.HTTPError as error:
            raise LogsError(f"Could not reach MyOperator's logs API ({type(error).__name__}).") from None
        return self._payload(response)

    @staticmethod
    def _payload(response: httpx.Response) -> dict[str, Any]:
        body = response.content[:MAX_BODY_BYTES]
        try:
            payload = json.loads(body, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError):
            payload = None
        message = _text(payload.get("message") or payload.get("details")) if isinstance(payload, dict) else ""
        if _NOT_AUTHORISED in message.lower() or response.status_code in (401, 403):
            raise TOKEN_REFUSED
        status = response.status_code
        if not isinstance(payload, dict):
            raise LogsError(f"MyOperator's logs API answered something that is not JSON (HTTP {status}).")
        if status >= 400 or _text(payload.get("status")).lower() != "success":
            said = f": {message}" if message else ""
            raise LogsError(f"MyOperator's logs API answered with an error (HTTP {status}){said}.")
        return payload


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def unique(records: Iterable[LogRecord]) -> list[LogRecord]:
    """One record per id (a log may list a call twice)."""
    return list({record.record_id: record for record in records}.values())
