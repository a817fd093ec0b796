"""Small building blocks shared by the window's panels."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QToolButton, QWidget

from desktop_app.ui import icons


def label_widget(widget: QWidget, name: str, tooltip: str) -> QWidget:
    """Give ``widget`` an accessible name and a tooltip (every control needs both)."""
    widget.setAccessibleName(name)
    widget.setToolTip(tooltip)
    return widget


def wrapped_label(text: str = "", *, name: str, tooltip: str, selectable: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label_widget(label, name, tooltip)
    if selectable:
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
    return label


def expander_button(text: str, *, name: str, tooltip: str) -> QToolButton:
    """A flat checkable button with a chevron that shows whether its section is open."""
    button = QToolButton()
    button.setText(text)
    button.setCheckable(True)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(True)
    label_widget(button, name, tooltip)

    def update_icon(open_: bool) -> None:
        button.setIcon(icons.icon("chevron-down" if open_ else "chevron-right"))

    button.toggled.connect(update_icon)
    update_icon(False)
    return button
