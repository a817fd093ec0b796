"""The tray icon: dial the clipboard, show the window, switch profile, quit; close-to-tray.

``Tray`` owns the ``QSystemTrayIcon`` and its menu and only emits signals; ``CloseToTray`` turns
the window's close button into "hide to the tray" (explained once) while Quit (menu, Ctrl+Q,
tray) still quits. Preferences live in the settings file through ``ProfileStore.get_pref``:
``close_to_tray`` (default on), ``close_to_tray_explained``, ``start_in_tray``.
Where the desktop has no tray (some Linux sessions, offscreen tests) nothing hides.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QIcon
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from desktop_app import APP_NAME
from desktop_app.ui.clipboard import WINDOW_SHORTCUT
from desktop_app.ui.tray_prefs import PREF_CLOSE_EXPLAINED, PREF_CLOSE_TO_TRAY

CLOSE_EXPLANATION = (
    f"{APP_NAME} keeps running in the tray so clicked phone links open at once. "
    "Quit from the tray menu or with Ctrl+Q."
)


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


class Tray(QObject):
    """The icon and its menu. ``profiles()`` and ``current_profile()`` are asked each time the
    menu opens, so the list is never stale."""

    dial_clipboard_requested = Signal()
    show_window_requested = Signal()
    profile_chosen = Signal(str)
    quit_requested = Signal()

    def __init__(
        self,
        icon: QIcon,
        profiles: Callable[[], list[str]],
        current_profile: Callable[[], str | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._profiles = profiles
        self._current_profile = current_profile
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip(APP_NAME)
        self.menu = QMenu()  # a QMenu's parent must be a widget; this object keeps it alive
        self.dial_action = self._add(
            f"Dial number from clipboard\t{WINDOW_SHORTCUT}", self.dial_clipboard_requested
        )
        self.show_action = self._add(f"Show {APP_NAME}", self.show_window_requested)
        self.profiles_menu = self.menu.addMenu("Switch profile")
        self.profiles_menu.aboutToShow.connect(self.refresh_profiles)
        self._profile_group = QActionGroup(self.profiles_menu)
        self.menu.addSeparator()
        self.quit_action = self._add(f"Quit {APP_NAME}", self.quit_requested)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.refresh_profiles()

    def _add(self, text: str, signal) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(lambda _=False: signal.emit())
        return action

    def refresh_profiles(self) -> None:
        self.profiles_menu.clear()
        for action in self._profile_group.actions():
            self._profile_group.removeAction(action)
        names, current = self._profiles(), self._current_profile()
        for name in names:
            action = self.profiles_menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(name == current)
            self._profile_group.addAction(action)
            action.triggered.connect(lambda _=False, n=name: self.profile_chosen.emit(n))
        if not names:
            self.profiles_menu.addAction("No profiles yet").setEnabled(False)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_window_requested.emit()
        elif reason == QSystemTrayIcon.ActivationReason.MiddleClick:
            self.dial_clipboard_requested.emit()

    def show(self) -> None:
        self.icon.show()

    @property
    def visible(self) -> bool:
        return self.icon.isVisible()

    def notify(self, title: str, text: str) -> None:
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)


class CloseToTray(QObject):
    """Event filter on the main window: the window manager's close hides it to the tray.

    Only a *spontaneous* close (title-bar button, Alt+F4) hides; ``window.close()`` from Quit
    really closes, and the app then quits (it no longer quits on its own when the last window
    closes, so a dialog shown from the tray cannot end it).
    """

    explained = Signal()

    def __init__(
        self,
        window: QWidget,
        tray: Tray,
        get_pref: Callable[[str, object], object],
        set_pref: Callable[[str, object], None],
        *,
        tray_is_available: Callable[[], bool] = tray_available,
        quit_app: Callable[[], None] = QCoreApplication.quit,
    ) -> None:
        super().__init__(window)
        self._quit_app = quit_app
        self._quit_when_hidden = False
        self.window = window
        self.tray = tray
        self._get_pref, self._set_pref = get_pref, set_pref
        self._tray_is_available = tray_is_available
        self._quit_on_last_window_closed = QApplication.quitOnLastWindowClosed()
        QApplication.setQuitOnLastWindowClosed(False)
        window.installEventFilter(self)

    def detach(self) -> None:
        """Back to a plain window (the tray went away, or a test ends)."""
        self.window.removeEventFilter(self)
        QApplication.setQuitOnLastWindowClosed(self._quit_on_last_window_closed)

    @property
    def active(self) -> bool:
        return (
            bool(self._get_pref(PREF_CLOSE_TO_TRAY, True)) and self._tray_is_available() and self.tray.visible
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window:
            if event.type() == QEvent.Type.Close:
                return self.on_close(event, from_window_manager=event.spontaneous())
            if event.type() == QEvent.Type.Hide and self._quit_when_hidden:
                # The close was accepted (a vetoed close is not followed by a hide): quit.
                self._quit_when_hidden = False
                self._quit_app()
        return False

    def on_close(self, event: QEvent, *, from_window_manager: bool) -> bool:
        """True when the close was turned into "hide to the tray"."""
        self._quit_when_hidden = False
        if from_window_manager and self.active:
            event.ignore()
            self.window.hide()
            self._explain_once()
            return True
        if self.window.isVisible():
            self._quit_when_hidden = True
        else:  # Quit from the tray while hidden: no hide event will follow
            self._quit_app()
        return False

    def _explain_once(self) -> None:
        if self._get_pref(PREF_CLOSE_EXPLAINED, False):
            return
        self._set_pref(PREF_CLOSE_EXPLAINED, True)
        self.tray.notify(f"{APP_NAME} is still running", CLOSE_EXPLANATION)
        self.explained.emit()
