#!/usr/bin/env python3
"""Render ``resources/icons/opdial.svg`` into ``opdial.ico`` (Windows) and ``opdial.icns`` (macOS).

    python packaging/make_icons.py [--svg PATH] [--out DIR]

Qt draws the SVG (QtSvg is already a dependency); the two containers are written by hand because
both are simple lists of PNG images, so no image library is needed at build time. Both formats
accept embedded PNGs: ICO since Windows Vista, ICNS's ``ic07``…``ic14`` types since OS X 10.7.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_SVG = ROOT / "resources" / "icons" / "opdial.svg"
OUT_DIR = ROOT / "packaging" / "generated"

ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
# ICNS PNG element types and their pixel sizes (the @2x types share files with the next size up).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def render_png(svg: bytes, size: int) -> bytes:
    """The SVG drawn on a transparent ``size``×``size`` square, as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer
    from PySide6.QtWidgets import QApplication

    # A QApplication (not just QGuiApplication), so a test session can reuse it for widgets.
    _app = QApplication.instance() or QApplication([sys.argv[0]])
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise ValueError("the icon SVG could not be parsed")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding one PNG per size (ICONDIR, then ICONDIRENTRYs, then the images)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        data = pngs[size]
        dimension = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dimension, dimension, 0, 0, 1, 32, len(data), offset)
        images += data
        offset += len(data)
    return header + entries + images


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICNS file: ``icns`` + total length, then (type, length, PNG) elements."""
    elements = b"".join(
        icon_type + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for icon_type, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(elements)) + elements


def make_icons(svg_path: Path = SOURCE_SVG, out_dir: Path = OUT_DIR) -> dict[str, Path]:
    svg = svg_path.read_bytes()
    sizes = sorted(set(ICO_SIZES) | {size for _type, size in ICNS_TYPES})
    pngs = {size: render_png(svg, size) for size in sizes}
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {
        "ico": (out_dir / "opdial.ico", ico_bytes({s: pngs[s] for s in ICO_SIZES})),
        "icns": (out_dir / "opdial.icns", icns_bytes(pngs)),
        "png": (out_dir / "opdial-256.png", pngs[256]),
    }
    for path, data in outputs.values():
        path.write_bytes(data)
    return {kind: path for kind, (path, _data) in outputs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=SOURCE_SVG)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    for kind, path in make_icons(args.svg, args.out).items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
