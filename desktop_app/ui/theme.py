"""Light and dark palettes, semantic colours, and following the OS colour scheme.

We use the Fusion style with our own palettes so the window looks the same on every OS and in
screenshots; the scheme (light/dark) follows the OS unless ``OPDIAL_THEME`` says otherwise.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop_app import profiles

if TYPE_CHECKING:
    from desktop_app.platform.windows import RegistryBackend

THEME_ENV = "OPDIAL_THEME"  # "light", "dark" or "auto" (default)


@dataclass(frozen=True)
class Colors:
    """Semantic colours the widgets use besides the palette."""

    dark: bool
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    accent: str
    success_bg: str
    success_fg: str
    error_bg: str
    error_fg: str
    warning_bg: str
    warning_fg: str
    sandbox_bg: str
    sandbox_fg: str
    border: str


LIGHT = Colors(
    dark=False,
    window="#f4f5f7",
    base="#ffffff",
    alt_base="#eef1f5",
    text="#1b1f24",
    muted="#5a6270",
    accent="#1565c0",
    success_bg="#e3f4e6",
    success_fg="#1b5e20",
    error_bg="#fdecea",
    error_fg="#a31515",
    warning_bg="#fff4d6",
    warning_fg="#7a4a00",
    sandbox_bg="#ffb300",
    sandbox_fg="#1b1f24",
    border="#c9ced6",
)

DARK = Colors(
    dark=True,
    window="#1e2126",
    base="#16181c",
    alt_base="#23272e",
    text="#e8eaed",
    muted="#a0a8b4",
    accent="#64b5f6",
    success_bg="#173a20",
    success_fg="#a5d6a7",
    error_bg="#4a1c1c",
    error_fg="#ffb4ab",
    warning_bg="#3f3413",
    warning_fg="#ffe08a",
    sandbox_bg="#ffb300",
    sandbox_fg="#1b1f24",
    border="#3a404a",
)

BADGE_COLORS = profiles.BADGE_COLORS  # one palette: the store suggests from it, the dialog offers it


def badge_color_for(name: str, chosen: str | None = None) -> str:
    """The profile's own colour if it has one, else a stable colour derived from its name."""
    if chosen and QColor(chosen).isValid():
        return chosen
    return BADGE_COLORS[sum(name.encode()) % len(BADGE_COLORS)]


def palette_is_dark(palette: QPalette) -> bool:
    """A dark palette: its windows darker than their text."""
    window, text = palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.WindowText)
    return window.lightness() < text.lightness()


def platform_prefers_dark(palette: QPalette, registry: RegistryBackend | None = None) -> bool:
    """Light or dark before Qt's enums exist: Windows says so in its registry (what Qt reads too),
    elsewhere the platform's palette does (dark in dark mode on macOS). ``registry``: Windows' own
    unless given."""
    if sys.platform == "win32" or registry is not None:
        from desktop_app.platform.windows import WinRegistry, apps_use_dark_theme

        answer = apps_use_dark_theme(registry if registry is not None else WinRegistry())
        if answer is not None:
            return answer
    return palette_is_dark(palette)


def os_prefers_dark(platform_dark: bool) -> bool:
    """The OS colour scheme; where Qt knows none, ``platform_dark`` (``platform_prefers_dark``).

    Reading the scheme creates PySide6's ``Qt`` enums (~15 ms), so until the first paint
    ``platform_prefers_dark`` stands in for it (``Theme.follow_os_scheme``)."""
    from PySide6.QtCore import Qt

    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Unknown:
        return platform_dark
    return scheme == Qt.ColorScheme.Dark


def chosen_scheme(override: str | None = None) -> str:
    """"light", "dark" or "auto" (follow the OS): ``override``, else ``OPDIAL_THEME``."""
    choice = (override or os.environ.get(THEME_ENV, "auto")).strip().lower()
    return choice if choice in ("light", "dark") else "auto"


def build_palette(colors: Colors) -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: colors.window,
        QPalette.ColorRole.WindowText: colors.text,
        QPalette.ColorRole.Base: colors.base,
        QPalette.ColorRole.AlternateBase: colors.alt_base,
        QPalette.ColorRole.Text: colors.text,
        QPalette.ColorRole.Button: colors.alt_base,
        QPalette.ColorRole.ButtonText: colors.text,
        QPalette.ColorRole.ToolTipBase: colors.base,
        QPalette.ColorRole.ToolTipText: colors.text,
        QPalette.ColorRole.PlaceholderText: colors.muted,
        QPalette.ColorRole.Highlight: colors.accent,
        QPalette.ColorRole.HighlightedText: colors.base if colors.dark else "#ffffff",
        QPalette.ColorRole.Link: colors.accent,
        QPalette.ColorRole.Mid: colors.border,
        QPalette.ColorRole.Midlight: colors.border,
    }
    for role, value in roles.items():
        palette.setColor(role, QColor(value))
    disabled = QColor(colors.muted)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


class Theme(QObject):
    """The current colours; emits ``changed`` when the OS switches between light and dark."""

    changed = Signal()

    def __init__(self, app: QApplication, override: str | None = None) -> None:
        super().__init__(app)
        self._app = app
        self._override = override
        self.colors = LIGHT
        # Read before our palette replaces the platform's: it answers for the OS until the scheme
        # itself is read just after the paint (follow_os_scheme), which corrects a wrong guess.
        self._platform_dark = platform_prefers_dark(app.palette())
        self._scheme_read = False
        app.setStyle("Fusion")
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)

    @property
    def os_scheme_read(self) -> bool:
        """Whether the OS colour scheme itself was read (else ``platform_prefers_dark`` answered)."""
        return self._scheme_read

    def wants_dark(self) -> bool:
        choice = chosen_scheme(self._override)
        if choice != "auto":
            return choice == "dark"
        if not self._scheme_read:
            return self._platform_dark
        return os_prefers_dark(self._platform_dark)

    def apply(self) -> None:
        self.colors = DARK if self.wants_dark() else LIGHT
        self._app.setPalette(build_palette(self.colors))
        self.changed.emit()
        notifier().changed.emit()

    def follow_os_scheme(self) -> None:
        """Just after the first paint: read the OS colour scheme itself, re-colouring if
        ``platform_prefers_dark`` guessed it wrong (a desktop with no dark palette that asks for dark)."""
        self._scheme_read = True
        if (DARK if self.wants_dark() else LIGHT) is not self.colors:
            self.apply()

    def _on_scheme_changed(self, _scheme: object) -> None:
        self._scheme_read = True
        self.apply()


class _Notifier(QObject):
    changed = Signal()


_current: Theme | None = None
_notifier: _Notifier | None = None


def notifier() -> _Notifier:
    """Emits ``changed`` whenever a theme is applied; widgets may connect before any theme exists."""
    global _notifier
    if _notifier is None:
        _notifier = _Notifier()
    return _notifier


def install(app: QApplication, override: str | None = None) -> Theme:
    """Create (or re-apply) the app-wide theme."""
    global _current
    if _current is None or _current.parent() is not app:
        _current = Theme(app, override)
    _current._override = override
    _current.apply()  # after _current is set: listeners read the new colours through colors()
    return _current


def follow_os_scheme() -> None:
    """See ``Theme.follow_os_scheme``; no-op before a theme is installed."""
    if _current is not None:
        _current.follow_os_scheme()


def colors() -> Colors:
    return _current.colors if _current is not None else LIGHT


def theme() -> Theme | None:
    return _current
