"""The call history: search, filter by outcome, dial again, CSV export."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app import numbers
from desktop_app.api.models import CallKind
from desktop_app.history import History, HistoryEntry
from desktop_app.ui import icons, theme
from desktop_app.ui.widgets import label_widget, wrapped_label

log = logging.getLogger(__name__)

STATUS_WORDS = {"accepted": "Queued", "rejected": "Refused", "failed": "Unknown / failed"}
FILTERS = (
    ("All outcomes", None),
    ("Queued", "accepted"),
    ("Refused", "rejected"),
    ("Unknown / failed", "failed"),
)

ModelIndex = QModelIndex | QPersistentModelIndex


def _local_time(entry: HistoryEntry) -> str:
    try:
        return entry.when.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return entry.time


class HistoryModel(QAbstractTableModel):
    HEADERS = ("Time", "Profile", "Mode", "Customer", "Agent", "Outcome", "Problem", "reference_id")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[HistoryEntry] = []

    def set_entries(self, entries: list[HistoryEntry]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def cell_text(self, entry: HistoryEntry, column: int) -> str:
        try:
            mode = CallKind(entry.kind).label
        except ValueError:
            mode = entry.kind
        outcome = STATUS_WORDS.get(entry.status, entry.status)
        if entry.confirmed_by_duplicate:
            outcome += " (confirmed on retry)"
        if entry.sends > 1:  # one row per intended call: its re-sends are counted, not listed
            outcome += f" · sent {entry.sends}×"
        return (
            _local_time(entry),
            entry.profile,
            mode,
            entry.customer,
            entry.agent,
            outcome,
            entry.problem_title or "",
            entry.reference_id,
        )[column]

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = self.cell_text(entry, index.column())
            if role == Qt.ItemDataRole.ToolTipRole and entry.problem_code:
                return f"{text}\nproblem code: {entry.problem_code}"
            return text
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 5:
            colors = theme.colors()
            return QColor(colors.success_fg if entry.accepted else colors.error_fg)
        return None


class HistoryView(QWidget):
    """Emits ``dial_again`` with the chosen ``HistoryEntry``."""

    dial_again = Signal(object)

    def __init__(self, history: History, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.last_export: Path | None = None
        self.default_region = numbers.DEFAULT_REGION  # the window sets the profile's region
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search numbers, reference_id, profile, problem…")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        label_widget(
            self.search, "Search history", "Find calls by number (any format), reference_id, profile…"
        )
        self.filter = QComboBox()
        for text, status in FILTERS:
            self.filter.addItem(text, status)
        label_widget(self.filter, "Filter by outcome", "Show only queued, refused or unknown calls")
        self.dial_button = QPushButton("Dial again")
        self.dial_button.setIcon(icons.icon("redial"))
        label_widget(self.dial_button, "Dial again", "Fill the dial form with the selected call (Enter)")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setIcon(icons.icon("export"))
        label_widget(self.export_button, "Export CSV", "Save the calls shown as a CSV file")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setIcon(icons.icon("redial"))
        label_widget(self.refresh_button, "Refresh history", "Reload the history (F5)")
        self.table = QTableView()
        self.model = HistoryModel(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        label_widget(self.table, "Call history", "Every call placed from OpDial, newest first")
        self.summary = wrapped_label(name="History summary", tooltip="How many calls are shown")

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._search_timer.start)
        self.filter.currentIndexChanged.connect(self.refresh)
        self.dial_button.clicked.connect(self._dial_selected)
        self.table.doubleClicked.connect(self._dial_selected)
        self.table.activated.connect(self._dial_selected)
        self.export_button.clicked.connect(self.choose_export)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.filter)
        bar.addWidget(self.refresh_button)
        actions = QHBoxLayout()
        actions.addWidget(self.summary, 1)
        actions.addWidget(self.dial_button)
        actions.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)

    def apply_theme(self) -> None:
        self.dial_button.setIcon(icons.icon("redial"))
        self.export_button.setIcon(icons.icon("export"))
        self.refresh_button.setIcon(icons.icon("redial"))
        self.table.viewport().update()

    # -- data -------------------------------------------------------------------------------

    @property
    def status_filter(self) -> str | None:
        return self.filter.currentData()

    def search_query(self) -> str:
        """What to look for: a number typed in national form ("098765 43210") becomes E.164."""
        text = self.search.text().strip()
        parsed = numbers.check(text, self.default_region) if any(c.isdigit() for c in text) else None
        return parsed.e164 if isinstance(parsed, numbers.ParsedNumber) else text

    def refresh(self) -> None:
        try:
            entries = self.history.entries(search=self.search_query(), status=self.status_filter)
            total = self.history.count()
        except Exception as error:  # a damaged or vanished file: say so, never a crash dialog
            log.exception("could not read history")
            self.model.set_entries([])
            self.summary.setText(f"History cannot be read: {error}")
            self._update_buttons()
            return
        self.model.set_entries(entries)
        self.table.resizeColumnsToContents()
        self.summary.setText(f"{len(entries)} of {total} calls shown" if total else "No calls yet.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.dial_button.setEnabled(self.selected() is not None)
        self.export_button.setEnabled(bool(self.model.entries))

    def selected(self) -> HistoryEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entries[rows[0].row()] if rows else None

    def _dial_selected(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.dial_again.emit(entry)

    # -- export -----------------------------------------------------------------------------

    def choose_export(self) -> None:
        suggested = Path.home() / f"opdial-history-{datetime.now():%Y%m%d-%H%M}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export history", str(suggested), "CSV files (*.csv)")
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> int:
        """Write the calls currently shown (search and filter applied) to ``path``."""
        written = self.history.export_csv(
            path, self.history.entries(self.search_query(), self.status_filter, None)
        )
        self.last_export = path
        self.summary.setText(f"Exported {written} calls to {path}")
        log.info("history exported: %d rows", written)
        return written
