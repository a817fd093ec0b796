"""Taking a link apart: which number text a ``tel:``, ``callto:`` or ``opdial:`` link holds.

Only the syntax lives here: no phone-number rules (``numbers``) and no intake decisions such as
the call kind (``links``). Both use it, so a link reads the same whichever way it arrives, and the
imports point down: ``links`` → ``numbers`` → ``link_syntax``, which imports nothing of OpDial.

``tel:`` follows RFC 3966 where real links do: ``;ext=`` is kept, ``;phone-context=+91`` supplies
the country prefix of a local number, a domain ``phone-context`` (a number that only works inside
some private network) is refused, other parameters (``isub``, ``postd``…) are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

PHONE_SCHEMES = ("tel", "callto")
OWN_SCHEME = "opdial"

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
WRAPPING = "\"'<>«»“”‘’ \t\r\n"  # quotes and angle brackets that mail clients and CRMs add

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


class LinkSyntaxError(ValueError):
    """A link that holds no number. ``reason`` says why in one sentence for the agent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkParts:
    """What a link says, as text (decoded, not yet checked as a phone number).

    ``source`` is "tel", "callto", "opdial" or "text" (no link: a plain number). ``mode`` and
    ``agent`` come only from opdial: links; ``extension`` from tel:'s ``;ext=``.
    """

    source: str
    number: str
    extension: str = ""
    mode: str = ""
    agent: str = ""


def split_link(text: str) -> LinkParts:
    """The parts of a link or plain number as any intake path receives it. Raises LinkSyntaxError."""
    text = (text or "").strip().strip(WRAPPING).strip()
    if not text:
        raise LinkSyntaxError("Empty: there is no number to dial.")
    match = _SCHEME.match(text)
    if not match:
        return LinkParts("text", decode(text))
    scheme = match.group(1).lower()
    rest = text[match.end() :]
    if scheme in PHONE_SCHEMES:
        inner = _SCHEME.match(_strip_slashes(rest))
        if inner and inner.group(1).lower() in PHONE_SCHEMES:  # callto:tel:… (CRMs nest them): one level
            scheme, rest = inner.group(1).lower(), _strip_slashes(rest)[inner.end() :]
        return _phone_link(scheme, rest)
    if scheme == OWN_SCHEME:
        return _opdial_link(rest)
    raise LinkSyntaxError(
        _OTHER_SCHEMES.get(scheme) or f"OpDial opens tel:, callto: and opdial: links, not {scheme}: links."
    )


def _phone_link(scheme: str, rest: str) -> LinkParts:
    """tel:NUMBER;param=value… and callto:[//]NUMBER (Skype-era links, sometimes with ?query)."""
    rest = _strip_slashes(rest)
    # A literal # starts a URI fragment (a # in the number itself is written %23) and ? a query:
    # neither is part of the number.
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    number_text, _, params_text = rest.partition(";")
    number_text = decode(number_text).strip()
    params = _params(params_text)
    if not _DIGIT.search(number_text):
        if _LETTER.search(number_text):
            raise LinkSyntaxError(f"{scheme}:{number_text} is a user name, not a phone number.")
        raise LinkSyntaxError(f"The {scheme}: link is empty: it has no number in it.")
    context = params.get("phone-context", "")
    if context and not number_text.lstrip().startswith(("+", "\uff0b")):
        number_text = _apply_phone_context(number_text, context)
    extension = decode(params.get("ext", "")).strip()
    if extension and not extension.isdecimal():
        raise LinkSyntaxError(f"The extension {extension!r} in the link is not a number.")
    return LinkParts(scheme, number_text, extension=extension)


def _apply_phone_context(local: str, context: str) -> str:
    """RFC 3966: a local number's context is either a global prefix (+91…) or a domain name."""
    context = decode(context).strip()
    if context.startswith("+"):
        return context + " " + local
    raise LinkSyntaxError(
        f"{local} is a local number that only works inside {context} (phone-context): "
        "it cannot be dialled from outside. Ask for the full number with its country code."
    )


def _opdial_link(rest: str) -> LinkParts:
    """opdial:dial?to=<number>&mode=user|anonymous|ivr[&agent=<number>]."""
    action, _, query = _strip_slashes(rest).partition("?")
    if action.strip("/").lower() != "dial":
        raise LinkSyntaxError(f'opdial: links can only "dial", not {action!r}: use opdial:dial?to=<number>.')
    params = _params(query, separator="&")
    if not params.get("to", "").strip():
        raise LinkSyntaxError("The opdial: link says whom to call with to=<number>, and it has none.")
    return LinkParts(
        OWN_SCHEME,
        decode(params["to"]),
        mode=decode(params.get("mode", "")).strip().lower(),
        agent=decode(params.get("agent", "").strip()),
    )


def _params(text: str, separator: str = ";") -> dict[str, str]:
    """Parameters by lower-case name, values still encoded. No ``parse_qs``: it turns + into space."""
    params: dict[str, str] = {}
    for item in text.split(separator):
        name, _, value = item.partition("=")
        name = decode(name).strip().lower()
        if name and name not in params:
            params[name] = value
    return params


def _strip_slashes(rest: str) -> str:
    """callto://N and tel://N exist in the wild; Windows browsers may add a trailing slash."""
    rest = rest.strip()
    if rest.startswith("//"):
        rest = rest[2:]
    return rest.rstrip("/")


def decode(text: str) -> str:
    """Undo percent-encoding, also double encoding (%252B) that some CRMs produce."""
    for _ in range(3):
        if not _PERCENT_ESCAPE.search(text):
            break
        text = unquote(text)
    return text
