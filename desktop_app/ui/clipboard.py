"""Dial from the clipboard: read it (and the X11 selection), normalise, show, call after confirmation.

Reached from the tray, the window shortcut ``Ctrl+Shift+V``, ``opdial --dial-clipboard`` (handed to
the running OpDial) and, on Windows, the system-wide hotkey ``Ctrl+Alt+D`` registered through
``RegisterHotKey``. Other systems have no dependency-free global hotkey API; bind one in the OS
to ``opdial --dial-clipboard`` (see ``OS_SHORTCUT_HELP``).
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QAbstractNativeEventFilter, QCoreApplication, QObject, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

from desktop_app.links import LinkError, LinkIntake, parse_intake
from desktop_app.numbers import NumberError

log = logging.getLogger(__name__)

WINDOW_SHORTCUT = "Ctrl+Shift+V"
HOTKEY_TEXT = "Ctrl+Alt+D"
MAX_NUMBER_TEXT = 200  # longer clipboard text is a paragraph, not a number
OS_SHORTCUT_HELP = {
    "linux": "GNOME: Settings → Keyboard → View and Customise Shortcuts → Custom Shortcuts → +, "
    "command “opdial --dial-clipboard”. KDE: System Settings → Shortcuts → Add Command.",
    "darwin": "Shortcuts app → new shortcut → Run Shell Script "
    "“/Applications/OpDial.app/Contents/MacOS/opdial --dial-clipboard”, then give it a keyboard "
    "shortcut in its details.",
    "win32": f"{HOTKEY_TEXT} works everywhere while OpDial runs.",
}


class ClipboardEmpty(LinkError):
    """Nothing on the clipboard or the selection."""


def os_shortcut_help(platform: str = sys.platform) -> str:
    return OS_SHORTCUT_HELP.get(platform, OS_SHORTCUT_HELP["linux"])


def clipboard_texts(clipboard: QClipboard | None = None) -> list[tuple[str, str]]:
    """``(where, text)`` for the clipboard, then the X11 primary selection where it exists."""
    clipboard = clipboard or QGuiApplication.clipboard()
    modes = [(QClipboard.Mode.Clipboard, "the clipboard")]
    if clipboard.supportsSelection():
        modes.append((QClipboard.Mode.Selection, "the selected text"))
    found = []
    for mode, where in modes:
        text = clipboard.text(mode).strip()
        if text:
            found.append((where, text))
    return found


def intake_from_clipboard(default_region: str, clipboard: QClipboard | None = None) -> tuple[LinkIntake, str]:
    """The first callable number on the clipboard or the selection, and where it was.

    Raises ``LinkError`` (a ``NumberError``) with the reason for the clipboard's text.
    """
    texts = clipboard_texts(clipboard)
    if not texts:
        raise ClipboardEmpty("The clipboard is empty: copy a phone number first.")
    first_error: NumberError | None = None
    for where, text in texts:
        try:
            if len(text) > MAX_NUMBER_TEXT:
                raise LinkError(f"{where[0].upper()}{where[1:]} holds a long text, not a phone number.")
            return parse_intake(text, default_region), where
        except NumberError as error:
            first_error = first_error or error
    assert first_error is not None
    raise first_error


def dial_clipboard(window, clipboard: QClipboard | None = None, *, tick_ms: int = 1000):
    """Prefill ``window`` from the clipboard and ask before calling (never a countdown: a copied
    number is less deliberate than a clicked link). Returns the dialog, or None with the reason
    shown in the window."""
    region = getattr(getattr(window, "form", None), "default_region", None) or "IN"
    try:
        intake, where = intake_from_clipboard(region, clipboard)
    except ClipboardEmpty as error:
        window.show_intake_error(error.reason)
        return None
    except NumberError as error:
        window.show_intake_error(f"the clipboard holds no callable number. {error.reason}")
        return None
    from desktop_app.ui.link_confirm import ask_before_calling  # first use: keeps start-up light

    return ask_before_calling(window, intake, 0, origin=where, tick_ms=tick_ms)


# -- Windows: a system-wide hotkey without new dependencies ---------------------------------------
WM_HOTKEY = 0x0312
MOD_ALT, MOD_CONTROL, MOD_NOREPEAT = 0x0001, 0x0002, 0x4000
HOTKEY_ID = 0x0D1A  # any id unique within this thread


class _HotkeyFilter(QAbstractNativeEventFilter):
    def __init__(self, on_hotkey) -> None:
        super().__init__()
        self._on_hotkey = on_hotkey

    def nativeEventFilter(self, event_type, message):
        if bytes(event_type) not in (b"windows_generic_MSG", b"windows_dispatcher_MSG"):
            return False, 0
        from ctypes import wintypes

        msg = wintypes.MSG.from_address(int(message))
        if msg.message == WM_HOTKEY and msg.wParam == HOTKEY_ID:
            self._on_hotkey()
            return True, 0
        return False, 0


class GlobalHotkey(QObject):
    """``Ctrl+Alt+D`` anywhere in Windows → ``activated``. Elsewhere ``register`` returns False."""

    activated = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._filter: _HotkeyFilter | None = None

    def register(self) -> bool:
        if sys.platform != "win32" or self._filter is not None:
            return self._filter is not None
        import ctypes

        user32 = ctypes.windll.user32  # type: ignore[attr-defined]
        # hWnd NULL: WM_HOTKEY is posted to this (the GUI) thread's queue, seen by Qt's dispatcher.
        if not user32.RegisterHotKey(None, HOTKEY_ID, MOD_CONTROL | MOD_ALT | MOD_NOREPEAT, ord("D")):
            log.warning("global hotkey %s is taken by another program", HOTKEY_TEXT)
            return False
        self._filter = _HotkeyFilter(self.activated.emit)
        QCoreApplication.instance().installNativeEventFilter(self._filter)
        return True

    def unregister(self) -> None:
        if self._filter is None:
            return
        import ctypes

        ctypes.windll.user32.UnregisterHotKey(None, HOTKEY_ID)  # type: ignore[attr-defined]
        QCoreApplication.instance().removeNativeEventFilter(self._filter)
        self._filter = None
