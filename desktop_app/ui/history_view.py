"""The call history: search, filter by outcome, dial again, CSV export."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QShowEvent
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
from desktop_app.call_results import CallResult
from desktop_app.history import History, HistoryEntry
from desktop_app.ui import icons, theme
from desktop_app.ui.widgets import label_widget, wrapped_label
from desktop_app.ui.workers import Task, TaskRunner

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
        return entry.when.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    except ValueError:
        return entry.time


class HistoryModel(QAbstractTableModel):
    """The calls shown, a page at a time: the view asks for more (``more_wanted``) as you scroll."""

    HEADERS = (
        "Time (local)", "Profile", "Mode", "Customer", "Agent", "Outcome", "Result", "Problem",
        "Reference ID",
    )  # fmt: skip
    more_wanted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[HistoryEntry] = []
        self.has_more = False  # older entries exist beyond those loaded
        self.loading = False  # a page is on its way

    def set_entries(self, entries: list[HistoryEntry], has_more: bool = False) -> None:
        self.beginResetModel()
        self.entries = entries
        self.has_more = has_more
        self.endResetModel()

    def append(self, entries: list[HistoryEntry], has_more: bool) -> None:
        self.loading = False
        self.has_more = has_more
        if entries:
            first = len(self.entries)
            self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
            self.entries.extend(entries)
            self.endInsertRows()

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return not parent.isValid() and self.has_more and not self.loading

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self.loading = True
            self.more_wanted.emit()

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
            CallResult.from_entry(entry).short_words(),
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
            if role == Qt.ItemDataRole.ToolTipRole and index.column() == 6 and entry.result:
                return CallResult.from_entry(entry).words()  # with how it was matched
            return text
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 5:
            colors = theme.colors()
            return QColor(colors.success_fg if entry.accepted else colors.error_fg)
        return None


class HistoryView(QWidget):
    """Emits ``dial_again`` with the chosen ``HistoryEntry``."""

    dial_again = Signal(object)
    recording_requested = Signal(str)  # a recording's file name: the window fetches a fresh link

    def __init__(self, history: History, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.last_export: Path | None = None
        self.default_region = numbers.DEFAULT_REGION  # the window sets the profile's region
        # SQLite work (pages, counts, export) runs here, one piece at a time, off the GUI thread.
        self.runner = TaskRunner(self, max_threads=1)
        self._generation = 0  # only the latest search's pages are shown
        self._stale = True  # refresh when next shown
        self.exporting = False
        self._build()

    def _build(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search numbers, Reference ID, profile, problem…")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        label_widget(
            self.search, "Search history", "Find calls by number (any format), Reference ID, profile…"
        )
        self.filter = QComboBox()
        for text, status in FILTERS:
            self.filter.addItem(text, status)
        label_widget(self.filter, "Filter by outcome", "Show only queued, refused or unknown calls")
        self.dial_button = QPushButton("Dial again")
        self.dial_button.setIcon(icons.icon("redial"))
        label_widget(self.dial_button, "Dial again", "Fill the dial form with the selected call (Enter)")
        self.recording_button = QPushButton("Open recording")
        label_widget(
            self.recording_button, "Open recording", "The selected call's recording, in the browser"
        )
        self.recording_button.setEnabled(False)
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
        self._set_column_widths()
        self.model.more_wanted.connect(self.load_more)
        label_widget(self.table, "Call history", "Every call placed from OpDial, newest first")
        self.summary = wrapped_label(name="History summary", tooltip="How many calls are shown")
        self.export_note = wrapped_label(name="Export result", tooltip="Where the last export went")
        self.export_note.setVisible(False)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._search_timer.start)
        self.filter.currentIndexChanged.connect(self.refresh)
        self.dial_button.clicked.connect(self._dial_selected)
        self.recording_button.clicked.connect(self._open_recording)
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
        actions.addWidget(self.export_note, 2)
        actions.addWidget(self.recording_button)
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

    def _set_column_widths(self) -> None:
        """Widths from typical contents, once: measuring every row would cost more than the query."""
        metrics = self.table.fontMetrics()
        samples = (
            "2026-12-31 23:59:59 IST", "Acme Sales Ltd", "Anonymous dial", "+91 98765 43210",
            "a1b2c3d4e5f60718", "Unknown / failed · sent 2×", "Missed (customer)",
            "Number format not accepted",
        )  # fmt: skip
        for column, sample in enumerate(samples):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 24)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Load the first page of the calls that match, on a worker; later pages come on scrolling."""
        if not self.isVisible():
            self._stale = True  # nobody is looking: load when the tab is shown
            return
        self._stale = False
        self._generation += 1
        generation = self._generation
        search, status = self.search_query(), self.status_filter
        self.model.loading = True
        task = self.runner.start("history page", lambda _cancel: _first_page(self.history, search, status))
        task.succeeded.connect(lambda result: self._show_first_page(generation, result))
        task.failed.connect(lambda error: self._show_read_problem(generation, error))

    def _show_first_page(self, generation: int, result: tuple[list[HistoryEntry], bool, int, int]) -> None:
        if generation != self._generation:
            return  # a newer search is on its way
        entries, has_more, matched, total = result
        self.model.loading = False
        self.model.set_entries(entries, has_more)
        if not total:
            self.summary.setText("No calls yet.")
        elif matched == total:
            self.summary.setText(f"{total:,} {'call' if total == 1 else 'calls'}")
        else:
            self.summary.setText(f"{matched:,} of {total:,} calls match")
        self._update_buttons()

    def _show_read_problem(self, generation: int, error: str) -> None:
        if generation != self._generation:
            return
        self.model.loading = False
        self.model.set_entries([])
        self.summary.setText(f"History cannot be read: {_last_words(error)}")
        self._update_buttons()

    def load_more(self) -> None:
        """The next page, older than the last row shown (asked for by the model as you scroll)."""
        if not self.model.entries:
            self.model.loading = False
            return
        generation = self._generation
        search, status = self.search_query(), self.status_filter
        before = self.model.entries[-1].id
        task = self.runner.start("history page", lambda _cancel: _page(self.history, search, status, before))
        task.succeeded.connect(lambda page: generation == self._generation and self.model.append(*page))
        task.failed.connect(lambda error: self._show_read_problem(generation, error))

    def _update_buttons(self) -> None:
        entry = self.selected()
        self.dial_button.setEnabled(entry is not None)
        self.recording_button.setEnabled(bool(entry is not None and entry.recording))
        self.export_button.setEnabled(bool(self.model.entries) and not self.exporting)

    def selected(self) -> HistoryEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entries[rows[0].row()] if rows else None

    def _open_recording(self) -> None:
        entry = self.selected()
        if entry is not None and entry.recording:
            self.recording_requested.emit(entry.recording)

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

    def export(self, path: Path) -> Task:
        """Write every call that matches the search and filter to ``path``, on a worker."""
        search, status = self.search_query(), self.status_filter
        self.exporting = True
        self._update_buttons()
        self._note(f"Exporting to {path}…")
        task = self.runner.start(
            "history export", lambda _cancel: self.history.export_csv(path, search=search, status=status)
        )
        task.succeeded.connect(lambda written: self._exported(path, written))
        task.failed.connect(lambda error: self._export_failed(path, error))
        return task

    def _note(self, text: str) -> None:
        """The export's progress or result, beside the count (a refresh does not wipe it)."""
        self.export_note.setText(text)
        self.export_note.setVisible(True)

    def _exported(self, path: Path, written: int) -> None:
        self.exporting = False
        self.last_export = path
        self._note(f"Exported {written:,} {'call' if written == 1 else 'calls'} to {path}")
        log.info("history exported: %d rows", written)
        self._update_buttons()

    def _export_failed(self, path: Path, error: str) -> None:
        self.exporting = False
        self._note(f"Could not export to {path}: {_last_words(error)}")
        self._update_buttons()


PAGE_SIZE = 200


def _last_words(error: str) -> str:
    """The message of the exception a worker's (redacted) traceback ends with, without its class."""
    lines = error.strip().splitlines()
    return lines[-1].split(": ", 1)[-1] if lines else "unknown error"


def _page(history: History, search: str, status: str | None, before: int | None) -> tuple[list, bool]:
    """One page (on a worker) and whether more follow: one row more than shown is asked for."""
    rows = history.entries(search, status, PAGE_SIZE + 1, before_id=before)
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _first_page(history: History, search: str, status: str | None) -> tuple[list, bool, int, int]:
    entries, has_more = _page(history, search, status, None)
    total = history.count()
    matched = history.count(search, status) if (search or status) and has_more else total
    if (search or status) and not has_more:
        matched = len(entries)
    return entries, has_more, matched, total
