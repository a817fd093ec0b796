"""The launcher: how links, second launches, macOS open events, the clipboard and the tray reach
the window — every link through ``app.deliver_intake`` and so through ``handle_intake``.

Start-up order (see ``app.run_gui``):

1. ``hand_over(options)`` before any ``QApplication``: claim the instance lock (standard library
   only). A running or starting OpDial holds it: this launch hands it the link (or
   ``--dial-clipboard``), waiting up to ``START_WAIT_S`` for its server, and exits at once.
   ``app.run_gui`` claims the lock itself and makes a ``Launcher`` before the paint only for this
   (or on macOS, for step 2); otherwise the launcher is made just after the paint, for step 3.
2. ``install_early(app)``: macOS delivers a clicked link as a ``QFileOpenEvent``, possibly before
   the window exists; such links wait in a buffer.
3. ``attach(app, window, options)``, after the window's first paint (before it, when the window
   starts hidden in the tray): become the primary, route hand-overs, set the intake handler, add
   the tray and hotkeys, deliver the buffered links.

QtNetwork, the tray, the hotkey and phone-number parsing are imported only in step 3, so the
first paint does not wait for them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, QUrl
from PySide6.QtGui import QAction, QFileOpenEvent, QKeySequence

from desktop_app.instance_lock import Claim, InstanceLock
from desktop_app.ui.tray_prefs import may_start_hidden

if TYPE_CHECKING:
    from desktop_app.ui.clipboard import GlobalHotkey
    from desktop_app.ui.single_instance import SingleInstance
    from desktop_app.ui.tray import CloseToTray, Tray

log = logging.getLogger(__name__)

START_WAIT_S = 5.0  # how long a second launch waits for a primary that is still starting


@dataclass(frozen=True)
class LaunchRequest:
    """What one launch asks of OpDial. Travels between processes as a JSON object."""

    link: str | None = None
    dial_clipboard: bool = False

    def payload(self) -> str:
        return json.dumps({"link": self.link, "dial_clipboard": self.dial_clipboard})

    @classmethod
    def from_payload(cls, text: str) -> LaunchRequest:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict):  # a bare link from an older or foreign sender
            return cls(link=text or None)
        link = data.get("link")
        return cls(
            link=link if isinstance(link, str) and link else None,
            dial_clipboard=bool(data.get("dial_clipboard")),
        )

    @classmethod
    def from_options(cls, options) -> LaunchRequest:
        return cls(
            link=getattr(options, "link", None),
            dial_clipboard=bool(getattr(options, "dial_clipboard", False)),
        )


_QURL_SOURCE = re.compile(r'source was "(.*)"; scheme')


def link_text(event: QFileOpenEvent) -> str:
    """The link as clicked. ``callto://+14155550123`` makes an *invalid* QUrl (a "+" in the host
    part), whose only copy of the text is in its error string; valid links keep their encoding."""
    url = event.url()
    if url.isValid() and url.scheme() and not url.isLocalFile():
        return url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
    found = _QURL_SOURCE.search(url.errorString())
    return found.group(1) if found else event.file()


def handle_intake(window, text: str) -> None:
    """The intake handler: parse the link/number, prefill, and ask (or count down) before calling."""
    from desktop_app.links import parse_intake
    from desktop_app.numbers import NumberError

    region = getattr(getattr(window, "form", None), "default_region", None) or "IN"
    try:
        intake = parse_intake(text, region)
    except NumberError as error:
        window.show_intake_error(error.reason)
        return
    from desktop_app.ui.link_confirm import ask_before_calling, profile_countdown  # first link only

    ask_before_calling(window, intake, profile_countdown(window))


def allow_foreground_hand_over() -> None:
    """Windows lets only the process the user clicked take the foreground; this launch passes that
    right on so the running OpDial can raise its window (ASFW_ANY)."""
    if sys.platform == "win32":
        import ctypes

        ctypes.windll.user32.AllowSetForegroundWindow(-1)  # type: ignore[attr-defined]


def _tray_available() -> bool:
    from desktop_app.ui.tray import tray_available

    return tray_available()


class Launcher(QObject):
    def __init__(
        self,
        instance: SingleInstance | None = None,
        *,
        tray_is_available: Callable[[], bool] = _tray_available,
        lock: InstanceLock | None = None,
    ) -> None:
        super().__init__()
        self._instance = instance
        self.lock = lock
        self.window = None
        self.tray: Tray | None = None
        self.close_to_tray: CloseToTray | None = None
        self.hotkey: GlobalHotkey | None = None
        self.dial_clipboard_action: QAction | None = None
        self.settings_action: QAction | None = None
        self._tray_is_available = tray_is_available
        self._pending: list[LaunchRequest] = []

    @property
    def instance(self) -> SingleInstance:
        if self._instance is None:
            from desktop_app.ui.single_instance import SingleInstance  # QtNetwork: not before the paint

            self._instance = SingleInstance()
        return self._instance

    # -- 1. a second launch ----------------------------------------------------------------------
    def hand_over(self, options) -> bool:
        """True when a running OpDial took this launch's request: exit now.

        With the lock claimed this process is the primary and asks nobody (no QtNetwork yet).
        """
        if self.lock is None:
            self.lock = InstanceLock.in_data_dir()
        claim = self.lock.claim()
        if claim is Claim.OURS:
            return False
        allow_foreground_hand_over()
        payload = LaunchRequest.from_options(options).payload()
        wait_s = START_WAIT_S if claim is Claim.TAKEN else 0.0
        return self.instance.try_hand_over(payload, wait_s=wait_s)

    # -- 2. before the window ----------------------------------------------------------------------
    def install_early(self, app) -> None:
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            self.submit(LaunchRequest(link=link_text(event)))
            return True
        return False

    # -- 3. with the window ------------------------------------------------------------------------
    def attach(self, app, window, options) -> bool:
        """Start-up hook. False = another OpDial became primary meanwhile and took the request."""
        from desktop_app.ui import app as app_module
        from desktop_app.ui.clipboard import dial_clipboard

        if not self.instance.listen():
            if self.instance.try_hand_over(LaunchRequest.from_options(options).payload()):
                return False
            log.warning("single instance unavailable; this OpDial runs on its own")
        self.instance.message_received.connect(
            lambda payload: self.submit(LaunchRequest.from_payload(payload))
        )
        app_module.set_intake_handler(handle_intake)
        self.window = window
        self._add_window_action(window)
        self._add_settings_action(window)
        self._add_tray(window)
        self._add_hotkey(window)
        if getattr(options, "dial_clipboard", False):
            QTimer.singleShot(0, self, lambda: dial_clipboard(window))
        pending, self._pending = self._pending, []
        for request in pending:
            QTimer.singleShot(0, self, lambda r=request: self._deliver(r))
        return True

    def starts_hidden(self, options) -> bool:
        """``--tray`` or the saved preference, and only when there is a tray to come back from."""
        wanted = may_start_hidden(options, getattr(self.window, "store", None))
        return wanted and self.tray is not None and self.tray.visible

    def submit(self, request: LaunchRequest) -> None:
        if self.window is None:
            self._pending.append(request)  # macOS open event before the window exists
        else:
            self._deliver(request)

    def _deliver(self, request: LaunchRequest) -> None:
        from desktop_app.ui.app import deliver_intake
        from desktop_app.ui.clipboard import dial_clipboard

        if request.link:
            deliver_intake(self.window, request.link)
        if request.dial_clipboard:
            dial_clipboard(self.window)
        if not request.link and not request.dial_clipboard:
            self.window.show_and_raise()  # a plain second launch: "here I am"

    def _add_window_action(self, window) -> None:
        from desktop_app.ui.clipboard import WINDOW_SHORTCUT, dial_clipboard

        action = QAction("Dial number from clipboard", window)
        action.setShortcut(QKeySequence(WINDOW_SHORTCUT))
        action.setToolTip(f"Dial the number on the clipboard ({WINDOW_SHORTCUT})")
        action.triggered.connect(lambda _=False: dial_clipboard(window))
        window.addAction(action)
        self.dial_clipboard_action = action

    def _add_settings_action(self, window) -> None:
        """File ▸ Links and tray…, placed before the Quit section of the window's File menu."""
        action = QAction("&Links and tray…", window)
        action.setToolTip("Which app opens phone links; tray behaviour")
        action.triggered.connect(lambda _=False: open_link_settings(window))
        menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
        file_menu = next((m for m in menus if m.title().replace("&", "") == "File"), None)
        if file_menu is None:
            window.addAction(action)
            return
        separator = next((a for a in file_menu.actions() if a.isSeparator()), None)
        file_menu.insertAction(separator, action) if separator else file_menu.addAction(action)
        self.settings_action = action

    def _add_tray(self, window) -> None:
        if not self._tray_is_available():
            return
        from desktop_app.ui import icons
        from desktop_app.ui.clipboard import dial_clipboard
        from desktop_app.ui.tray import CloseToTray, Tray

        self.tray = Tray(
            icons.app_icon(), window.profile_entries, lambda: window.profile_combo.currentText() or None, self
        )
        self.tray.dial_clipboard_requested.connect(lambda: dial_clipboard(window))
        self.tray.show_window_requested.connect(window.show_and_raise)
        self.tray.profile_chosen.connect(lambda name: switch_profile(window, name))
        self.tray.quit_requested.connect(window.close)
        self.tray.show()
        self.close_to_tray = CloseToTray(
            window,
            self.tray,
            window.store.get_pref,
            window.store.set_pref,
            tray_is_available=self._tray_is_available,
        )

    def _add_hotkey(self, window) -> None:
        from desktop_app.ui.clipboard import GlobalHotkey, dial_clipboard

        self.hotkey = GlobalHotkey(self)
        if self.hotkey.register():
            self.hotkey.activated.connect(lambda: dial_clipboard(window))

    def shutdown(self) -> None:
        if self.hotkey is not None:
            self.hotkey.unregister()
        if self.tray is not None:
            self.tray.icon.hide()
        if self._instance is not None:
            self._instance.close()
        if self.lock is not None:
            self.lock.release()


_settings_dialogs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # one per window, reused


def open_link_settings(window):
    from desktop_app.ui.link_settings import LinkSettingsDialog

    dialog = _settings_dialogs.get(window)
    if dialog is None:
        dialog = _settings_dialogs[window] = LinkSettingsDialog(window.store, window)
    else:
        dialog.refresh()
    dialog.open()
    return dialog


def switch_profile(window, name: str) -> None:
    """Choose ``name`` in the window's switcher as if the agent had picked it there."""
    index = window.profile_combo.findText(name)
    if index < 0:
        return
    window.profile_combo.setCurrentIndex(index)
    window.profile_combo.activated.emit(index)  # the window reacts to the agent's choice only
