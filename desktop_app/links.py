"""Link intake: the one function every path that hands OpDial a number goes through.

Command-line arguments, a second instance's hand-over, the macOS open event, the clipboard and
``opdial-cli number`` all call ``parse_intake``. It accepts plain numbers and ``tel:``,
``callto:`` / ``callto://`` and our own ``opdial:dial?to=…&mode=…&agent=…`` links, in any letter
case and percent-encoding, and refuses everything else with one plain sentence.

``tel:`` follows RFC 3966 where real links do: ``;ext=`` is kept as a note, ``;phone-context=+91``
supplies the country prefix of a local number, a domain ``phone-context`` (a number that only
works inside some private network) is refused, other parameters (``isub``, ``postd``…) are ignored.
Links in the wild also break the RFC (national numbers, spaces, ``(0)``), so those are read in the
default region, just as typed numbers are.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from urllib.parse import unquote

from desktop_app.api.models import CallKind
from desktop_app.numbers import DEFAULT_REGION, NumberError, ParsedNumber, normalise_number_text

PHONE_SCHEMES = ("tel", "callto")
OWN_SCHEME = "opdial"

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
_WRAPPING = "\"'<>«»“”‘’ \t\r\n"  # quotes and angle brackets that mail clients and CRMs add

_OTHER_SCHEMES = {
    "mailto": "That is an e-mail address (mailto:), not a phone number.",
    "http": "That is a web link, not a phone number.",
    "https": "That is a web link, not a phone number.",
    "skype": "skype: links name a Skype user, not a phone number; OpDial dials phone numbers only.",
    "sip": "sip: addresses are internet-phone accounts, not phone numbers.",
    "sips": "sips: addresses are internet-phone accounts, not phone numbers.",
    "sms": "That is a text-message link (sms:), not a call.",
    "file": "That is a file, not a phone number.",
}


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
    text = (text or "").strip().strip(_WRAPPING).strip()
    if not text:
        raise LinkError("Empty: there is no number to dial.")
    match = _SCHEME.match(text)
    if not match:
        return _with_extension_note(LinkIntake(_number(text, default_region), source="text"))
    scheme = match.group(1).lower()
    rest = text[match.end() :]
    if scheme in PHONE_SCHEMES:
        return _phone_link(scheme, rest, default_region)
    if scheme == OWN_SCHEME:
        return _opdial_link(rest, default_region)
    raise LinkError(
        _OTHER_SCHEMES.get(scheme) or f"OpDial opens tel:, callto: and opdial: links, not {scheme}: links."
    )


def _phone_link(scheme: str, rest: str, default_region: str | None) -> LinkIntake:
    """tel:NUMBER;param=value… and callto:[//]NUMBER (Skype-era links, sometimes with ?query)."""
    rest = _strip_slashes(rest)
    if scheme == "callto":
        rest = rest.split("?", 1)[0]
    number_text, _, params_text = rest.partition(";")
    number_text = _decode(number_text).strip()
    params = _params(params_text)
    if not _DIGIT.search(number_text):
        if _LETTER.search(number_text):
            raise LinkError(f"{scheme}:{number_text} is a user name, not a phone number.")
        raise LinkError(f"The {scheme}: link is empty: it has no number in it.")
    context = params.get("phone-context", "")
    if context and not number_text.lstrip().startswith(("+", "\uff0b")):
        number_text = _apply_phone_context(number_text, context)
    number = _number(number_text, default_region)
    extension = _decode(params.get("ext", "")).strip()
    if extension:
        if not extension.isdecimal():
            raise LinkError(f"The extension {extension!r} in the link is not a number.")
        number = dataclasses.replace(number, extension=extension)
    return _with_extension_note(LinkIntake(number, source=scheme))


def _apply_phone_context(local: str, context: str) -> str:
    """RFC 3966: a local number's context is either a global prefix (+91…) or a domain name."""
    context = _decode(context).strip()
    if context.startswith("+"):
        return context + " " + local
    raise LinkError(
        f"{local} is a local number that only works inside {context} (phone-context): "
        "it cannot be dialled from outside. Ask for the full number with its country code."
    )


def _opdial_link(rest: str, default_region: str | None) -> LinkIntake:
    """opdial:dial?to=<number>&mode=user|anonymous|ivr[&agent=<number>]."""
    action, _, query = _strip_slashes(rest).partition("?")
    if action.strip("/").lower() != "dial":
        raise LinkError(f'opdial: links can only "dial", not {action!r}: use opdial:dial?to=<number>.')
    params = _params(query, separator="&")
    if not params.get("to", "").strip():
        raise LinkError("The opdial: link says whom to call with to=<number>, and it has none.")
    number = _number(params["to"], default_region, role="Customer number")
    kind = _call_kind(params.get("mode", ""))
    agent_text = params.get("agent", "").strip()
    agent = _number(agent_text, default_region, role="Agent number") if agent_text else None
    return _with_extension_note(LinkIntake(number, kind=kind, agent=agent, source=OWN_SCHEME))


def _call_kind(mode: str) -> CallKind | None:
    mode = _decode(mode).strip().lower()
    if not mode:
        return None
    try:
        return CallKind(mode)
    except ValueError:
        raise LinkError(f'Unknown mode "{mode}" in the opdial: link: use user, anonymous or ivr.') from None


def _number(text: str, default_region: str | None, role: str = "") -> ParsedNumber:
    try:
        return normalise_number_text(_decode(text), default_region)
    except NumberError as error:
        reason = f"{role}: {error.reason[0].lower()}{error.reason[1:]}" if role else error.reason
        raise LinkError(reason) from None


def _with_extension_note(intake: LinkIntake) -> LinkIntake:
    if intake.number.extension and not intake.note:
        return dataclasses.replace(intake, note=f"Extension {intake.number.extension}")
    return intake


def _params(text: str, separator: str = ";") -> dict[str, str]:
    """Parameters by lower-case name, values still encoded. No ``parse_qs``: it turns + into space."""
    params: dict[str, str] = {}
    for item in text.split(separator):
        name, _, value = item.partition("=")
        name = _decode(name).strip().lower()
        if name and name not in params:
            params[name] = value
    return params


def _strip_slashes(rest: str) -> str:
    """callto://N and tel://N exist in the wild; Windows browsers may add a trailing slash."""
    rest = rest.strip()
    if rest.startswith("//"):
        rest = rest[2:]
    return rest.rstrip("/")


def _decode(text: str) -> str:
    """Undo percent-encoding, also double encoding (%252B) that some CRMs produce."""
    for _ in range(3):
        if not _PERCENT_ESCAPE.search(text):
            break
        text = unquote(text)
    return text
