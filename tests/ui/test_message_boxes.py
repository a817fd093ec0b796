"""Message boxes show OpDial's own icons (tinted for the theme), not the style's fallback ones, and
keep their kind so the OS still plays its sound and screen readers still say "alert"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QStyle

from desktop_app.ui import icons, theme
from desktop_app.ui.widgets import BOX_ICON_SIZE, message_box

DESKTOP_APP = Path(__file__).resolve().parents[2] / "desktop_app"
KINDS = {
    QMessageBox.Icon.Warning: ("warning", "warning_fg", QStyle.StandardPixmap.SP_MessageBoxWarning),
    QMessageBox.Icon.Critical: ("error", "error_fg", QStyle.StandardPixmap.SP_MessageBoxCritical),
    QMessageBox.Icon.Question: ("help", "accent", QStyle.StandardPixmap.SP_MessageBoxQuestion),
    QMessageBox.Icon.Information: ("help", "accent", QStyle.StandardPixmap.SP_MessageBoxInformation),
}


@pytest.mark.parametrize("kind", list(KINDS), ids=lambda k: k.name)
def test_each_kind_of_box_draws_opdials_icon_and_keeps_its_kind(qtbot, kind):
    box = message_box(kind, "Title", "Text")
    qtbot.addWidget(box)
    name, role, standard = KINDS[kind]
    shown = box.findChild(QLabel, "qt_msgboxex_icon_label").pixmap().toImage()
    ours = icons.pixmap(name, BOX_ICON_SIZE, getattr(theme.colors(), role), box.devicePixelRatioF()).toImage()
    fallback = QApplication.style().standardIcon(standard).pixmap(shown.size()).toImage()

    assert box.icon() is kind
    assert not shown.isNull() and shown == ours and shown != fallback


def test_no_part_of_opdial_opens_a_box_with_the_styles_icon():
    """Every box goes through ``message_box`` (or ``use_own_icon``): no static shortcuts that bypass it."""
    static = re.compile(r"QMessageBox\.(information|warning|question|critical)\(")
    offenders = []
    for path in DESKTOP_APP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if static.search(text):
            offenders.append(f"{path.name}: QMessageBox.<kind>(...)")
        made = text.count("QMessageBox(") - text.count("def message_box(")
        if made and path.name != "widgets.py" and text.count("use_own_icon(box)") < made:
            offenders.append(f"{path.name}: QMessageBox(...) without use_own_icon")
    assert offenders == []
