"""Walk every widget and action of a window and collect what a person (or screen reader) can read."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTabWidget,
    QTextEdit,
    QWidget,
)

CONTROLS = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
    QPlainTextEdit,
    QTabWidget,
)
_INTERNAL_PARENTS = (QAbstractSpinBox, QComboBox, QLineEdit, QTabBar, QScrollBar)


def _model_texts(model: QAbstractItemModel | None) -> Iterator[str]:
    if model is None:
        return
    root = QModelIndex()
    try:
        columns = model.columnCount(root)
    except TypeError:  # a QListWidget's private model hides columnCount: it has one column
        columns = 1
    for row in range(model.rowCount(root)):
        for column in range(columns):
            index = model.index(row, column)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(index, role)
                if value:
                    yield str(value)


def widget_texts(widget: QWidget) -> Iterator[str]:
    yield from (
        widget.toolTip(),
        widget.accessibleName(),
        widget.accessibleDescription(),
        widget.windowTitle(),
    )
    if isinstance(widget, QLineEdit):
        yield widget.displayText()  # what is on screen: dots for a hidden password
        yield widget.placeholderText()
    elif isinstance(widget, QLabel | QAbstractButton):
        yield widget.text()
    elif isinstance(widget, QPlainTextEdit | QTextEdit):
        yield widget.toPlainText()
    if isinstance(widget, QComboBox):
        yield from (widget.itemText(i) for i in range(widget.count()))
    if isinstance(widget, QAbstractItemView):
        yield from _model_texts(widget.model())
    if isinstance(widget, QTabWidget):
        for i in range(widget.count()):
            yield from (widget.tabText(i), widget.tabToolTip(i))


def all_texts(root: QWidget) -> list[tuple[QWidget | QAction, str]]:
    found: list[tuple[QWidget | QAction, str]] = []
    for widget in [root, *root.findChildren(QWidget)]:
        found += [(widget, text) for text in widget_texts(widget) if text]
    for action in root.findChildren(QAction):
        found += [(action, text) for text in (action.text(), action.toolTip()) if text]
    return found


def _is_internal(widget: QWidget) -> bool:
    """Parts Qt builds inside a control (a combo's popup list, a table's header, a spin box's edit)."""
    if isinstance(widget, QScrollBar | QHeaderView):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, _INTERNAL_PARENTS):
            return True
        parent = parent.parentWidget()
    return False


def unlabelled_controls(root: QWidget) -> list[str]:
    """Controls a screen-reader user could not identify (no accessible name or no tooltip)."""
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or widget.objectName().startswith("qt_"):
            continue
        if _is_internal(widget):
            continue
        if not widget.accessibleName() or not widget.toolTip():
            missing.append(f"{type(widget).__name__} {widget.accessibleName() or widget.objectName()!r}")
    return missing


def _shows_its_text(edit: QLineEdit) -> bool:
    return edit.echoMode() == QLineEdit.EchoMode.Normal


def clipped_texts(root: QWidget) -> list[str]:
    """Visible labels and buttons whose text does not fit in the room they were given (and does
    not wrap): what a person would see cut off."""
    from PySide6.QtWidgets import QCheckBox, QPushButton, QRadioButton, QToolButton

    found = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or widget.width() <= 0 or _is_internal(widget):
            continue
        if isinstance(widget, QLabel) and widget.text() and widget.pixmap().isNull():
            if widget.wordWrap():
                needed, has, unit = widget.heightForWidth(widget.width()), widget.height(), "px high"
            else:
                needed, has, unit = widget.sizeHint().width(), widget.width(), "px wide"
        elif isinstance(widget, (QPushButton, QToolButton, QCheckBox, QRadioButton)) and widget.text():
            needed, has, unit = widget.sizeHint().width(), widget.width(), "px wide"
        elif isinstance(widget, QLineEdit) and widget.text() and _shows_its_text(widget):
            # the value as set must show whole ("09:00-21:00" once showed as "1:00")
            needed = widget.fontMetrics().horizontalAdvance(widget.text()) + 12  # frame and margins
            has, unit = widget.width(), "px wide"
        else:
            continue
        if needed > has + 2:
            found.append(f"{type(widget).__name__} {widget.text()[:40]!r}: needs {needed} {unit}, has {has}")
    return found
