"""SVG icons from ``resources/icons``, tinted to the current text colour so they suit dark mode."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
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


@lru_cache(maxsize=256)
def _icon(name: str, color: str) -> QIcon:
    path = icons_dir() / f"{name}.svg"
    if not path.exists():
        return QIcon()
    svg = path.read_bytes().replace(b"currentColor", color.encode())
    icon = QIcon()
    renderer = QSvgRenderer(QByteArray(svg))  # parsed once, drawn at every size
    for size in _SIZES:
        icon.addPixmap(_render(renderer, size))
    return icon


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
