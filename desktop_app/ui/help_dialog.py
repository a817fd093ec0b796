"""F1: OpDial's help — the ways to call, every problem with its next step, the shortcuts, the folders.

Nothing here is written twice: the modes come from the dial form's hints, the problems from the
error catalogue (``api.catalogue.PROBLEMS`` and ``VARIANTS``), the shortcuts from the window that
opens the help, the folders from ``config``. The page is plain HTML in a ``QTextBrowser``; the
filter box narrows it to the rows that mention what was typed.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_ID, APP_NAME, config
from desktop_app.api.catalogue import PROBLEMS, VARIANTS
from desktop_app.api.models import CallKind
from desktop_app.ui import icons, theme
from desktop_app.ui.call_form import MODE_HINTS, MODE_SHORTCUTS
from desktop_app.ui.widgets import label_widget

CAMPAIGNS_SHORTCUT = "Ctrl+K"


@dataclass(frozen=True)
class Section:
    """One heading of the help: a sentence or two, then a table (first column in bold)."""

    anchor: str
    title: str
    intro: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    layout: str = "table"  # or "problems": one block per row instead of a table

    def matching(self, query: str) -> Section | None:
        """This section with only the rows that mention ``query`` (all of them if its heading does)."""
        needle = query.strip().casefold()
        if not needle or needle in f"{self.title} {self.intro}".casefold():
            return self
        rows = tuple(row for row in self.rows if needle in " ".join(row).casefold())
        return replace(self, rows=rows) if rows else None


def modes_section() -> Section:
    rows = [(kind.label, MODE_SHORTCUTS[kind], MODE_HINTS[kind]) for kind in CallKind]
    rows.append(
        (
            "IVR campaign",
            CAMPAIGNS_SHORTCUT,
            "Campaigns tab: import a CSV or XLSX file or a pasted list, check it, then OpDial places an IVR "
            "call to each number with pacing and a calling window. Every number keeps its reference ID, "
            "so resuming after a crash never calls anyone twice.",
        )
    )
    return Section(
        "modes",
        "Ways to call",
        "“Accepted” means MyOperator queued the call, not that anyone answered. File ▸ Start demo runs "
        "everything against the built-in sandbox: no real calls; Help ▸ Demo numbers lists the numbers "
        "that make it fail on purpose.",
        ("Mode", "Keys", "What happens"),
        tuple(rows),
    )


def problems_section() -> Section:
    """One row per catalogue code: title, explanation, action, code, then its variants' pairs."""
    rows: list[tuple[str, ...]] = []
    for code, text in PROBLEMS.items():
        row = [text.title, text.explanation, text.action, code]
        for key, words in VARIANTS.items():
            if key.split(".", 1)[0] == code:  # a more specific cause of the same problem
                row += [words.get("explanation", text.explanation), words.get("action", text.action)]
        rows.append(tuple(row))
    return Section(
        "problems",
        "When something goes wrong",
        "Each problem OpDial can report, with what to do next. The code in grey is what "
        "opdial-cli --json and history exports show.",
        ("Problem", "What it means", "What to do", "Code"),
        tuple(rows),
        layout="problems",
    )


def shortcuts_section(shortcuts: Iterable[tuple[str, str]]) -> Section:
    return Section(
        "shortcuts",
        "Keyboard shortcuts",
        "The focus starts in the customer number.",
        ("Keys", "Action"),
        tuple((keys, what) for keys, what in shortcuts),
    )


def data_section() -> Section:
    rows = (
        ("Settings", f"{config.settings_path()} (profiles without secrets, preferences)"),
        ("History and campaigns", f"{config.data_dir()} (SQLite)"),
        ("Log", f"{config.log_dir()} (rotating; secrets masked)"),
        ("x-api-key and secret token", f"the OS keyring only, service {APP_ID}"),
    )
    return Section(
        "data",
        "Where data lives",
        f"{config.DATA_DIR_ENV} moves settings, data and logs under one folder. Help ▸ About OpDial "
        "can copy these paths.",
        ("What", "Where"),
        rows,
    )


def parse_shortcuts(text: str) -> list[tuple[str, str]]:
    """The window's ``shortcuts_text()``: one ``keys<TAB>what`` per line."""
    pairs = []
    for line in text.splitlines():
        keys, _, what = line.partition("\t")
        if keys.strip():
            pairs.append((keys.strip(), what.strip()))
    return pairs


def help_sections(shortcuts: Iterable[tuple[str, str]]) -> list[Section]:
    return [modes_section(), problems_section(), shortcuts_section(shortcuts), data_section()]


