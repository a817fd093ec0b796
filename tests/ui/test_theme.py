"""Light and dark: the palette and the window's own colours follow the scheme."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from desktop_app.ui import icons, theme


def test_dark_and_light_palettes_restyle_an_open_window(qtbot, make_window, sandbox_profile):
    app = QApplication.instance()
    window = make_window()
    try:
        theme.install(app, "dark")
        assert theme.colors().dark
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert theme.DARK.accent in window.form.call_button.styleSheet()
    finally:
        theme.install(app, "light")
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200
    assert theme.LIGHT.accent in window.form.call_button.styleSheet()


def test_every_icon_the_window_uses_exists():
    names = ["call", "cancel", "copy", "terminal", "history", "export", "redial", "search", "profile", "demo"]
    names += ["success", "error", "warning", "eye", "eye-off", "add", "delete", "folder", "help", "campaigns"]
    for name in names:
        assert not icons.icon(name).isNull(), name
    assert not icons.app_icon().isNull()
