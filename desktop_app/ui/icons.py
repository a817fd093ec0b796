"""SVG icons from ``resources/icons``, tinted to the current text colour so they suit dark mode."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize
from PySide6.QtGui import QColor, QIcon, QIconEngine, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop_app.ui import theme

_SIZES = (16, 24, 32, 48)


@lru_cache(maxsize=1)
def icons_dir() -> Path:
    """The icons folder in a source checkout or a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    candidates = [Path(bundle) / "resources" / "icons"] if bundle else []
    candidates.append(Path(__file__).resolve().parents[2] / "resources" / "icons")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def _render(svg: bytes | QSvgRenderer, size: int) -> QPixmap:
    renderer = svg if isinstance(svg, QSvgRenderer) else QSvgRenderer(QByteArray(svg))
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))  # transparent; not Qt.GlobalColor (see widgets.set_by_name)
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


class _TintedSvgEngine(QIconEngine):
    """Draws an SVG at exactly the size asked for, when it is first asked for, and keeps that.

    Qt's own SVG icon engine reads only files, and ours are tinted in memory. Drawing every size up
    front cost ~4 ms before the first paint, which shows each icon at one size (issue 12).
    """

    def __init__(self, svg: bytes) -> None:
        super().__init__()
        self._svg = svg
        self._renderer: QSvgRenderer | None = None
        self._drawn: dict[tuple[int, QIcon.Mode], QPixmap] = {}

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        """``size`` in device-independent pixels; drawn at ``scale`` times that (sharp at 200%)."""
        side = round(min(size.width(), size.height()) * scale)
        key = (side, mode)
        drawn = self._drawn.get(key)
        if drawn is None:
            if self._renderer is None:
                self._renderer = QSvgRenderer(QByteArray(self._svg))
            drawn = _render(self._renderer, side)
            if mode != QIcon.Mode.Normal:  # the disabled and selected looks, as Qt's engines make them
                from PySide6.QtWidgets import QApplication, QStyleOption

                option = QStyleOption()
                option.palette = QApplication.palette()
                drawn = QApplication.style().generatedIconPixmap(mode, drawn, option)
            self._drawn[key] = drawn
        return drawn  # QIcon gives it the pixel ratio

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        device = painter.device()
        scale = device.devicePixelRatioF() if device is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, scale))

    def availableSizes(self, mode: QIcon.Mode, state: QIcon.State) -> list[QSize]:
        return [QSize(side, side) for side in _SIZES]

    def clone(self) -> QIconEngine:
        copy = _TintedSvgEngine(self._svg)
        _cloned.append(copy)  # Qt owns it now; Python must never delete it (PySide keeps no hold)
        return copy


_cloned: list[_TintedSvgEngine] = []


@lru_cache(maxsize=256)
def _icon(name: str, color: str) -> QIcon:
    path = icons_dir() / f"{name}.svg"
    if not path.exists():
        return QIcon()
    return QIcon(_TintedSvgEngine(path.read_bytes().replace(b"currentColor", color.encode())))


def icon(name: str, color: str | None = None) -> QIcon:
    """The named icon, drawn in ``color`` (default: the theme's text colour)."""
    return _icon(name, color or theme.colors().text)


def pixmap(name: str, size: int, color: str, device_pixel_ratio: float = 1.0) -> QPixmap:
    """The named icon drawn once at exactly ``size`` logical pixels (sharp at any scaling)."""
    path = icons_dir() / f"{name}.svg"
    if not path.exists():
        return QPixmap()
    svg = path.read_bytes().replace(b"currentColor", color.encode())
    drawn = _render(svg, round(size * device_pixel_ratio))
    drawn.setDevicePixelRatio(device_pixel_ratio)
    return drawn


def app_icon() -> QIcon:
    path = icons_dir() / "opdial.svg"
    return QIcon(str(path)) if path.exists() else QIcon()
