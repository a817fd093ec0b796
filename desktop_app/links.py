"""Link intake: the one function every path that hands OpDial a number goes through.

Command-line arguments, a second instance's hand-over, the macOS open event, the clipboard and
``opdial-cli number`` all call ``parse_intake``. It accepts plain numbers and ``tel:``,
``callto:`` / ``callto://`` and our own ``opdial:dial?to=…&mode=…&agent=…`` links, in any letter
case and percent-encoding, and refuses everything else with one plain sentence.

The link's syntax is read by ``link_syntax`` (shared with ``numbers.normalise``); here the parts
become numbers, a call kind and a note. ``;ext=`` is kept as a note. Links in the wild also break
RFC 3966 (national numbers, spaces, ``(0)``), so those are read in the default region, just as
typed numbers are.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from desktop_app.api.models import CallKind
from desktop_app.link_syntax import OWN_SCHEME, PHONE_SCHEMES, LinkSyntaxError, split_link
from desktop_app.numbers import DEFAULT_REGION, NumberError, ParsedNumber, normalise_number_text

__all__ = ["OWN_SCHEME", "PHONE_SCHEMES", "LinkError", "LinkIntake", "parse_intake"]


class LinkError(NumberError):
    """A link or text that holds no callable number. ``reason`` says why in one sentence.

    A NumberError too, so ``except NumberError`` around ``numbers.normalise`` also covers links.
    """


@dataclass(frozen=True)
class LinkIntake:
    """What a link asks for. OpDial prefills the form with it and asks before dialling.

    ``source`` is the form it came in: "tel", "callto", "opdial" or "text" (a plain number).
    ``kind`` and ``agent`` come only from opdial: links; ``note`` carries what the number alone
    cannot, e.g. "Extension 123".
    """

    number: ParsedNumber
    kind: CallKind | None = None
    agent: ParsedNumber | None = None
    note: str | None = None
    source: str = "text"


def parse_intake(text: str, default_region: str | None = DEFAULT_REGION) -> LinkIntake:
    """Read a number or link as any intake path receives it. Raises LinkError."""
    try:
        parts = split_link(text)
    except LinkSyntaxError as error:
        raise LinkError(error.reason) from None
    if parts.source != OWN_SCHEME:
        number = _number(parts.number, default_region)
        if parts.extension:
            number = dataclasses.replace(number, extension=parts.extension)
        return _with_extension_note(LinkIntake(number, source=parts.source))
    number = _number(parts.number, default_region, role="Customer number")
    kind = _call_kind(parts.mode)
    agent = _number(parts.agent, default_region, role="Agent number") if parts.agent else None
    return _with_extension_note(LinkIntake(number, kind=kind, agent=agent, source=OWN_SCHEME))


def _call_kind(mode: str) -> CallKind | None:
    if not mode:
        return None
    try:
        return CallKind(mode)
    except ValueError:
        raise LinkError(f'Unknown mode "{mode}" in the opdial: link: use user, anonymous or ivr.') from None


def _number(text: str, default_region: str | None, role: str = "") -> ParsedNumber:
    try:
        return normalise_number_text(text, default_region)
    except NumberError as error:
        reason = f"{role}: {error.reason[0].lower()}{error.reason[1:]}" if role else error.reason
        raise LinkError(reason) from None


def _with_extension_note(intake: LinkIntake) -> LinkIntake:
    if intake.number.extension and not intake.note:
        return dataclasses.replace(intake, note=f"Extension {intake.number.extension}")
    return intake
