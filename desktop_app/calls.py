"""From what a person typed to a sendable ``CallRequest``: the one validation step before any call.

The window, the CLI and the launcher all go through ``prepare_call``, so a number that is not
callable never reaches the network, whichever way it came in.
"""

from __future__ import annotations

from desktop_app.api.models import MAX_CALL_DURATION_RANGE, CallKind, CallRequest, new_reference_id
from desktop_app.numbers import NumberError, normalise


class InputError(ValueError):
    """Something the user typed is not usable; ``field`` names the input, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _number(field: str, label: str, text: str | None, default_region: str) -> str:
    if not (text or "").strip():
        raise InputError(field, f"Enter the {label}.")
    try:
        return normalise(text or "", default_region).e164
    except NumberError as error:
        raise InputError(field, f"{label[0].upper()}{label[1:]}: {error.reason}") from error


def _optional(text: str | None) -> str | None:
    value = (text or "").strip()
    return value or None


def prepare_call(
    kind: CallKind | str,
    to: str,
    *,
    default_region: str = "IN",
    user_id: str | None = None,
    agent: str | None = None,
    reference_id: str | None = None,
    caller_id: str | None = None,
    region: str | None = None,
    group: str | None = None,
    max_call_duration: int | str | None = None,
) -> CallRequest:
    kind = CallKind(kind)
    customer = _number("to", "customer number", to, default_region)
    agent_number = None
    if kind is CallKind.USER and not (user_id or "").strip():
        raise InputError("user_id", "Enter the agent's MyOperator User ID (set it in the profile).")
    if kind is CallKind.ANONYMOUS:
        agent_number = _number("agent", "agent number", agent, default_region)
        if agent_number == customer:
            raise InputError("agent", "The agent number and the customer number are the same.")
    return CallRequest(
        kind=kind,
        to=customer,
        user_id=(user_id or "").strip() or None if kind is CallKind.USER else None,
        agent_number=agent_number,
        reference_id=_optional(reference_id) or new_reference_id(),
        caller_id=_optional(caller_id),
        region=_optional(region),
        group=_optional(group),
        max_call_duration=_duration(max_call_duration),
    )


def _duration(value: int | str | None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    low, high = MAX_CALL_DURATION_RANGE
    try:
        seconds = int(str(value).strip())
    except ValueError:
        raise InputError("max_call_duration", "Maximum duration must be a whole number of seconds.") from None
    if not low <= seconds <= high:
        raise InputError("max_call_duration", f"Maximum duration must be between {low} and {high} seconds.")
    return seconds
