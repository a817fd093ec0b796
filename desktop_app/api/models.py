"""The request schema and the outcome of a call: the one place that knows the wire format.

Every fact here comes from ``shared/myoperator-api.md``: string values, E.164 with ``+``,
``type`` "1" for peer-to-peer and "2" for IVR, ``max_call_duration`` as a JSON integer,
empty optionals left out.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# Re-exported: the call kinds and the endpoints live in modules of their own (cheap to import
# before the window's first paint), and are part of this schema.
from desktop_app.api.kinds import CallKind
from desktop_app.api.urls import DEFAULT_API_URL, DEFAULT_LOGS_URL

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_LOGS_URL",
    "MAX_CALL_DURATION_RANGE",
    "Account",
    "CallKind",
    "CallRequest",
    "Outcome",
    "OutcomeStatus",
    "Problem",
    "build_body",
    "build_headers",
    "new_reference_id",
]

MAX_CALL_DURATION_RANGE = (1, 5400)


def new_reference_id() -> str:
    """A client request id: sortable by time, unique enough to never collide in the 48 h window."""
    import secrets  # here, not at the top: the window's first paint does not need it (~3 ms)

    return f"opd-{int(time.time()):x}-{secrets.token_hex(6)}"


@dataclass(frozen=True)
class Account:
    """Everything needed to reach the API for one company. Secrets never appear in ``repr``."""

    company_id: str
    public_ivr_id: str
    api_key: str = field(repr=False)
    secret_token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.api_key, self.secret_token) if s)


@dataclass(frozen=True)
class CallRequest:
    """One intended call. Numbers are already E.164 (see ``desktop_app.calls.prepare_call``)."""

    kind: CallKind
    to: str
    user_id: str | None = None
    agent_number: str | None = None
    reference_id: str = field(default_factory=new_reference_id)
    caller_id: str | None = None
    region: str | None = None
    group: str | None = None
    max_call_duration: int | None = None
    call_hold: bool | None = None

    def problems(self) -> list[str]:
        """Structural problems that make the request unsendable (empty list when fine)."""
        found: list[str] = []
        if not self.to.startswith("+"):
            found.append("The customer number must be in E.164 form, starting with +.")
        if self.kind is CallKind.USER and not (self.user_id or "").strip():
            found.append("A user dial needs the agent's MyOperator User ID.")
        if self.kind is CallKind.ANONYMOUS and not (self.agent_number or "").startswith("+"):
            found.append("An anonymous dial needs the agent's number in E.164 form.")
        if self.max_call_duration is not None:
            low, high = MAX_CALL_DURATION_RANGE
            if not low <= self.max_call_duration <= high:
                found.append(f"Maximum call duration must be between {low} and {high} seconds.")
        if not self.reference_id.strip():
            found.append("The Reference ID must not be empty.")
        return found


def build_body(request: CallRequest, account: Account) -> dict[str, Any]:
    """The JSON body exactly as MyOperator expects it."""
    body: dict[str, Any] = {
        "company_id": account.company_id,
        "secret_token": account.secret_token,
        "type": request.kind.wire_type,
        "number": request.to,
        "public_ivr_id": account.public_ivr_id,
        "reference_id": request.reference_id,
    }
    if request.kind is CallKind.USER:
        body["user_id"] = request.user_id
    elif request.kind is CallKind.ANONYMOUS:
        body["number_2"] = request.agent_number
    for name in ("region", "group", "caller_id"):
        value = getattr(request, name)
        if value is not None and str(value).strip():
            body[name] = str(value).strip()
    if request.max_call_duration is not None:
        body["max_call_duration"] = int(request.max_call_duration)
    if request.call_hold is not None:
        body["call_hold"] = bool(request.call_hold)
    return body


def build_headers(account: Account) -> dict[str, str]:
    return {"x-api-key": account.api_key, "Content-Type": "application/json", "Accept": "application/json"}


@dataclass(frozen=True)
class Problem:
    """A classified failure: stable code plus words for a person. ``raw`` is already redacted."""

    code: str
    title: str
    explanation: str
    action: str
    raw: str = ""
    retry_after: float | None = None
    remaining_ttl: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


OutcomeStatus = Literal["accepted", "rejected", "failed"]


@dataclass(frozen=True)
class Outcome:
    """What happened to one call, whatever path it took.

    accepted: MyOperator queued it (``unique_id``); rejected: the API answered with a refusal;
    failed: no usable answer (network, timeout, garbage, a gateway error, cancelled). A failed call is
    ``unknown`` unless nothing can have reached MyOperator (``may_have_been_sent`` False: connection
    refused, DNS, TLS, cancelled before sending), when a new call is safe.
    """

    status: OutcomeStatus
    request: CallRequest
    http_status: int | None = None
    unique_id: str | None = None
    problem: Problem | None = None
    raw_response: str = ""  # redacted, truncated
    attempts: int = 1
    confirmed_by_duplicate: bool = False
    elapsed_s: float = 0.0
    may_have_been_sent: bool = True  # some attempt may have reached MyOperator

    @property
    def unknown(self) -> bool:
        """No answer says whether MyOperator queued it: a re-send must reuse the reference_id."""
        return self.status == "failed" and self.may_have_been_sent

    @property
    def reference_id(self) -> str:
        return self.request.reference_id

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


def queued_words(request: CallRequest, agent_name: str | None = None) -> str:
    """What an accepted call means, in the same words everywhere: queued, not yet ringing, never
    a claim that anyone answered."""
    if request.kind is CallKind.IVR:
        return "Queued — the customer will be called and connected to the next free agent"
    if agent_name:  # "Asha (demo agent)" → "Asha's phone", not "Asha (demo agent)'s phone"
        phone = f"{agent_name.split(' (')[0].strip()}'s phone"
    elif request.kind is CallKind.USER and request.user_id:
        phone = f"the agent's phone (User ID {request.user_id})"
    elif request.agent_number:
        phone = f"the agent's phone ({request.agent_number})"
    else:
        phone = "the agent's phone"
    return f"Queued — {phone} rings first, then the customer's"
