"""What happened to the last call, in words an agent can act on, plus the details for support."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAction, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.api.curl import render_curl, request_preview
from desktop_app.api.models import Account, CallKind, Outcome, queued_words
from desktop_app.api.redaction import Redactor
from desktop_app.ui import icons, theme
from desktop_app.ui.widgets import expander_button, label_widget, message_box, wrapped_label

RECENT_LIMIT = 10
NOT_ANSWERED_NOTE = "Accepted means MyOperator queued the call; OpDial cannot see whether it is answered."
WATCHED_NOTE = "MyOperator queued the call; the call log shows how it went once it ends."


def accepted_headline(outcome: Outcome, agent_name: str | None = None) -> str:
    """The accepted wording: what will happen next, never a claim that anyone answered."""
    return queued_words(outcome.request, agent_name)


@dataclass
class ShownResult:
    """One result as the panel shows it (kept for the recent list)."""

    outcome: Outcome
    account: Account | None
    profile_name: str
    agent_name: str | None = None  # a person's name for the agent, when known (demo)
    when: float = field(default_factory=time.time)
    # After "queued": what the call log says (a call_results.CallResult), or why nothing will come.
    call_result: Any = None
    result_note: str = ""  # e.g. "Add the API token in Profiles to see agents and call results."
    watched: bool = False  # results are being looked for (a token is set)

    @property
    def reference_id(self) -> str:
        return self.outcome.request.reference_id

    def result_words(self) -> str:
        """The line under an accepted call: its result, that it is awaited, or what is needed."""
        if not self.outcome.accepted:
            return ""
        if self.call_result is not None and self.call_result.result != "pending":
            return f"Result: {self.call_result.words()}"
        if self.watched:
            return "Result: waiting for the call log…"
        return self.result_note

    @property
    def headline(self) -> str:
        if self.outcome.accepted:
            return accepted_headline(self.outcome, self.agent_name)
        problem = self.outcome.problem
        return problem.title if problem else "The call did not go through"

    def body(self) -> str:
        outcome = self.outcome
        if outcome.accepted:
            extra = (
                " (a retry confirmed the first attempt got through)" if outcome.confirmed_by_duplicate else ""
            )
            return f"{WATCHED_NOTE if self.watched else NOT_ANSWERED_NOTE}{extra}"
        problem = outcome.problem
        if problem is None:
            return "No explanation is available; see Details."
        said_already = "not known" in problem.explanation or "unknown" in problem.explanation
        unknown = (
            "\n\nThe outcome is unknown: the request may have reached MyOperator. Check before calling again."
            if outcome.status == "failed" and not said_already
            else ""
        )
        return f"{problem.explanation}\n\nWhat to do: {problem.action}{unknown}"

    def ids(self) -> str:
        parts = []
        if self.outcome.unique_id:
            parts.append(f"Unique ID {self.outcome.unique_id}")
        parts.append(f"Reference ID {self.outcome.reference_id}")
        if self.outcome.problem:
            parts.append(f"code {self.outcome.problem.code}")
        if self.outcome.http_status:
            parts.append(f"HTTP {self.outcome.http_status}")
        return " · ".join(parts)

    def request_text(self) -> str:
        """The request as sent, secrets masked."""
        if self.account is None:
            return "(the account is no longer available)"
        preview = request_preview(self.outcome.request, self.account)
        lines = [f"{preview['method']} {preview['url']}"]
        lines += [f"{k}: {v}" for k, v in preview["headers"].items()]
        return "\n".join(lines) + "\n\n" + json.dumps(preview["body"], indent=2)

    def curl(self, *, reveal: bool = False) -> str:
        if self.account is None:
            return ""
        return render_curl(self.outcome.request, self.account, reveal=reveal)

    def details(self) -> str:
        outcome = self.outcome
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.when))
        text = (
            f"{self.headline}\n{self.body()}\n\n"
            f"When: {stamp}\nProfile: {self.profile_name}\nMode: {outcome.request.kind.label}\n"
            f"Customer: {outcome.request.to}\nStatus: {outcome.status}\n{self.ids()}\n"
            f"Attempts: {outcome.attempts}, {outcome.elapsed_s:.2f} s\n\n"
            f"Request (secrets masked):\n{self.request_text()}\n\n"
            f"Response:\n{outcome.raw_response or '(no response body)'}"
        )
        return Redactor(self.account.secrets if self.account else ()).text(text)

    def list_text(self) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(self.when))
        what = "Queued" if self.outcome.accepted else self.headline
        found = self.call_result
        if found is not None and found.known:
            what = found.short_words()
        return f"{stamp}  {self.outcome.request.to} · {self.outcome.request.kind.label} · {what}"


class StatusPanel(QWidget):
    """The result card, its details, copy buttons and the recent results (newest first)."""

    result_chosen = Signal(object)  # ShownResult picked from the recent list
    recording_requested = Signal(str)  # a recording's file name: the window fetches a fresh link
    retry_requested = Signal(object)  # ShownResult whose outcome is unknown: send it again, same reference_id
    announced = Signal(str)  # what screen readers were told when a result arrived

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current: ShownResult | None = None
        self.recent: list[ShownResult] = []
        self._state = "idle"
        self._build()
        self.show_idle()

    def _build(self) -> None:
        self.card = QFrame()
        self.card.setObjectName("statusCard")
        self.card.setAccessibleName("Call status")
        self.card.setToolTip("The result of the last call")
        self.icon_label = QLabel()
        self.icon_label.setFixedSize(28, 28)
        label_widget(self.icon_label, "Status icon", "Whether the last call was queued or failed")
        self.headline = wrapped_label(
            name="Status headline", tooltip="What happened", selectable=True, whole=True
        )
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        font = self.headline.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.headline.setFont(font)
        self.body = wrapped_label(
            name="Status explanation", tooltip="Why, and what to do next", selectable=True, whole=True
        )
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.ids = wrapped_label(
            name="Call identifiers",
            tooltip="MyOperator's Unique ID and OpDial's Reference ID (quote them to support)",
            selectable=True,
        )
        self.ids.setTextFormat(Qt.TextFormat.PlainText)
        top = QHBoxLayout()
        top.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.headline, 1)
        card_layout = QVBoxLayout(self.card)
        card_layout.addLayout(top)
        card_layout.addWidget(self.body)
        self.result_line = wrapped_label(
            name="Call result",
            tooltip="What the call log says happened once it was queued",
            selectable=True,
            whole=True,
        )
        self.result_line.setTextFormat(Qt.TextFormat.PlainText)
        self.result_line.setVisible(False)
        self.recording_button = QPushButton("Open recording")
        label_widget(
            self.recording_button, "Open recording", "The call's recording, in the browser (a fresh link)"
        )
        self.recording_button.setVisible(False)
        self.recording_button.clicked.connect(self._ask_recording)
        result_row = QHBoxLayout()
        result_row.addWidget(self.result_line, 1)
        result_row.addWidget(self.recording_button, 0, Qt.AlignmentFlag.AlignTop)
        card_layout.addLayout(result_row)
        card_layout.addWidget(self.ids)
        self.storage_note = wrapped_label(
            name="History warning", tooltip="History is not being saved", selectable=True
        )
        self.storage_note.setTextFormat(Qt.TextFormat.PlainText)
        self.storage_note.setObjectName("storageNote")
        self.storage_note.setVisible(False)

        self.details_toggle = expander_button(
            "Details", name="Details", tooltip="Show the request (secrets masked) and MyOperator's raw answer"
        )
        self.copy_curl_button = QPushButton("Copy as curl")
        self.copy_curl_button.setIcon(icons.icon("terminal"))
        label_widget(
            self.copy_curl_button,
            "Copy as curl",
            "Copy this request as a curl command, secrets masked, to reproduce it or send to support",
        )
        self.copy_details_button = QPushButton("Copy details")
        self.copy_details_button.setIcon(icons.icon("copy"))
        label_widget(
            self.copy_details_button, "Copy details", "Copy the explanation, ids, request and answer as text"
        )
        self.retry_button = QPushButton("Try again safely")
        label_widget(
            self.retry_button,
            "Try again safely",
            "Send the same request again with the same Reference ID: MyOperator will not place it twice",
        )
        self.retry_button.setVisible(False)
        self.retry_button.clicked.connect(lambda: self.current and self.retry_requested.emit(self.current))
        self.copy_curl_button.clicked.connect(self.copy_curl)
        # Real secrets only on explicit request: a right-click action that asks first.
        reveal = QAction("Copy as curl with the real secrets…", self.copy_curl_button)
        reveal.triggered.connect(self.copy_curl_with_secrets)
        self.copy_curl_button.addAction(reveal)
        self.copy_curl_button.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.copy_details_button.clicked.connect(self.copy_details)
        actions = QHBoxLayout()
        actions.addWidget(self.details_toggle)
        actions.addStretch(1)
        actions.addWidget(self.retry_button)
        actions.addWidget(self.copy_curl_button)
        actions.addWidget(self.copy_details_button)

        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMinimumHeight(140)
        label_widget(self.details, "Call details", "The request as sent (secrets masked) and the raw answer")
        self.details.setVisible(False)
        self.details_toggle.toggled.connect(self.details.setVisible)

        recent_label = QLabel("Recent results")
        label_widget(recent_label, "Recent results heading", "The last calls of this session, newest first")
        self.recent_list = QListWidget()
        self.recent_list.setMinimumHeight(64)
        label_widget(
            self.recent_list,
            "Recent results",
            "The last calls of this session, newest first; select one to see it",
        )
        self.recent_list.currentRowChanged.connect(self._show_recent)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.card)
        layout.addWidget(self.storage_note)
        layout.addLayout(actions)
        layout.addWidget(self.details, 1)
        layout.addWidget(recent_label)
        layout.addWidget(self.recent_list, 1)

    # -- states -----------------------------------------------------------------------------

    def _paint(self, state: str) -> None:
        self._state = state
        c = theme.colors()
        bg, fg, icon_name = {
            "idle": (c.alt_base, c.text, "call"),
            "busy": (c.alt_base, c.text, "history"),
            "accepted": (c.success_bg, c.success_fg, "success"),
            "rejected": (c.error_bg, c.error_fg, "error"),
            "failed": (c.warning_bg, c.warning_fg, "warning"),
        }[state]
        self.card.setStyleSheet(
            f"QFrame#statusCard {{ background: {bg}; border: 1px solid {c.border}; border-radius: 8px; }}"
            f" QFrame#statusCard QLabel {{ color: {fg}; background: transparent; }}"
        )
        self.icon_label.setPixmap(icons.icon(icon_name, fg).pixmap(24, 24))

    def apply_theme(self) -> None:
        self._paint(self._state)
        c = theme.colors()
        self.storage_note.setStyleSheet(
            f"QLabel#storageNote {{ background: {c.warning_bg}; color: {c.warning_fg};"
            f" border: 1px solid {c.warning_fg}; border-radius: 6px; padding: 6px; font-weight: bold; }}"
        )
        # The safe next step after an unknown outcome: the button an agent's eye should land on.
        self.retry_button.setIcon(icons.icon("redial", "#10151c" if c.dark else "#ffffff"))
        self.retry_button.setStyleSheet(
            f"QPushButton {{ background: {c.accent}; color: {'#10151c' if c.dark else '#ffffff'};"
            " font-weight: bold; border-radius: 4px; padding: 4px 12px; }"
        )
        self.copy_curl_button.setIcon(icons.icon("terminal"))
        self.copy_details_button.setIcon(icons.icon("copy"))

    def _show_call_result(self) -> None:
        current = self.current
        words = current.result_words() if current is not None else ""
        self.result_line.setText(words)
        self.result_line.setVisible(bool(words))
        found = current.call_result if current is not None else None
        self.recording_button.setVisible(bool(found is not None and found.recording))

    def _ask_recording(self) -> None:
        found = self.current.call_result if self.current is not None else None
        if found is not None and found.recording:
            self.recording_requested.emit(found.recording)

    def update_call_results(self, results: dict[str, Any]) -> None:
        """Results from the call log: into the remembered calls, the list and the card, in place."""
        changed = False
        for shown in self.recent:
            found = results.get(shown.reference_id)
            if found is not None:
                shown.call_result = found
                changed = True
        if changed:
            self._refill_list()
            self._show_call_result()
            if self.current is not None and self.current.reference_id in results:
                self.body.setText(self.current.body())

    def set_result_watching(self, watched: bool, note: str) -> None:
        """Whether results are looked for (a token is set), or the note saying what is needed."""
        for shown in self.recent:
            if shown.call_result is None:
                shown.watched, shown.result_note = watched, note
        if self.current is not None:
            self.body.setText(self.current.body())
        self._show_call_result()

    def _set_actions(self, enabled: bool) -> None:
        for widget in (self.details_toggle, self.copy_curl_button, self.copy_details_button):
            widget.setEnabled(enabled)
        if not enabled:
            self.retry_button.setVisible(False)

    def show_idle(self, text: str = "Ready. Type a number and press Enter.") -> None:
        self.current = None
        self._paint("idle")
        self.headline.setText(text)
        self.body.setText("")
        self.body.setVisible(False)
        self.ids.setText("")
        self.ids.setVisible(False)
        self.details.setPlainText("")
        self._set_actions(False)
        self._show_call_result()

    def show_busy(self, to: str, kind: CallKind) -> None:
        self.current = None
        self._paint("busy")
        self.headline.setText(f"Sending {kind.label.lower()} to {to}…")
        self.body.setText("Waiting for MyOperator. You can keep working; Esc cancels.")
        self.body.setVisible(True)
        self.ids.setVisible(False)
        self._set_actions(False)
        self._show_call_result()

    def show_cancelling(self) -> None:
        self.body.setText(
            "Cancelling… OpDial stops waiting and sends no retry. A request already sent may still "
            "be queued by MyOperator: then the outcome shows as unknown, with Try again safely."
        )

    def show_result(self, result: ShownResult, *, remember: bool = True) -> None:
        self.current = result
        self._paint(result.outcome.status if result.outcome.status in ("accepted", "rejected") else "failed")
        self.headline.setText(result.headline)
        self.body.setText(result.body())
        self.body.setVisible(True)
        self.ids.setText(result.ids())
        self.ids.setVisible(True)
        self.details.setPlainText(result.details())
        self._set_actions(True)
        self.copy_curl_button.setEnabled(result.account is not None)
        # Only an unknown outcome is worth re-sending; the same reference_id makes it safe.
        self.retry_button.setVisible(result.outcome.status == "failed" and result.account is not None)
        self._show_call_result()
        if remember:
            self._remember(result)
            self._announce(result)

    def _announce(self, result: ShownResult) -> None:
        """Tell screen readers the result as it arrives; a problem interrupts, a success waits its turn."""
        problem = result.outcome.problem
        message = result.headline + (f". {problem.action}" if problem is not None else "")
        event = QAccessibleAnnouncementEvent(self.headline, message)
        event.setPoliteness(
            QAccessible.AnnouncementPoliteness.Polite
            if result.outcome.accepted
            else QAccessible.AnnouncementPoliteness.Assertive
        )
        QAccessible.updateAccessibility(event)
        self.announced.emit(message)

    def show_storage_problem(self, problem: str | None) -> None:
        """A standing note under the result while history cannot be written (None hides it)."""
        if problem:
            self.storage_note.setText(
                f"⚠ History is not being saved: {problem}.\nThe outcome above is shown here only — "
                "note it before closing OpDial."
            )
        self.storage_note.setVisible(bool(problem))

    @property
    def busy(self) -> bool:
        return self._state == "busy"

    def remember(self, result: ShownResult) -> None:
        """Add a result to the recent list without showing it (a late answer to an older call)."""
        self._remember(result)

    def _remember(self, result: ShownResult) -> None:
        self.recent.insert(0, result)
        del self.recent[RECENT_LIMIT:]
        self._refill_list()

    def _refill_list(self) -> None:
        row = self.recent_list.currentRow()
        self.recent_list.blockSignals(True)
        self.recent_list.clear()
        for shown in self.recent:
            item = QListWidgetItem(shown.list_text())
            item.setToolTip(shown.result_words() or shown.headline)
            item.setIcon(icons.icon("success" if shown.outcome.accepted else "error"))
            self.recent_list.addItem(item)
        if row >= 0:
            self.recent_list.setCurrentRow(row)
        self.recent_list.blockSignals(False)

    def _show_recent(self, row: int) -> None:
        if self.busy:  # while a call runs the card shows it: never an older result
            return
        if 0 <= row < len(self.recent):
            self.show_result(self.recent[row], remember=False)
            self.result_chosen.emit(self.recent[row])

    # -- copy -------------------------------------------------------------------------------

    def copy_curl(self) -> None:
        if self.current is not None:
            QGuiApplication.clipboard().setText(self.current.curl())

    def copy_curl_with_secrets(self) -> None:
        if self.current is None or self.current.account is None:
            return
        box = message_box(
            QMessageBox.Icon.Warning,
            "Copy the real secrets?",
            "The command will contain this profile's x-api-key and secret token in plain text. Anyone "
            "who sees it can place calls on your account.\n\nPaste it only into your own terminal, "
            "never into a chat, e-mail or ticket.",
            self,
        )
        box.setObjectName("revealSecrets")
        box.setStandardButtons(QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
            QGuiApplication.clipboard().setText(self.current.curl(reveal=True))

    def copy_details(self) -> None:
        if self.current is not None:
            QGuiApplication.clipboard().setText(self.current.details())
