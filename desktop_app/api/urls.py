"""Where credentials may be sent: MyOperator's endpoints and the one rule for any other URL, kept
free of httpx and of the request schema so it is cheap to import."""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

DEFAULT_API_URL = "https://obd-api.myoperator.co/obd-api-v1"
DEFAULT_LOGS_URL = "https://developers.myoperator.co"  # the logs and users API (api/logs.py)


class UnsafeUrlError(ValueError):
    """The API URL would send credentials in clear text (or is not a URL at all)."""


# A host is a name (letters, digits, dots, hyphens; IDN letters too) or a bracketed IPv6 literal,
# optionally followed by a port of digits only. Anything else (backslashes, stray brackets, a
# second colon) is refused here, so no two URL parsers can disagree about which host is meant.
_AUTHORITY = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]|[\w.-]+)(?::(?P<port>[0-9]*))?")


def is_loopback_host(host: str) -> bool:
    """True for this computer: ``localhost`` and the literal addresses 127.0.0.0/8 and ::1.

    Only literals count: ``*.localhost`` or ``localhost.`` are names a resolver (or a hosts file,
    or a proxy) may send elsewhere.
    """
    host = (host or "").strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _not_a_web_address(text: str) -> UnsafeUrlError:
    return UnsafeUrlError(f"The API URL {text!r} is not a web address. It must look like {DEFAULT_API_URL}")


def _host_and_port(text: str, netloc: str) -> tuple[str, int | None]:
    """The host (brackets removed) and port of ``netloc``, or UnsafeUrlError in words."""
    if "@" in netloc:
        raise UnsafeUrlError("The API URL must not contain a user name or password.")
    match = _AUTHORITY.fullmatch(netloc)
    if not match or not match["host"].strip("[]."):
        raise _not_a_web_address(text)
    host = match["host"]
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise UnsafeUrlError(f"The API URL {text!r} has a malformed IPv6 address {host}.") from None
        host = host[1:-1]
    elif not host.isascii():
        _check_idna(text, host)
    port_text = match["port"]
    if port_text is None or port_text == "":
        return host, None
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise UnsafeUrlError(
            f"The API URL {text!r} has port {port_text}; a port is a number from 1 to 65535."
        )
    return host, port


def _check_idna(text: str, host: str) -> None:
    """A non-ASCII name must be a valid international domain name (as httpx will encode it)."""
    import idna  # installed with httpx; only needed for the rare non-ASCII name

    try:
        idna.encode(host.lower())
    except (idna.IDNAError, UnicodeError):
        raise UnsafeUrlError(
            f"The API URL {text!r} has a host name with characters a web address cannot have."
        ) from None


def validate_api_url(url: str) -> str:
    """The one rule for where credentials may go: HTTPS, or plain http to this computer (the sandbox).

    Returns the URL stripped, or raises UnsafeUrlError with a sentence for the user (never another
    exception, whatever the text).
    """
    text = (url or "").strip() if isinstance(url, str) else ""
    if not text:
        raise UnsafeUrlError(f"The API URL is empty. Use the MyOperator endpoint: {DEFAULT_API_URL}")
    if any(ch.isspace() for ch in text):
        raise UnsafeUrlError(f"The API URL {text!r} contains spaces. Check it for typos.")
    if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in text):
        raise UnsafeUrlError(f"The API URL {text!r} contains characters a web address cannot have.")
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError:  # e.g. "http://[::1" (an unclosed bracket)
        raise _not_a_web_address(text) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise _not_a_web_address(text)
    host, _port = _host_and_port(text, parts.netloc)
    if scheme == "http" and not is_loopback_host(host):
        raise UnsafeUrlError(
            f"The API URL {text!r} uses plain http, which would send the secret token unencrypted. "
            "Use https: plain http is only allowed to this computer (localhost, 127.0.0.1 or ::1 — "
            "the sandbox, e.g. http://127.0.0.1:8080)."
        )
    return text