def _css(colors: theme.Colors) -> str:
    return (
        f"body {{ color: {colors.text}; }}"
        f"h2 {{ color: {colors.text}; font-size: large; margin-top: 16px; margin-bottom: 2px; }}"
        f"p.intro, p.none {{ color: {colors.muted}; margin-top: 0; margin-bottom: 6px; }}"
        f"th {{ background-color: {colors.alt_base}; color: {colors.text}; text-align: left; }}"
        "td, th { padding: 3px 10px 3px 0; vertical-align: top; }"
        "td.first { font-weight: bold; }"
        f"span.code {{ color: {colors.muted}; font-family: monospace; }}"
        "p.problem { margin-top: 8px; margin-bottom: 0; }"
        f"a {{ color: {colors.accent}; }}"
        "p.cause { margin-top: 2px; margin-bottom: 0; margin-left: 18px; }"
    )


def _table(section: Section) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in section.columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"first" if i == 0 else ""}">{esc(c)}</td>' for i, c in enumerate(row))
        + "</tr>"
        for row in section.rows
    )
    return f'<table width="100%" cellspacing="0"><tr>{head}</tr>{body}</table>'


def _problems(section: Section) -> str:
    esc = html.escape
    parts = []
    for title, explanation, action, code, *variants in section.rows:
        parts.append(
            f'<p class="problem"><b>{esc(title)}</b> &nbsp;<span class="code">{esc(code)}</span><br>'
            f"{esc(explanation)}<br><b>What to do:</b> {esc(action)}</p>"
        )
        for cause, cause_action in zip(variants[::2], variants[1::2], strict=True):
            step = "" if cause_action == action else f" <b>What to do:</b> {esc(cause_action)}"
            parts.append(f'<p class="cause">• {esc(cause)}{step}</p>')
    return "".join(parts)


def render_html(sections: Sequence[Section], query: str = "") -> str:
    """The help page, with only what matches ``query``."""
    shown = [s for s in (section.matching(query) for section in sections) if s is not None]
    parts: list[str] = []
    if not shown:
        parts.append(f'<p class="none">No help mentions “{html.escape(query.strip())}”.</p>')
    elif len(shown) > 1:  # contents, linked to the headings below
        links = " · ".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in shown)
        parts.append(f'<p class="toc">{links}</p>')
    for section in shown:
        parts.append(f'<h2><a name="{section.anchor}"></a>{html.escape(section.title)}</h2>')
        parts.append(f'<p class="intro">{html.escape(section.intro)}</p>')
        parts.append(_problems(section) if section.layout == "problems" else _table(section))
    return "<html><body>" + "".join(parts) + "</body></html>"


class HelpDialog(QDialog):
    def __init__(self, shortcuts: Iterable[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} help")
        self.setWindowIcon(icons.app_icon())
        self.resize(_fitting_size(parent))
        self.sections = help_sections(shortcuts)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Search, e.g. proxy or Ctrl+K")
        self.filter.setClearButtonEnabled(True)
        self.filter.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        label_widget(self.filter, "Search help", "Show only the parts of the help that mention this")
        self.filter.textChanged.connect(self._render)
        filter_label = QLabel("&Search:")
        filter_label.setBuddy(self.filter)

        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # only links within the page: never navigate away from it
        self.browser.anchorClicked.connect(lambda url: self.browser.scrollToAnchor(url.fragment()))
        label_widget(self.browser, "Help text", "Ways to call, problems and next steps, shortcuts, folders")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setIcon(icons.icon("cancel"))
        label_widget(close, "Close help", "Close the help (Esc)")
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(filter_label)
        row.addWidget(self.filter, 1)
        layout.addLayout(row)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)

        theme.notifier().changed.connect(self._render)
        self._render()
        self.filter.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_shortcuts(self, shortcuts: Iterable[tuple[str, str]]) -> None:
        self.sections = help_sections(shortcuts)
        self._render()

    def _render(self) -> None:
        scroll = self.browser.verticalScrollBar().value()
        self.browser.document().setDefaultStyleSheet(_css(theme.colors()))
        self.browser.setHtml(render_html(self.sections, self.filter.text()))
        self.browser.verticalScrollBar().setValue(scroll if not self.filter.text() else 0)

    def plain_text(self) -> str:
        return self.browser.toPlainText()


def _fitting_size(parent: QWidget | None) -> QSize:
    """820×620, or less on a small screen (e.g. 1366×768 at 200% leaves 683×384 to work with)."""
    screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(820, 620)
    room = screen.availableGeometry()
    return QSize(min(820, int(room.width() * 0.9)), min(620, int(room.height() * 0.9)))


def show_help(parent: QWidget, shortcuts_text: str) -> HelpDialog:
    """Open (or raise) the help beside ``parent``; it stays open while you work."""
    shortcuts = parse_shortcuts(shortcuts_text)
    dialog = parent.findChild(HelpDialog)
    if dialog is None:
        dialog = HelpDialog(shortcuts, parent)
    else:
        dialog.set_shortcuts(shortcuts)  # a part of the window may have added one since
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
