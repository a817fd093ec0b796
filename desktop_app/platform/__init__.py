"""Per-user registration of OpDial as the handler of tel:, callto: and opdial: links.

One interface on every OS (``status()``, ``register(exe_command)``, ``unregister()``); the OS
modules (``windows``, ``macos``, ``linux``) hold the details and are importable everywhere, so
their layouts (registry keys, plist entries, ``.desktop`` file) are tested on any machine.
Nothing here needs admin rights, and ``unregister`` removes only what OpDial itself wrote.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

SCHEMES: tuple[str, ...] = ("tel", "callto", "opdial")
# The schemes whose handler matters to an agent; opdial: is ours by definition.
PHONE_SCHEMES: tuple[str, ...] = ("tel", "callto")


class RegistrationError(RuntimeError):
    """Registration could not be done; the message says why and what to do instead."""


@dataclass(frozen=True)
class LinkHandlerStatus:
    """Who opens one scheme's links for the current user."""

    scheme: str
    handled_by_us: bool
    current_handler: str | None  # an app name, ProgID, bundle id or .desktop id; None = nobody/unknown
    known: bool = True  # False when the OS could not be asked (the detail says why)
    detail: str = ""

    def describe(self) -> str:
        if not self.known:
            return f"{self.scheme}: unknown ({self.detail})" if self.detail else f"{self.scheme}: unknown"
        if self.handled_by_us:
            return f"{self.scheme}: OpDial"
        return f"{self.scheme}: {self.current_handler or 'no handler'}"


@dataclass
class RegistrationResult:
    """What ``register``/``unregister`` did, in sentences for a person."""

    changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [*self.changed, *self.notes]


class LinkHandlerPlatform(Protocol):
    """The same three operations on each OS."""

    def status(self) -> list[LinkHandlerStatus]: ...

    def register(self, exe_command: Sequence[str]) -> RegistrationResult: ...

    def unregister(self) -> RegistrationResult: ...


def default_exe_command() -> list[str]:
    """How the OS should start OpDial: the frozen executable, or this Python running the package."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [_gui_python(), "-m", "desktop_app"]


def _gui_python() -> str:
    # On Windows, pythonw.exe avoids a console window flashing up for every clicked link.
    if sys.platform == "win32" and sys.executable.lower().endswith("python.exe"):
        candidate = sys.executable[: -len("python.exe")] + "pythonw.exe"
        from pathlib import Path

        if Path(candidate).exists():
            return candidate
    return sys.executable


def current_platform() -> LinkHandlerPlatform:
    """The implementation for the OS this process runs on."""
    if sys.platform == "win32":
        from desktop_app.platform.windows import WindowsLinkHandler

        return WindowsLinkHandler()
    if sys.platform == "darwin":
        from desktop_app.platform.macos import MacLinkHandler

        return MacLinkHandler()
    from desktop_app.platform.linux import LinuxLinkHandler

    return LinuxLinkHandler()


def status() -> list[LinkHandlerStatus]:
    return current_platform().status()


def register(exe_command: Sequence[str] | None = None) -> RegistrationResult:
    return current_platform().register(list(exe_command or default_exe_command()))


def unregister() -> RegistrationResult:
    return current_platform().unregister()


def handles_phone_links(statuses: Sequence[LinkHandlerStatus]) -> bool:
    """True when OpDial opens both tel: and callto: links."""
    by_scheme = {s.scheme: s for s in statuses}
    return all(by_scheme.get(scheme) and by_scheme[scheme].handled_by_us for scheme in PHONE_SCHEMES)
