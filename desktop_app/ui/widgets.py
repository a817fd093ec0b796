"""Small building blocks shared by the window's panels."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRect, QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton, QWidget

from desktop_app.ui import icons, theme

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox


@cache
def _box_icons() -> dict[QMessageBox.Icon, tuple[str, str]]:
    """A message box's kind → OpDial's icon and the theme colour it is drawn in. (Built when a box is
    first shown: the QMessageBox type itself costs ~1.5 ms, which the first paint does without.)"""
    from PySide6.QtWidgets import QMessageBox

    return {
        QMessageBox.Icon.Warning: ("warning", "warning_fg"),
        QMessageBox.Icon.Critical: ("error", "error_fg"),
        QMessageBox.Icon.Question: ("help", "accent"),
        QMessageBox.Icon.Information: ("help", "accent"),
    }


BOX_ICON_SIZE = 40


def set_by_name(obj: QObject, prop: str, keys: str) -> None:
    """Set a Qt enum or flags property by its key names, as in
    ``set_by_name(label, "alignment", "AlignTop|AlignLeft")``.

    What the first paint builds uses this rather than ``Qt.AlignmentFlag`` and the like: the first
    use of anything in PySide6's ``Qt`` namespace creates all of its ~90 Python enums (~15 ms before
    the window could show; issue 12), while Qt's property system reads the names itself."""
    if not obj.setProperty(prop, keys):
        raise ValueError(f"{type(obj).__name__} has no property {prop!r} that takes {keys!r}")


# Qt::TextWordWrap, as the int QFontMetrics.boundingRect takes (not the enum: see set_by_name).
_TEXT_WORD_WRAP = 0x1000


def label_widget(widget: QWidget, name: str, tooltip: str) -> QWidget:
    """Give ``widget`` an accessible name and a tooltip (every control needs both)."""
    widget.setAccessibleName(name)
    widget.setToolTip(tooltip)
    return widget


class ReservingLabel(QLabel):
    """A wrapping label as tall as the tallest of ``reserved`` texts would be at its width, so the
    layout below it stays put while its text changes among things of that length.

    Its size hint is computed for its actual width (QLabel's own guesses a narrow width, so the
    height it asks for grows and shrinks with the text), and asked for again when the width changes.
    """

    def __init__(self, text: str = "", reserved: Sequence[str] = ()) -> None:
        super().__init__(text)
        self.reserved = tuple(reserved)
        # (width, font's metrics) → the tallest reserved text's height: layouts ask again and
        # again, each answer a word-wrapped layout of every reserved text (~1 ms before the paint).
        self._tallest: dict[tuple[int, ...], int] = {}

    def _tallest_reserved(self, inner: int) -> int:
        metrics = self.fontMetrics()  # not font(): QFont makes ~20 Python enums on first use (~2 ms)
        key = (inner, metrics.height(), metrics.averageCharWidth(), metrics.maxWidth())
        if key not in self._tallest:
            if len(self._tallest) > 32:  # a window dragged wider and narrower
                self._tallest.clear()
            box, flags = QRect(0, 0, inner, 1 << 20), _TEXT_WORD_WRAP
            heights = (metrics.boundingRect(box, flags, text).height() for text in self.reserved)
            self._tallest[key] = max(heights, default=0)
        return self._tallest[key]

    def _height_at(self, width: int) -> int:
        margins = self.contentsMargins()
        inner = max(1, width - margins.left() - margins.right() - 2 * self.margin())
        frame = margins.top() + margins.bottom() + 2 * self.margin()
        return max(super().heightForWidth(width), self._tallest_reserved(inner) + frame)

    def heightForWidth(self, width: int) -> int:
        return self._height_at(width)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        width = self.width() if self.width() > hint.width() else hint.width()
        return QSize(hint.width(), self._height_at(width))

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()  # the height it needs depends on the width it got


def wrapped_label(
    text: str = "",
    *,
    name: str,
    tooltip: str,
    selectable: bool = False,
    reserve: Sequence[str] = (),
    whole: bool = False,
) -> QLabel:
    """A word-wrapping label with a name and tooltip; ``reserve``: texts it keeps room for;
    ``whole``: never squeezed below the height its text needs at its width (a layout short of
    room squeezes its neighbours instead)."""
    label = ReservingLabel(text, reserve) if reserve or whole else QLabel(text)
    label.setWordWrap(True)
    label_widget(label, name, tooltip)
    if selectable:
        set_by_name(label, "textInteractionFlags", "TextSelectableByMouse|TextSelectableByKeyboard")
    return label


def expander_button(text: str, *, name: str, tooltip: str) -> QToolButton:
    """A flat checkable button with a chevron that shows whether its section is open."""
    button = QToolButton()
    button.setText(text)
    button.setCheckable(True)
    set_by_name(button, "toolButtonStyle", "ToolButtonTextBesideIcon")
    button.setAutoRaise(True)
    # As wide as its text, not the column: a box layout leaves a widget that may not grow at the left.
    button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
    label_widget(button, name, tooltip)

    def update_icon(open_: bool) -> None:
        button.setIcon(icons.icon("chevron-down" if open_ else "chevron-right"))

    button.toggled.connect(update_icon)
    update_icon(False)
    return button


def message_box(
    kind: QMessageBox.Icon, title: str, text: str, parent: QWidget | None = None, *, informative: str = ""
) -> QMessageBox:
    """A message box with OpDial's own icon for ``kind`` instead of the style's fallback one.

    The kind itself is kept, so the OS still plays its sound and screen readers still say "alert".
    """
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(kind, title, text, parent=parent)
    if informative:
        box.setInformativeText(informative)
    use_own_icon(box)
    return box


def use_own_icon(box: QMessageBox) -> None:
    """Draw ``box``'s icon with OpDial's (tinted for the theme). Qt keeps the icon in a child label
    named ``qt_msgboxex_icon_label`` (since Qt 4); should that ever change, the style's icon stays."""
    label = box.findChild(QLabel, "qt_msgboxex_icon_label")
    own = _box_icons().get(box.icon())
    if label is None or own is None:
        return
    name, role = own
    color = getattr(theme.colors(), role)
    label.setPixmap(icons.pixmap(name, BOX_ICON_SIZE, color, box.devicePixelRatioF()))
