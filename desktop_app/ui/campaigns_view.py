"""The Campaigns view: import a list, check it, run it, watch it, reopen it.

Qt only arranges widgets here. Reading, checking, creating the journal and running the campaign
happen on worker threads (``TaskRunner``) through ``desktop_app.campaigns``; progress comes back
through a signal. The per-row table is a model over the journal that fetches pages on demand, so
100,000 rows cost one list of ids, not one widget (or one object) per row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QElapsedTimer,
    QModelIndex,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app import collector
from desktop_app.campaigns import journal as jr
from desktop_app.campaigns.checker import (
    CheckResult,
    check_rows,
    do_not_call_from_settings,
    export_rejected_csv,
)
from desktop_app.campaigns.importer import ColumnChoice, Table, extract, guess_columns, read_file, read_text
from desktop_app.campaigns.journal import CampaignSettings, Journal, RowView, Summary
from desktop_app.campaigns.policy import (
    DEFAULT_CONCURRENCY,
    DEFAULT_RATE_PER_MIN,
    DEFAULT_WINDOW,
    CallingWindow,
)
from desktop_app.ui import icons, theme
from desktop_app.ui.widgets import label_widget, wrapped_label
from desktop_app.ui.workers import Task, TaskRunner

log = logging.getLogger(__name__)

_DISPLAY_ROLE = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP_ROLE = Qt.ItemDataRole.ToolTipRole.value

ModelIndex = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 256
MAX_CACHED_PAGES = 64
PREVIEW_ROWS = 50
FILTER_RELOAD_MS = 2000
ROW_FILTERS = (
    ("All rows", None),
    ("Still to call", "open"),
    ("Accepted", jr.ACCEPTED),
    ("Rejected", jr.REJECTED),
    ("Failed", jr.FAILED),
    ("In doubt", jr.IN_DOUBT),
    ("Retrying", jr.RETRY),
)
STATE_WORDS = {
    jr.PENDING: "Pending",
    jr.SENDING: "Sending",
    jr.IN_DOUBT: "In doubt",
    jr.RETRY: "Retrying",
    jr.ACCEPTED: "Accepted",
    jr.REJECTED: "Rejected",
    jr.FAILED: "Failed",
}
# A row's result from the call log (the words History uses, without the talk time).
RESULT_WORDS = {"answered": "Answered", "missed": "Missed", "none": "No result in the log", "": ""}
STATUS_WORDS = {
    jr.READY: "Ready to start",
    jr.RUNNING: "Calling…",
    jr.WAITING: "Waiting",
    jr.PAUSED: "Paused",
    jr.BLOCKED: "Stopped by a problem",
    jr.CANCELLED: "Cancelled",
    jr.FINISHED: "Finished",
}


# -- models ----------------------------------------------------------------------------------------


KIND_WORDS = {"invalid": "Invalid", "duplicate": "Duplicate", "excluded": "Do not call"}


Findings = dict[int, list[tuple[str, str]]]  # a line of the list -> [(kind, reason)] of what was left out


def findings_by_line(checked: CheckResult) -> Findings:
    findings: Findings = {}
    for row in checked.rejected:
        findings.setdefault(row.line, []).append((row.kind, row.reason))
    return findings


class ListChecked(NamedTuple):
    """A checked list with what the view shows of it, counted on the worker that checked it: for
    100,000 rows the summary alone held the window ~15 ms (a column of numbers Excel mangled, whose
    every row is left out, far longer)."""

    result: CheckResult
    summary: str  # CheckResult.summary_text()
    findings: Findings


class PreviewModel(QAbstractTableModel):
    """The first rows of an imported table; the phone column in bold, the label column in italics.

    After the check, a last column says for each row "✓ to call" or why it is left out (invalid,
    duplicate, on the do-not-call list), and ``problems_only`` shows just the rows left out.
    """

    CHECK_HEADER = "Check"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.table: Table | None = None
        self.choice = ColumnChoice(None, None, "none")
        self._findings: dict[int, list[tuple[str, str]]] = {}  # line -> [(kind, reason)]
        self._checked = False
        self.problems_only = False
        self._shown: list[int] = []  # indexes into table.rows

    def set_table(self, table: Table | None, choice: ColumnChoice) -> None:
        self.beginResetModel()
        self.table, self.choice = table, choice
        self._findings, self._checked = {}, False
        self._refill()
        self.endResetModel()

    def set_check(self, checked: CheckResult, findings: Findings) -> None:
        """``findings``: ``findings_by_line(checked)``, made on the worker that checked the list."""
        self.beginResetModel()
        self._findings = findings
        self._checked = True
        self._refill()
        self.endResetModel()

    def set_problems_only(self, only: bool) -> None:
        self.beginResetModel()
        self.problems_only = only
        self._refill()
        self.endResetModel()

    def _refill(self) -> None:
        if self.table is None:
            self._shown = []
        elif self.problems_only:
            first, count = self.table.first_line, len(self.table.rows)
            wanted = sorted(line - first for line in self._findings if 0 <= line - first < count)
            self._shown = wanted[:PREVIEW_ROWS]
        else:
            self._shown = list(range(min(PREVIEW_ROWS, len(self.table.rows))))

    def _line(self, row: int) -> int:
        assert self.table is not None
        return self.table.first_line + self._shown[row]

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if self.table is None or parent.isValid() else len(self._shown)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        if self.table is None or parent.isValid():
            return 0
        return self.table.column_count + (1 if self._checked else 0)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if self.table is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.table.headers[section] if section < self.table.column_count else self.CHECK_HEADER
        return str(self._line(section))

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.table is None or not index.isValid():
            return None
        findings = self._findings.get(self._line(index.row()), [])
        if index.column() >= self.table.column_count:  # the check's verdict
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                if not findings:
                    return "✓ to call"
                return "; ".join(f"{KIND_WORDS.get(kind, kind)}: {reason}" for kind, reason in findings)
            if role == Qt.ItemDataRole.ForegroundRole:
                colors = theme.colors()
                return QColor(colors.error_fg if findings else colors.success_fg)
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.table.rows[self._shown[index.row()]][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and findings:
            return "; ".join(reason for _kind, reason in findings)
        if role == Qt.ItemDataRole.BackgroundRole and findings:
            return QColor(theme.colors().error_bg)
        if role == Qt.ItemDataRole.FontRole and index.column() in (self.choice.phone, self.choice.label):
            font = QFont()
            font.setBold(index.column() == self.choice.phone)
            font.setItalic(index.column() == self.choice.label)
            return font
        return None

    def multiData(self, index: ModelIndex, roles: QModelRoleDataSpan) -> None:
        """Every role Qt asks of a painted cell in one call into Python (Qt's default asks ``data``
        once per role): the preview is painted while workers read and check the list, and each call
        from Qt into Python waits for the GIL they hold."""
        for i in range(len(roles)):
            slot = roles[i]
            value = self.data(index, slot.role())
            if value is None:
                slot.clearData()
            else:
                slot.setData(value)


class CampaignRowsModel(QAbstractTableModel):
    """Every row of one campaign journal, filtered. Which rows match, and each page of rows as it
    is shown, are read on a worker (its own journal connection): a page not read yet shows blank
    for a moment, the window never waits."""

    COLUMNS = (
        "Line",
        "Number",
        "Label",
        "State",
        "Result",
        "Attempts",
        "Problem",
        "Reference ID",
        "Unique ID",
        "Updated",
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = TaskRunner(self, max_threads=1)  # in order: ids, then the pages they index
        self._path: Path | None = None
        self._ids: list[int] = []
        self._pages: dict[int, list[ShownRow]] = {}
        self._asked: set[int] = set()  # pages on their way
        self._fresh: set[int] = set()  # cached pages read since the last change (others: re-read)
        self._generation = 0  # answers for an older journal or filter are dropped
        self.state_filter: str | None = None
        self.search = ""

    def set_journal(self, path: Path | None) -> None:
        self._path = path
        self.reload()

    def close(self) -> None:
        self._path = None
        self._generation += 1
        self.runner.shutdown(10)

    def set_filter(self, state: str | None, search: str) -> None:
        self.state_filter, self.search = state, search
        self.reload()

    @property
    def loading(self) -> bool:
        return not self.runner.idle

    def reload(self) -> None:
        """Re-read which rows match the filter (one indexed query for ids only), on the worker."""
        self._generation += 1
        generation, path = self._generation, self._path
        if path is None:
            self._show_ids(generation, [])
            return
        state, search = self.state_filter, self.search
        task = self.runner.start("campaign row ids", lambda _cancel: _read_ids(path, state, search))
        task.succeeded.connect(lambda ids: self._show_ids(generation, ids))

    def _show_ids(self, generation: int, ids: list[int]) -> None:
        if generation != self._generation:
            return
        if ids == self._ids:
            self.refresh_rows()
            return
        self.beginResetModel()
        self._ids, self._pages, self._asked, self._fresh = ids, {}, set(), set()
        self.endResetModel()

    def refresh_rows(self, on_screen: range | None = None) -> None:
        """The rows may have changed state: every cached page is re-read before it is painted again.
        The pages ``on_screen`` are re-read now, on the worker: they stay shown meanwhile (a running
        campaign's table does not flicker) and only rows that changed are repainted. Without it, the
        view is told everything changed and asks again for what it shows."""
        self._asked, self._fresh = set(), set()
        if on_screen is None:
            if self._ids:
                last = self.index(len(self._ids) - 1, len(self.COLUMNS) - 1)
                self.dataChanged.emit(self.index(0, 0), last, [Qt.ItemDataRole.DisplayRole])
            return
        if on_screen:
            pages = range(on_screen.start // PAGE_SIZE, (on_screen.stop - 1) // PAGE_SIZE + 1)
            for page_number in pages:
                if page_number in self._pages:  # one never read is read when it is painted
                    self._ask_page(page_number)

    def row_at(self, row: int) -> RowView | None:
        """The row if its page has been read; otherwise None, and the page is asked for."""
        shown = self._shown(row)
        return shown.row if shown is not None else None

    def _shown(self, row: int) -> ShownRow | None:
        if self._path is None or not 0 <= row < len(self._ids):
            return None
        page_number = row // PAGE_SIZE
        if page_number not in self._fresh:
            self._ask_page(page_number)
        page = self._pages.get(page_number)
        if page is None:
            return None
        offset = row - page_number * PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def _ask_page(self, page_number: int) -> None:
        if page_number in self._asked or self._path is None:
            return
        self._asked.add(page_number)
        generation, path = self._generation, self._path
        start = page_number * PAGE_SIZE
        ids = self._ids[start : start + PAGE_SIZE]
        task = self.runner.start("campaign rows", lambda _cancel: _read_rows(path, ids))
        task.succeeded.connect(lambda rows: self._show_page(generation, page_number, rows))

    def _show_page(self, generation: int, page_number: int, rows: list[ShownRow]) -> None:
        if generation != self._generation or page_number not in self._asked:
            return  # another journal or filter since, or the pages were refreshed meanwhile
        self._asked.discard(page_number)
        if page_number not in self._pages and len(self._pages) >= MAX_CACHED_PAGES:
            self._fresh.discard(evicted := next(iter(self._pages)))
            del self._pages[evicted]
        before = self._pages.get(page_number)
        self._pages[page_number] = rows
        self._fresh.add(page_number)
        changed = _changed_span(before, rows)
        if changed is not None:  # only what changed is repainted: each painted cell is a call into Python
            first = page_number * PAGE_SIZE
            self.dataChanged.emit(
                self.index(first + changed[0], 0), self.index(first + changed[1], len(self.COLUMNS) - 1)
            )

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        shown = self._shown(index.row()) if index.isValid() else None
        if shown is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return shown.cells[index.column()]
        return shown.tip if role == Qt.ItemDataRole.ToolTipRole else None

    def multiData(self, index: ModelIndex, roles: QModelRoleDataSpan) -> None:
        """Every role Qt asks of a painted cell in one call (Qt's default asks ``data`` once per role):
        while a campaign runs, each call from Qt into Python waits for the GIL the workers hold."""
        shown = self._shown(index.row()) if index.isValid() else None
        for i in range(len(roles)):
            slot = roles[i]
            role = slot.role()
            if shown is not None and role == _DISPLAY_ROLE:
                slot.setData(shown.cells[index.column()])
            elif shown is not None and role == _TOOLTIP_ROLE:
                slot.setData(shown.tip)
            else:
                slot.clearData()


# -- small widgets ---------------------------------------------------------------------------------


class RunSettingsEditor(QWidget):
    """Pace, concurrency and calling window: used when creating and when resuming a campaign."""

    def __init__(self, purpose: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0, 6000)
        self.rate.setDecimals(0)
        self.rate.setSuffix(" calls/min")
        self.rate.setSpecialValueText("No pacing")
        self.rate.setValue(DEFAULT_RATE_PER_MIN)
        label_widget(
            self.rate, f"Pace ({purpose})", "Calls per minute; 0 sends as fast as concurrency allows"
        )
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(DEFAULT_CONCURRENCY)
        label_widget(
            self.concurrency, f"Calls at once ({purpose})", "How many requests may be on the way together"
        )
        self.window = QLineEdit(DEFAULT_WINDOW)
        self.window.setPlaceholderText("09:00-21:00 or any")
        # Never narrower than its usual value: squeezed, "09:00-21:00" showed as "1:00".
        self.window.setMinimumWidth(self.window.fontMetrics().horizontalAdvance("09:00-21:00") + 24)
        label_widget(
            self.window,
            f"Calling window ({purpose})",
            "Hours in the recipient's local time when calls may go out (HH:MM-HH:MM); 'any' turns it off",
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for text, widget in (("Pace", self.rate), ("At once", self.concurrency), ("Window", self.window)):
            layout.addWidget(QLabel(text))
            layout.addWidget(widget)
        layout.addStretch(1)

    def apply_to(self, settings: CampaignSettings) -> CampaignSettings:
        """Settings with this editor's values; ValueError for a malformed window."""
        settings.rate_per_min = float(self.rate.value())
        settings.concurrency = int(self.concurrency.value())
        settings.calling_window = str(CallingWindow.parse(self.window.text()))
        return settings

    def show_settings(self, settings: CampaignSettings) -> None:
        self.rate.setValue(settings.rate_per_min)
        self.concurrency.setValue(settings.concurrency)
        self.window.setText(settings.calling_window)


class _ProgressRelay(QObject):
    """Lives on the GUI thread; the runner emits from its worker thread, Qt queues the delivery."""

    progress = Signal(object)


# -- the view --------------------------------------------------------------------------------------


class CampaignsView(QWidget):
    """Import wizard, live progress, per-row table and past campaigns, in one page.

    ``resolve_profile()`` returns the ``credentials.Resolved`` to call with (it may raise
    ``ConfigError``); it is asked when a list is checked (for the default region) and when a
    campaign starts. Call ``shutdown()`` before the window closes.
    """

    campaign_opened = Signal(str)
    run_finished = Signal(object)  # RunResult

    def __init__(
        self,
        resolve_profile: Callable[[], Any],
        parent: QWidget | None = None,
        *,
        campaigns_dir: Callable[[], Path | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self.resolve_profile = resolve_profile
        self.campaigns_dir = campaigns_dir  # None: the real campaigns folder; the demo has its own
        self.tasks = TaskRunner(self, max_threads=3)
        self.table: Table | None = None
        self.choice = ColumnChoice(None, None, "none")
        self.checked: CheckResult | None = None
        self.source = ""
        self.current_id: str | None = None
        self.last_summary: Summary | None = None
        self._runner: Any = None
        self._stop_asked: str | None = None  # "pause" / "cancel" asked before the runner existed
        self._run_task: Task | None = None
        self._filter_clock = QElapsedTimer()
        self._filter_clock.start()
        self._relay = _ProgressRelay(self)
        self._relay.progress.connect(self._show_progress)
        self._build()
        self.refresh_campaigns()

    # -- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_sidebar())
        self.pages = QStackedWidget()
        self.import_page = self._build_import_page()
        self.campaign_page = self._build_campaign_page()
        self.pages.addWidget(self.import_page)
        self.pages.addWidget(self.campaign_page)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 760])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _build_sidebar(self) -> QWidget:
        self.new_button = QPushButton("New campaign")
        self.new_button.setIcon(icons.icon("add"))
        label_widget(self.new_button, "New campaign", "Import a contact list (file or pasted) and check it")
        self.new_button.clicked.connect(self.new_campaign)
        self.campaign_list = QListWidget()
        label_widget(
            self.campaign_list, "Past campaigns", "Open a campaign to see its rows, resume or export it"
        )
        self.campaign_list.setWordWrap(True)
        self.campaign_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.campaign_list.itemActivated.connect(self._open_item)
        self.campaign_list.itemClicked.connect(self._open_item)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.new_button)
        layout.addWidget(QLabel("Campaigns"))
        layout.addWidget(self.campaign_list, 1)
        return box

    def _build_import_page(self) -> QWidget:
        self.open_button = QPushButton("Open file…")
        self.open_button.setIcon(icons.icon("folder"))
        label_widget(
            self.open_button, "Open contact list", "CSV, TXT (any delimiter or encoding) or Excel XLSX"
        )
        self.open_button.clicked.connect(self.choose_file)
        self.paste = QPlainTextEdit()
        self.paste.setPlaceholderText(
            "…or paste numbers here, one per line (a name after a comma or tab is kept)"
        )
        self.paste.setMaximumHeight(90)
        label_widget(self.paste, "Pasted list", "Numbers, one per line; columns separated by , ; tab or |")
        self.paste_button = QPushButton("Use pasted list")
        label_widget(self.paste_button, "Use pasted list", "Read the pasted text as a contact list")
        self.paste_button.clicked.connect(lambda: self.load_text(self.paste.toPlainText()))
        self.source_label = wrapped_label(name="List source", tooltip="Where the list came from")

        self.phone_column = QComboBox()
        label_widget(self.phone_column, "Phone column", "The column holding the numbers to call")
        self.label_column = QComboBox()
        label_widget(self.label_column, "Label column", "A name or note shown beside each number")
        self.phone_column.activated.connect(self._columns_changed)
        self.label_column.activated.connect(self._columns_changed)
        self.mapping_hint = wrapped_label(name="Column detection", tooltip="How the phone column was chosen")

        self.preview = QTableView()
        self.preview_model = PreviewModel(self)
        self.preview.setModel(self.preview_model)
        self.preview.verticalHeader().setDefaultSectionSize(22)
        self.preview.horizontalHeader().setStretchLastSection(True)
        label_widget(self.preview, "Preview", f"The first {PREVIEW_ROWS} rows as read; nothing is sent yet")
        self.problems_only = QCheckBox("Show only rows left out")
        self.problems_only.setEnabled(False)
        label_widget(
            self.problems_only,
            "Show only rows left out",
            "Show just the invalid, duplicate and do-not-call rows, with the reason for each",
        )
        self.problems_only.toggled.connect(self.preview_model.set_problems_only)

        self.check_summary = wrapped_label(
            name="Check summary", tooltip="What the check found", selectable=True
        )
        self.export_rejected_button = QPushButton("Export left-out rows…")
        self.export_rejected_button.setIcon(icons.icon("export"))
        label_widget(
            self.export_rejected_button,
            "Export left-out rows",
            "Save invalid, duplicate and do-not-call rows as CSV",
        )
        self.export_rejected_button.clicked.connect(self.choose_export_rejected)
        self.do_not_call_button = QPushButton("Do-not-call list…")
        label_widget(self.do_not_call_button, "Do-not-call list", "Numbers that campaigns must never call")
        self.do_not_call_button.clicked.connect(self.edit_do_not_call)
        self.new_settings = RunSettingsEditor("new campaign")
        self.create_button = QPushButton("Create campaign")
        label_widget(
            self.create_button, "Create campaign", "Save the checked list as a campaign without calling"
        )
        self.create_button.clicked.connect(lambda: self.create_campaign(start=False))
        self.create_start_button = QPushButton("Create and start")
        self.create_start_button.setIcon(icons.icon("call"))
        label_widget(self.create_start_button, "Create and start", "Save the campaign and start calling")
        self.create_start_button.clicked.connect(lambda: self.create_campaign(start=True))
        self.import_error = wrapped_label(name="Import problem", tooltip="Why the list could not be used")

        source_row = QHBoxLayout()
        source_row.addWidget(self.open_button)
        source_row.addWidget(self.source_label, 1)
        paste_row = QHBoxLayout()
        paste_row.addWidget(self.paste, 1)
        paste_row.addWidget(self.paste_button, 0, Qt.AlignmentFlag.AlignBottom)
        mapping = QFormLayout()
        mapping.addRow("Phone column", self.phone_column)
        mapping.addRow("Label column", self.label_column)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_summary, 1)
        check_row.addWidget(self.do_not_call_button)
        check_row.addWidget(self.export_rejected_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_settings, 1)
        create_row = QHBoxLayout()  # a row of their own: the settings keep their width
        create_row.addStretch(1)
        create_row.addWidget(self.create_button)
        create_row.addWidget(self.create_start_button)

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("<b>1. Choose a list</b>"))
        layout.addLayout(source_row)
        layout.addLayout(paste_row)
        layout.addWidget(QLabel("<b>2. Check the columns</b>"))
        layout.addLayout(mapping)
        layout.addWidget(self.mapping_hint)
        layout.addWidget(self.problems_only)
        layout.addWidget(self.preview, 1)
        layout.addWidget(QLabel("<b>3. Review and start</b>"))
        layout.addLayout(check_row)
        layout.addWidget(self.import_error)
        layout.addLayout(buttons)
        layout.addLayout(create_row)
        self._update_import_buttons()
        return page

    def _build_campaign_page(self) -> QWidget:
        self.title = QLabel()
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label_widget(self.title, "Campaign", "Campaign id and list")
        self.status = wrapped_label(
            name="Campaign status", tooltip="What the campaign is doing", selectable=True
        )
        self.progress = QProgressBar()
        label_widget(self.progress, "Campaign progress", "Rows that reached a final state")
        self.counts = wrapped_label(name="Counts per state", tooltip="How many rows are in each state")
        self.rate_label = wrapped_label(name="Rate and time left", tooltip="Calls per minute and estimate")

        self.start_button = QPushButton("Start")
        self.start_button.setIcon(icons.icon("call"))
        label_widget(self.start_button, "Start or resume", "Start calling, or continue where it stopped")
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause")
        label_widget(self.pause_button, "Pause", "Stop after the calls already on the way are answered")
        self.pause_button.clicked.connect(self.pause)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setIcon(icons.icon("cancel"))
        label_widget(self.cancel_button, "Cancel campaign", "Stop calling and mark the campaign cancelled")
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button = QPushButton("Export results…")
        self.export_button.setIcon(icons.icon("export"))
        label_widget(self.export_button, "Export results", "Save every row with its outcome as CSV")
        self.export_button.clicked.connect(self.choose_export_results)
        self.run_settings = RunSettingsEditor("this campaign")
        self.run_settings.window.editingFinished.connect(self._window_edited)

        self.row_filter = QComboBox()
        for text, state in ROW_FILTERS:
            self.row_filter.addItem(text, state)
        label_widget(self.row_filter, "Row filter", "Show only rows in this state")
        self.row_search = QLineEdit()
        self.row_search.setPlaceholderText("Search number, label or Reference ID…")
        self.row_search.setClearButtonEnabled(True)
        label_widget(self.row_search, "Search rows", "Find rows by number, label or Reference ID")
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self._apply_row_filter)
        self.row_search.textChanged.connect(self._search_timer.start)
        self.row_filter.currentIndexChanged.connect(self._apply_row_filter)

        self.rows_view = QTableView()
        self.rows_model = CampaignRowsModel(self)
        self.rows_view.setModel(self.rows_model)
        self.rows_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rows_view.setAlternatingRowColors(True)
        self.rows_view.setWordWrap(False)
        self.rows_view.verticalHeader().setVisible(False)
        self.rows_view.verticalHeader().setDefaultSectionSize(22)
        header = self.rows_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((50, 130, 150, 80, 65, 130, 210, 120)):
            header.resizeSection(column, width)
        label_widget(self.rows_view, "Campaign rows", "Every number of the campaign with its state")

        controls = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.cancel_button):
            controls.addWidget(button)
        controls.addStretch(1)
        controls.addWidget(self.export_button)
        filters = QHBoxLayout()
        filters.addWidget(self.row_search, 1)
        filters.addWidget(self.row_filter)
        progress_box = QGroupBox("Progress")
        progress_layout = QVBoxLayout(progress_box)
        progress_layout.addWidget(self.status)
        progress_layout.addWidget(self.progress)
        progress_layout.addWidget(self.counts)
        progress_layout.addWidget(self.rate_label)

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.title)
        layout.addWidget(progress_box)
        layout.addWidget(self.run_settings)
        layout.addLayout(controls)
        layout.addLayout(filters)
        layout.addWidget(self.rows_view, 1)
        return page

    # -- import ----------------------------------------------------------------------------------

    def show_import(self) -> None:
        self.pages.setCurrentWidget(self.import_page)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open contact list",
            str(Path.home()),
            "Contact lists (*.csv *.txt *.tsv *.xlsx);;All files (*)",
        )
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> Task:
        self.source = str(path)
        return self._load(f"Reading {path.name}…", lambda _cancel: read_file(path))

    def load_text(self, text: str) -> Task:
        self.source = "pasted list"
        return self._load("Reading the pasted list…", lambda _cancel: read_text(text))

    def _load(self, message: str, work: Callable[[threading.Event], Table]) -> Task:
        self.show_import()
        self.import_error.setText("")
        self.check_summary.setText(message)
        self.checked = None
        self.problems_only.setChecked(False)
        self.problems_only.setEnabled(False)
        self._update_import_buttons()
        def read(cancel: threading.Event) -> tuple[Table, ColumnChoice]:
            with collector.paused():
                return _with_choice(work(cancel))

        task = self.tasks.start("campaign-read", read)
        task.succeeded.connect(self._table_loaded)
        task.failed.connect(self._import_failed)
        return task

    def _table_loaded(self, loaded: tuple[Table, ColumnChoice]) -> None:
        self.table, self.choice = loaded
        table = self.table
        self.source_label.setText(
            f"{Path(self.source).name if self.source != 'pasted list' else self.source}: "
            f"{len(table.rows)} rows, {table.column_count} columns"
            + (f", {table.encoding}" if table.encoding else "")
        )
        for combo, chosen, allow_none in (
            (self.phone_column, self.choice.phone, False),
            (self.label_column, self.choice.label, True),
        ):
            combo.clear()
            if allow_none:
                combo.addItem("(none)", None)
            for index, header in enumerate(table.headers):
                combo.addItem(header, index)
            combo.setCurrentIndex(max(0, combo.findData(chosen)) if chosen is not None else 0)
        self._show_mapping_hint()
        self.preview_model.set_table(table, self.choice)
        self.preview.resizeColumnsToContents()
        if self.choice.phone is None:
            self.check_summary.setText("No column looks like phone numbers: choose the phone column above.")
            self._update_import_buttons()
            return
        self.recheck()

    def _show_mapping_hint(self) -> None:
        words = {
            "header": "Phone column found by its name and confirmed by its content.",
            "content": "Phone column found by its content (no recognisable header).",
            "user": "Phone column chosen by you.",
            "none": "",
        }
        self.mapping_hint.setText(words.get(self.choice.phone_by, ""))

    def _columns_changed(self) -> None:
        if self.table is None:
            return
        phone = self.phone_column.currentData()
        self.choice = ColumnChoice(phone, self.label_column.currentData(), "user")
        self._show_mapping_hint()
        self.preview_model.set_table(self.table, self.choice)
        self.recheck()

    def edit_do_not_call(self) -> None:
        from desktop_app.credentials import ProfileStore
        from desktop_app.ui.do_not_call_dialog import DoNotCallDialog

        dialog = DoNotCallDialog(ProfileStore(), self._default_region(), self)
        if dialog.exec() == DoNotCallDialog.DialogCode.Accepted:
            self.recheck()  # a list on screen is checked again against the new do-not-call list

    def recheck(self) -> Task | None:
        table, choice = self.table, self.choice
        if table is None or choice.phone is None:
            return None
        region = self._default_region()
        self.check_summary.setText("Checking every number…")
        self.checked = None
        self._update_import_buttons()

        def work(_cancel: threading.Event) -> ListChecked:
            from desktop_app.credentials import ProfileStore

            blocked = do_not_call_from_settings(ProfileStore(), region)
            with collector.paused():
                checked = check_rows(extract(table, choice.phone, choice.label), region, blocked)
                return ListChecked(checked, checked.summary_text(), findings_by_line(checked))

        task = self.tasks.start("campaign-check", work)
        task.succeeded.connect(self._checked)
        task.failed.connect(self._import_failed)
        return task

    def _checked(self, done: ListChecked) -> None:
        self.checked = checked = done.result
        self.preview_model.set_check(checked, done.findings)
        self.problems_only.setEnabled(bool(checked.rejected))
        head, _, rest = done.summary.partition(" from ")
        self.check_summary.setText(f"<b>{head}</b> from {rest}")
        self._update_import_buttons()

    def _import_failed(self, error: str) -> None:
        self._forget_list()  # nothing of the previous file may be created by mistake
        self.import_error.setText(_import_words(error))
        self._update_import_buttons()

    def _forget_list(self) -> None:
        self.problems_only.setChecked(False)
        self.problems_only.setEnabled(False)
        self.table, self.checked = None, None
        self.choice = ColumnChoice(None, None, "none")
        self.preview_model.set_table(None, self.choice)
        self.source_label.setText("")
        self.check_summary.setText("")
        self.mapping_hint.setText("")
        for combo in (self.phone_column, self.label_column):
            combo.clear()

    def new_campaign(self) -> None:
        """A clean import form: no list, no preview, no message from the last one."""
        self._forget_list()
        self.paste.clear()
        self.import_error.setText("")
        self._update_import_buttons()
        self.show_import()

    def _update_import_buttons(self) -> None:
        ready = self.checked is not None and bool(self.checked.valid)
        self.create_button.setEnabled(ready)
        self.create_start_button.setEnabled(ready)
        self.export_rejected_button.setEnabled(self.checked is not None and bool(self.checked.rejected))

    def choose_export_rejected(self) -> None:
        suggested = Path.home() / f"opdial-left-out-{datetime.now():%Y%m%d-%H%M}.csv"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export left-out rows", str(suggested), "CSV files (*.csv)"
        )
        if path:
            self.export_rejected(Path(path))

    def export_rejected(self, path: Path) -> Task:
        """Save the left-out rows (invalid, duplicate, do-not-call) with their reasons, on a worker."""
        rejected = list(self.checked.rejected if self.checked else [])
        task = self.tasks.start("left-out export", lambda _cancel: export_rejected_csv(rejected, path))
        task.succeeded.connect(
            lambda count: self.import_error.setText(
                f"Saved {count} left-out {'row' if count == 1 else 'rows'} to {path}."
            )
        )
        task.failed.connect(lambda error: self.import_error.setText(_last_line(error)))
        return task

    def create_campaign(self, start: bool) -> Task | None:
        checked = self.checked
        if checked is None or not checked.valid:
            return None
        try:
            settings = self.new_settings.apply_to(CampaignSettings())
        except ValueError as error:
            self.import_error.setText(str(error))
            return None
        settings.default_region = self._default_region()
        settings.source = self.source
        if self.table is not None and self.choice.phone is not None:
            settings.column = self.table.headers[self.choice.phone]
        settings.profile = self._profile_name()
        directory = self.campaigns_dir()

        def work(_cancel: threading.Event) -> str:
            with Journal.create(checked, settings, directory=directory) as journal:
                return journal.id

        self.create_button.setEnabled(False)
        self.create_start_button.setEnabled(False)
        task = self.tasks.start("campaign-create", work)
        task.succeeded.connect(lambda campaign_id: self._created(campaign_id, start))
        task.failed.connect(self._import_failed)
        return task

    def _created(self, campaign_id: str, start: bool) -> None:
        self.table, self.checked = None, None
        self.preview_model.set_table(None, ColumnChoice(None, None, "none"))
        self.open_campaign(campaign_id)
        self.refresh_campaigns()
        if start:
            self.start()

    # -- one campaign ----------------------------------------------------------------------------

    def open_campaign(self, campaign_id: str) -> None:
        if self.running and campaign_id != self.current_id:
            self.status.setText("Another campaign is running: pause it before opening a different one.")
            return
        try:
            with Journal.open(campaign_id, self.campaigns_dir()) as journal:
                summary, settings, path = journal.summary(), journal.settings, journal.path
        except jr.JournalError as error:  # e.g. a damaged journal, set aside: say so, do not crash
            self.status.setText(str(error))
            return
        self.current_id = campaign_id
        self.title.setText(f"<b>Campaign {campaign_id}</b> — {Path(settings.source).name or 'pasted list'}")
        self.run_settings.show_settings(settings)
        self.rows_model.set_journal(path)
        self._show_summary(summary)
        self.pages.setCurrentWidget(self.campaign_page)
        self.campaign_opened.emit(campaign_id)

    @property
    def running(self) -> bool:
        return self._run_task is not None and not self._run_task.done_event.is_set()

    def start(self) -> Task | None:
        """Start or resume the open campaign on a worker thread."""
        if self.current_id is None or self.running:
            return None
        try:
            resolved = self.resolve_profile()
        except Exception as error:  # ConfigError, KeyringUnavailable: say it, do not crash
            self.status.setText(f"Cannot start: {error}")
            return None
        with Journal.open(self.current_id, self.campaigns_dir()) as journal:
            path, settings = journal.path, journal.settings
        try:
            settings = self.run_settings.apply_to(settings)
        except ValueError as error:
            self.status.setText(str(error))
            return None
        settings.api_url = resolved.account.api_url
        self._runner, self._stop_asked = None, None
        progress = self._relay.progress.emit

        def work(_cancel: threading.Event) -> Any:
            # Built here, not on the GUI thread: the HTTP client loads httpx and the TLS roots.
            runner = _make_runner(path, resolved, settings, progress)
            self._runner = runner
            if self._stop_asked is not None:  # Pause or Cancel pressed while it was being built
                getattr(runner, self._stop_asked)()
            try:
                return runner.run()
            finally:
                runner.client.close()

        self._run_task = task = self.tasks.start("campaign-run", work)
        task.succeeded.connect(self._run_done)
        task.failed.connect(self._run_failed)
        self.status.setText(STATUS_WORDS[jr.RUNNING])
        self._update_run_buttons(running=True)
        return task

    def pause(self) -> None:
        if self._ask_runner("pause"):
            self.status.setText("Pausing: waiting for the calls already on the way…")

    def cancel(self) -> None:
        if self._ask_runner("cancel"):
            self.status.setText("Cancelling…")
        elif self.current_id is not None:
            with Journal.open(self.current_id, self.campaigns_dir()) as journal:
                journal.set_status(jr.CANCELLED)
                self._show_summary(journal.summary())
            self.refresh_campaigns()

    def _window_edited(self) -> None:
        """A new calling window typed while the campaign runs: the runner uses it at once."""
        if not self.running or self._runner is None:
            return
        try:
            window = CallingWindow.parse(self.run_settings.window.text())
        except ValueError as error:
            self.status.setText(str(error))
            return
        self._runner.change_calling_window(window)
        self.status.setText(f"Calling window changed to {window} (the recipients' time).")

    def _ask_runner(self, request: str) -> bool:
        """Pass pause/cancel to the running campaign, or to the one still being built on its worker."""
        if not self.running:
            return False
        self._stop_asked = request
        if self._runner is not None:
            getattr(self._runner, request)()
        return True

    def _show_progress(self, progress: Any) -> None:
        if progress.summary.id != self.current_id:
            return
        self._show_summary(progress.summary, progress.message)
        self._update_sidebar(progress.summary)
        rate = f"{progress.rate_per_min:.0f} calls/min"
        eta = f" · {progress.eta_text}" if progress.eta_text else ""
        self.rate_label.setText(rate + eta)
        if self.rows_model.state_filter is None and not self.rows_model.search:
            self.rows_model.refresh_rows(self._rows_on_screen())
        elif self._filter_clock.elapsed() > FILTER_RELOAD_MS:  # rows move in and out of the filter
            self._filter_clock.restart()
            self.rows_model.reload()

    def _show_summary(self, summary: Summary, message: str = "") -> None:
        self.last_summary = summary
        done = summary.accepted + summary.rejected + summary.failed
        self.progress.setRange(0, max(1, summary.valid))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} of {summary.valid} done (%p%)")
        states = summary.states
        self.counts.setText(
            f"Accepted {summary.accepted} · Rejected {summary.rejected} · Failed {summary.failed} · "
            f"In doubt {states.get(jr.IN_DOUBT, 0)} · Retrying {states.get(jr.RETRY, 0)} · "
            f"Pending {states.get(jr.PENDING, 0) + states.get(jr.SENDING, 0)}"
            f"  (left out at import: {summary.invalid} invalid, {summary.duplicates} duplicates, "
            f"{summary.excluded} do-not-call)" + results_text(summary)
        )
        words = STATUS_WORDS.get(summary.status, summary.status)
        reason = summary.status_reason or {}
        detail = (
            message or " ".join(str(reason.get(k, "")) for k in ("title", "explanation", "action")).strip()
        )
        self.status.setText(f"<b>{words}</b>" + (f" — {detail}" if detail else ""))
        self._update_run_buttons(running=self.running)

    def _update_run_buttons(self, running: bool) -> None:
        summary = self.last_summary
        finished = summary is not None and summary.complete
        self.start_button.setText("Resume" if summary is not None and summary.status != jr.READY else "Start")
        self.start_button.setEnabled(not running and not finished and self.current_id is not None)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(self.current_id is not None and not finished)
        # While running only the calling window can change (the runner takes it at once).
        for widget in (self.run_settings.rate, self.run_settings.concurrency):
            widget.setEnabled(not running)
        self.run_settings.setEnabled(True)
        self.new_button.setEnabled(not running)

    def _run_done(self, result: Any) -> None:
        self._run_task = None
        self._show_summary(result.summary, result.message)
        self.rows_model.reload()
        self.refresh_campaigns()
        self.run_finished.emit(result)

    def _run_failed(self, error: str) -> None:
        self._run_task = None
        self.status.setText(f"The campaign stopped: {_last_line(error)}")
        self._update_run_buttons(running=False)
        self.refresh_campaigns()

    def _apply_row_filter(self) -> None:
        self.rows_model.set_filter(self.row_filter.currentData(), self.row_search.text())

    def choose_export_results(self) -> None:
        if self.current_id is None:
            return
        suggested = Path.home() / f"opdial-campaign-{self.current_id}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export results", str(suggested), "CSV files (*.csv)")
        if path:
            self.export_results(Path(path))

    def export_results(self, path: Path) -> Task | None:
        if self.current_id is None:
            return None
        campaign_id, directory = self.current_id, self.campaigns_dir()

        def work(_cancel: threading.Event) -> int:
            with Journal.open(campaign_id, directory) as journal:
                return journal.export_csv(path)

        task = self.tasks.start("campaign-export", work)
        task.succeeded.connect(lambda count: self.rate_label.setText(f"Exported {count} rows to {path}."))
        task.failed.connect(lambda error: self.rate_label.setText(_last_line(error)))
        return task

    # -- past campaigns --------------------------------------------------------------------------

    def refresh_campaigns(self) -> Task:
        directory = self.campaigns_dir()
        task = self.tasks.start("campaign-list", lambda _cancel: jr.list_summaries(directory))
        task.succeeded.connect(self._fill_campaigns)
        return task

    def _fill_campaigns(self, summaries: list[Summary]) -> None:
        self.campaign_list.clear()
        for summary in reversed(summaries):  # newest on top
            item = QListWidgetItem(sidebar_text(summary))
            item.setData(Qt.ItemDataRole.UserRole, summary.id)
            item.setToolTip(f"Campaign {summary.id}")
            self.campaign_list.addItem(item)
            if summary.id == self.current_id:
                item.setSelected(True)

    def results_changed(self) -> None:
        """New call results were stored: show the open campaign's counts again (read on a worker)."""
        campaign_id, directory = self.current_id, self.campaigns_dir()
        if campaign_id is None or self.running:
            return  # a running campaign's progress reports bring the counts

        def read(_cancel: object) -> Summary:
            with Journal.open(campaign_id, directory) as journal:
                return journal.summary()

        task = self.tasks.start("campaign-summary", read)
        task.succeeded.connect(lambda summary: summary.id == self.current_id and self._show_summary(summary))
        self.rows_model.refresh_rows()  # the Result column of the rows in view

    def _rows_on_screen(self) -> range:
        view = self.rows_view
        top, bottom = view.rowAt(0), view.rowAt(view.viewport().height() - 1)
        if top < 0:
            return range(0)
        return range(top, (bottom if bottom >= 0 else self.rows_model.rowCount() - 1) + 1)

    def _update_sidebar(self, summary: Summary) -> None:
        """The running campaign's entry follows its progress (from the summary in hand, no query)."""
        for index in range(self.campaign_list.count()):
            item = self.campaign_list.item(index)
            if item.data(Qt.ItemDataRole.UserRole) == summary.id:
                text = sidebar_text(summary)
                if item.text() != text:
                    item.setText(text)
                return

    def _open_item(self, item: QListWidgetItem) -> None:
        self.open_campaign(item.data(Qt.ItemDataRole.UserRole))

    # -- helpers ---------------------------------------------------------------------------------

    def _default_region(self) -> str:
        try:
            return self.resolve_profile().profile.default_region or "IN"
        except Exception:  # no usable profile yet: check with India's rules, say so at start
            return "IN"

    def _profile_name(self) -> str:
        from desktop_app.credentials import ProfileStore

        try:
            name = self.resolve_profile().profile.name
        except Exception:
            return ""
        return name if ProfileStore().get(name) is not None else ""

    def shutdown(self, timeout_s: float = 30.0) -> bool:
        """Pause a running campaign (calls on the way are recorded) and wait for the workers."""
        self._ask_runner("pause")
        done = self.tasks.shutdown(timeout_s)
        self.rows_model.close()
        return done

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)


