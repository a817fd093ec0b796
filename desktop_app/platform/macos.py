"""macOS: the bundle declares the schemes (``CFBundleURLTypes``); Launch Services picks the default.

``plist_url_types()`` is what the PyInstaller spec puts in Info.plist. Status and register use
Launch Services through ctypes, only on macOS; elsewhere status is "unknown". Links reach the
running app as a ``QFileOpenEvent`` (see ``desktop_app.ui.launcher``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Sequence
from typing import Any

from desktop_app import APP_ID, APP_NAME
from desktop_app.platform import SCHEMES, LinkHandlerStatus, RegistrationError, RegistrationResult

_UTF8 = 0x08000100  # kCFStringEncodingUTF8


def plist_url_types() -> list[dict[str, Any]]:
    """``CFBundleURLTypes`` entries: one per scheme, OpDial as a viewer of each."""
    return [
        {
            "CFBundleURLName": f"{APP_ID}.{scheme}",
            "CFBundleURLSchemes": [scheme],
            "CFBundleTypeRole": "Viewer",
        }
        for scheme in SCHEMES
    ]


class _LaunchServices:
    """The four CoreFoundation/CoreServices calls we need, loaded lazily on macOS."""

    def __init__(self) -> None:
        cf = ctypes.cdll.LoadLibrary(ctypes.util.find_library("CoreFoundation"))
        cs = ctypes.cdll.LoadLibrary(ctypes.util.find_library("CoreServices"))
        cf.CFStringCreateWithCString.restype = ctypes.c_void_p
        cf.CFStringCreateWithCString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32]
        cf.CFStringGetCString.restype = ctypes.c_bool
        cf.CFStringGetCString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_long, ctypes.c_uint32]
        cf.CFRelease.argtypes = [ctypes.c_void_p]
        cs.LSCopyDefaultHandlerForURLScheme.restype = ctypes.c_void_p
        cs.LSCopyDefaultHandlerForURLScheme.argtypes = [ctypes.c_void_p]
        cs.LSSetDefaultHandlerForURLScheme.restype = ctypes.c_int32
        cs.LSSetDefaultHandlerForURLScheme.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.cf, self.cs = cf, cs

    def _cfstr(self, text: str) -> int:
        return self.cf.CFStringCreateWithCString(None, text.encode(), _UTF8)

    def default_handler(self, scheme: str) -> str | None:
        ref = self._cfstr(scheme)
        try:
            handler = self.cs.LSCopyDefaultHandlerForURLScheme(ref)
        finally:
            self.cf.CFRelease(ref)
        if not handler:
            return None
        try:
            buffer = ctypes.create_string_buffer(1024)
            ok = self.cf.CFStringGetCString(handler, buffer, len(buffer), _UTF8)
            return buffer.value.decode() if ok else None
        finally:
            self.cf.CFRelease(handler)

    def set_default_handler(self, scheme: str, bundle_id: str) -> int:
        scheme_ref, bundle_ref = self._cfstr(scheme), self._cfstr(bundle_id)
        try:
            return int(self.cs.LSSetDefaultHandlerForURLScheme(scheme_ref, bundle_ref))
        finally:
            self.cf.CFRelease(scheme_ref)
            self.cf.CFRelease(bundle_ref)


class MacLinkHandler:
    def __init__(self, launch_services: Any | None = None) -> None:
        self._ls = launch_services
        if self._ls is None and sys.platform == "darwin":
            self._ls = _LaunchServices()

    def status(self) -> list[LinkHandlerStatus]:
        if self._ls is None:
            why = "Launch Services can only be asked on macOS"
            return [LinkHandlerStatus(s, False, None, known=False, detail=why) for s in SCHEMES]
        statuses = []
        for scheme in SCHEMES:
            handler = self._ls.default_handler(scheme)
            ours = bool(handler) and handler.casefold() == APP_ID.casefold()
            statuses.append(LinkHandlerStatus(scheme, ours, APP_NAME if ours else handler))
        return statuses

    def register(self, exe_command: Sequence[str]) -> RegistrationResult:
        """The bundle already declares the schemes; this makes it the default for each."""
        if self._ls is None:
            raise RegistrationError("Launch Services can only be changed on macOS.")
        result = RegistrationResult()
        for scheme in SCHEMES:
            code = self._ls.set_default_handler(scheme, APP_ID)
            if code == 0:
                result.changed.append(f"{APP_NAME} now opens {scheme}: links.")
            else:
                result.notes.append(
                    f"{scheme}: macOS refused (code {code}); is {APP_NAME}.app in Applications? "
                    "Choose it in FaceTime → Settings → Default for calls, or run the app once."
                )
        return result

    def unregister(self) -> RegistrationResult:
        return RegistrationResult(
            notes=[
                f"macOS keeps {APP_NAME} as a possible handler while the app is installed; "
                "choose another default app, or move OpDial.app to the Bin."
            ]
        )
