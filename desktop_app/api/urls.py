"""Where credentials may be sent: the one rule, kept free of httpx so it is cheap to import."""

from __future__ import annotations

import ipaddress
import urllib.parse

from desktop_app.api.models import DEFAULT_API_URL


class UnsafeUrlError(ValueError):
    """The API URL would send credentials in clear text (or is not a URL at all)."""


def is_loopback_host(host: str) -> bool:
    """True for this computer: localhost, 127.0.0.0/8 and ::1."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_api_url(url: str) -> str:
    """The one rule for where credentials may go: HTTPS, or plain http to this computer (the sandbox).

    Returns the URL stripped, or raises UnsafeUrlError with a sentence for the user.
    """
    text = (url or "").strip()
    if not text:
        raise UnsafeUrlError(f"The API URL is empty. Use the MyOperator endpoint: {DEFAULT_API_URL}")
    if any(ch.isspace() for ch in text):
        raise UnsafeUrlError(f"The API URL {text!r} contains spaces. Check it for typos.")
    parts = urllib.parse.urlsplit(text)
    try:
        host = parts.hostname or ""
    except ValueError:
        host = ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise UnsafeUrlError(
            f"The API URL {text!r} is not a web address. It must look like {DEFAULT_API_URL}"
        )
    if parts.username or parts.password:
        raise UnsafeUrlError("The API URL must not contain a user name or password.")
    if parts.scheme.lower() == "http" and not is_loopback_host(host):
        raise UnsafeUrlError(
            f"The API URL {text!r} uses plain http, which would send the secret token unencrypted. "
            "Use https: plain http is only allowed to this computer (the sandbox, e.g. http://127.0.0.1:8080)."
        )
    return text