def _read_ids(path: Path, state: str | None, search: str) -> list[int]:
    with Journal(path) as journal:  # on a worker: a connection of its own
        return journal.row_ids(state, search)


class ShownRow(NamedTuple):
    """A campaign row as the table shows it: formatted once, on the worker that read it."""

    row: RowView
    cells: tuple[str, ...]  # CampaignRowsModel.COLUMNS
    tip: str


def _shown_row(row: RowView) -> ShownRow:
    values = (
        row.line,
        row.number,
        row.label,
        STATE_WORDS.get(row.state, row.state),
        RESULT_WORDS.get(row.result, row.result),
        row.attempts,
        _problem_title(row.problem_code),
        row.reference_id,
        row.unique_id or "",
        local_time(row.updated_at),
    )
    tip = row.problem or STATE_WORDS.get(row.state, row.state)
    return ShownRow(row, tuple(str(value) for value in values), tip)


def _changed_span(before: list[ShownRow] | None, after: list[ShownRow]) -> tuple[int, int] | None:
    """The first and last offsets where a re-read page differs from the cached one (None: the same)."""
    if before is None or len(before) != len(after):
        return (0, len(after) - 1) if after else None
    changed = [
        i
        for i, (old, new) in enumerate(zip(before, after, strict=True))
        if old.cells != new.cells or old.tip != new.tip
    ]
    return (changed[0], changed[-1]) if changed else None


