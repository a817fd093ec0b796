"""Light and dark: the palette and the window's own colours follow the scheme."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication

from desktop_app.platform.windows import PERSONALIZE_KEY, InMemoryRegistry
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


def test_icons_are_drawn_for_normal_and_200_percent_screens_and_greyed_when_disabled(qapp):
    icon = icons.icon("call", "#1565c0")
    for scale in (1.0, 2.0):  # a 16 px button on a normal and on a 200% screen: drawn, not scaled
        shown = icon.pixmap(QSize(16, 16), scale).toImage()
        drawn = icons.pixmap("call", 16, "#1565c0", scale).toImage()
        assert shown.convertToFormat(drawn.format()) == drawn, scale
    normal = icon.pixmap(QSize(16, 16), 2.0)
    assert icon.pixmap(QSize(16, 16), 2.0, QIcon.Mode.Disabled).toImage() != normal.toImage()
    canvas = QImage(32, 32, QImage.Format.Format_ARGB32_Premultiplied)
    canvas.setDevicePixelRatio(2.0)
    canvas.fill(0)
    painter = QPainter(canvas)
    icon.paint(painter, QRect(0, 0, 16, 16))  # how item views draw icons
    painter.end()
    assert canvas == normal.toImage().convertToFormat(canvas.format())


@pytest.fixture
def theme_on(monkeypatch) -> Iterator[Callable[[bool], theme.Theme]]:
    """Make a Theme the way start-up does, on an app whose platform palette is light or dark."""
    monkeypatch.delenv(theme.THEME_ENV, raising=False)
    app = QApplication.instance()
    made: list[theme.Theme] = []

    def make(platform_dark: bool) -> theme.Theme:
        window, text = ("#202124", "#e8eaed") if platform_dark else ("#f4f5f7", "#1b1f24")
        palette = QPalette()
        palette.setColor(QPalette.ColorRole.Window, QColor(window))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(text))
        app.setPalette(palette)
        made.append(theme.Theme(app))
        made[-1].apply()
        return made[-1]

    yield make
    for each in made:
        each.setParent(None)
    theme.install(app, "light")


def test_until_the_first_paint_the_platforms_palette_says_whether_the_os_is_dark(theme_on):
    assert theme_on(True).colors is theme.DARK  # as macOS gives in dark mode
    assert theme_on(False).colors is theme.LIGHT


def test_on_windows_the_registry_answers_before_the_paint_whatever_the_palette() -> None:
    registry = InMemoryRegistry()  # the real one exists only on Windows; the same reads run on it
    light_palette, dark_palette = QPalette(QColor("#f4f5f7")), QPalette(QColor("#202124"))
    assert theme.platform_prefers_dark(dark_palette, registry)  # never set: the palette decides
    registry.put("HKCU", PERSONALIZE_KEY, "AppsUseLightTheme", "0")
    assert theme.platform_prefers_dark(light_palette, registry)
    registry.put("HKCU", PERSONALIZE_KEY, "AppsUseLightTheme", "1")
    assert not theme.platform_prefers_dark(dark_palette, registry)


def test_after_the_paint_the_os_colour_scheme_itself_decides(theme_on, monkeypatch):
    # Offscreen Qt has no colour scheme to set; this stands for a desktop that asks for dark while
    # its palette stays light (what the palette alone would get wrong).
    monkeypatch.setattr(theme, "os_prefers_dark", lambda platform_dark: True)
    made = theme_on(False)
    changes = []
    made.changed.connect(lambda: changes.append(made.colors))
    assert made.colors is theme.LIGHT
    made.follow_os_scheme()
    assert made.colors is theme.DARK and changes == [theme.DARK]
    made.follow_os_scheme()
    assert changes == [theme.DARK]  # no second re-colouring when nothing changed


def test_an_unknown_os_scheme_leaves_the_platforms_palette_in_charge(theme_on):
    assert theme.os_prefers_dark(True) and not theme.os_prefers_dark(False)  # offscreen: unknown
    made = theme_on(True)
    made.follow_os_scheme()
    assert made.colors is theme.DARK


def test_a_chosen_scheme_wins_over_the_os(theme_on, monkeypatch):
    monkeypatch.setenv(theme.THEME_ENV, "light")
    monkeypatch.setattr(theme, "os_prefers_dark", lambda platform_dark: True)
    made = theme_on(True)
    made.follow_os_scheme()
    assert made.colors is theme.LIGHT