def _read_rows(path: Path, ids: list[int]) -> list[ShownRow]:
    with Journal(path) as journal:
        return [_shown_row(row) for row in journal.rows_by_ids(ids)]


def _with_choice(table: Table) -> tuple[Table, ColumnChoice]:
    return table, guess_columns(table)


def _make_runner(path: Path, resolved: Any, settings: CampaignSettings, on_progress: Callable) -> Any:
    from desktop_app.api.client import ObdClient
    from desktop_app.campaigns.runner import CampaignRunner

    # One attempt per place_call: the runner paces retries itself, with the row's own reference_id.
    client = ObdClient(resolved.account, max_attempts=1)
    return CampaignRunner(path, client, settings, on_progress=on_progress)


def _problem_title(code: str | None) -> str:
    """The catalogue's title ("Not authorised"), not its code, for the Problem column."""
    if not code:
        return ""
    from desktop_app.api.catalogue import PROBLEMS

    known = PROBLEMS.get(code)
    return known.title if known is not None else code


def results_text(summary: Summary) -> str:
    """What the call log says about the accepted rows, once it has said anything (API token)."""
    if not (summary.answered or summary.missed or summary.no_result):
        return ""
    waiting = summary.accepted - summary.answered - summary.missed - summary.no_result
    return (
        f"\nFrom the call log: answered {summary.answered} · missed {summary.missed} · "
        f"no result {summary.no_result}" + (f" · waiting {waiting}" if waiting > 0 else "")
    )


def sidebar_text(summary: Summary) -> str:
    """A past campaign in the sidebar: its list, where it stands, when it was made (local time)."""
    name = Path(summary.source).name if summary.source else "pasted list"
    words = STATUS_WORDS.get(summary.status, summary.status)
    when = local_time(summary.created_at, seconds=False)
    return f"{name}\n{words} · {summary.accepted}/{summary.valid} accepted\n{when}"


def local_time(stamp: str, *, seconds: bool = True) -> str:
    """An ISO UTC stamp as this computer's local time with its zone: '2026-12-06 22:02:05 IST'."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def _import_words(error: str) -> str:
    """A worker's failure to read or check a list, as a person reads it: our own message as it
    is, anything unexpected without Python's class names."""
    last = _last_line(error)
    name, _, message = last.partition(": ")
    if name.endswith(("ListImportError", "JournalError", "StorageError")) and message:
        return message
    return "The list could not be read. Save it as CSV or Excel (.xlsx) and try again (details in the log)."


def _last_line(error: str) -> str:
    lines = [line for line in error.strip().splitlines() if line.strip()]
    return lines[-1] if lines else error
