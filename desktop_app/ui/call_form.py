"""The dial form: mode, numbers with live checking, optional routing, and the Call button.

The form never talks to the network: it turns what the agent typed into a ``CallRequest`` with
``calls.prepare_call`` and emits ``call_requested``; the window runs the call on a worker.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.api.kinds import CallKind
from desktop_app.numbers_countries import DEFAULT_REGION, country_name
from desktop_app.ui import icons, theme
from desktop_app.ui.widgets import expander_button, label_widget, set_by_name, wrapped_label

if TYPE_CHECKING:
    from desktop_app import numbers
    from desktop_app.api.models import CallRequest

MODE_HINTS = {
    CallKind.USER: "The agent's phone rings first; when they answer, the customer is dialled and connected.",
    CallKind.ANONYMOUS: "Like a user dial, but to any agent number: both numbers are passed to MyOperator "
    "(the account needs anonymous dialling enabled).",
    CallKind.IVR: "The customer is called first and connected to the next free agent of the campaign.",
}
MODE_SHORTCUTS = {CallKind.USER: "Ctrl+1", CallKind.ANONYMOUS: "Ctrl+2", CallKind.IVR: "Ctrl+3"}
CALL_TEXT = "Call"
# The check under a number keeps room for the longest of what it commonly says, so the Call button
# does not move while a number is typed (rarer, longer refusals may still push it down).
RESERVED_CHECK_TEXTS = (
    "Type or paste a number; national numbers are read as United States.",
    "✗ Not a valid number in India: check for a missing or extra digit "
    "(numbers there do not look like this).",
    "✓ India · Fixed line or mobile · sent as +919876543210 · extension 1234567 (not dialled)",
)


def _numbers():
    """``desktop_app.numbers`` (phonenumbers) is loaded with the first number typed, or just after
    the window's first paint, whichever comes first: an empty form does not need it."""
    from desktop_app import numbers

    return numbers


class NumberField(QObject):
    """A line edit that checks the number as it is typed or pasted, and a label saying what it found.

    The two widgets go into the form as separate rows: a wrapping label directly in a
    ``QFormLayout`` gets the height its text needs (nested in a container it would be clipped).
    """

    changed = Signal()
    submitted = Signal()

    def __init__(self, name: str, placeholder: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.default_region = DEFAULT_REGION
        self.result: numbers.ParsedNumber | numbers.NumberError | None = None
        self._previous = ""
        # Set after a call went out: the next focus selects the number, so typing replaces it.
        self.replace_on_focus = False
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        label_widget(self.edit, name, tooltip)
        self.status = wrapped_label(
            name=f"{name} check",
            tooltip=f"What OpDial understood from the {name.lower()}",
            selectable=True,
            reserve=RESERVED_CHECK_TEXTS,
        )
        set_by_name(self.status, "textFormat", "PlainText")
        self.status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        set_by_name(self.status, "alignment", "AlignTop|AlignLeft")
        self.edit.textChanged.connect(self._recheck)
        self.edit.textEdited.connect(self._on_edited)
        self.edit.editingFinished.connect(self.tidy)
        self.edit.returnPressed.connect(self.submitted)
        self.edit.installEventFilter(self)
        self._recheck(self.edit.text())

    # -- public -----------------------------------------------------------------------------

    def text(self) -> str:
        return self.edit.text().strip()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)
        self.tidy()

    def set_region(self, region: str) -> None:
        self.default_region = region or DEFAULT_REGION
        self._recheck(self.edit.text())

    @property
    def parsed(self) -> numbers.ParsedNumber | None:
        if self.result is None:
            return None
        return self.result if isinstance(self.result, _numbers().ParsedNumber) else None

    @property
    def error(self) -> str | None:
        """Why the number cannot be called; None when it is empty or valid."""
        return None if self.result is None or self.parsed is not None else self.result.reason

    def tidy(self) -> None:
        """Show a valid number in its readable international form (what the agent will recognise)."""
        parsed = self.parsed
        if parsed is not None and not parsed.extension and self.edit.text() != parsed.international:
            self.edit.setText(parsed.international)

    def refresh_style(self) -> None:
        self._recheck(self.edit.text())

    # -- internals --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.FocusIn and self.replace_on_focus:
            QTimer.singleShot(0, self.edit.selectAll)  # after the click that gave focus placed the cursor
        return False

    def _on_edited(self, text: str) -> None:
        self.replace_on_focus = False
        grown = len(text) - len(self._previous)
        self._previous = text
        # Reformat after Qt has finished this edit (a setText inside it is lost).
        if grown > 1:  # a paste
            QTimer.singleShot(0, self.tidy)
        elif grown == 1:
            QTimer.singleShot(0, self._format_typing)

    def _format_typing(self) -> None:
        """Group digits the local way while typing ("98765 43210"), only when typing at the end."""
        text = self.edit.text()
        if self.edit.cursorPosition() != len(text) or not _TYPED_NUMBER.fullmatch(text):
            return
        formatted = _numbers().format_as_you_type(text, self.default_region)
        if formatted and formatted != text and _digits(formatted) == _digits(text):
            self._previous = formatted
            self.edit.setText(formatted)

    def _recheck(self, text: str) -> None:
        colors = theme.colors()
        if not text.strip():
            self.result = None
            self.status.setText(
                "Type or paste a number; national numbers are read as "
                f"{country_name(self.default_region)}."
            )
            self.status.setStyleSheet(f"color: {colors.muted};")
        else:
            self.result = _numbers().check(text, self.default_region)
            if self.parsed is not None:
                self.status.setText(_describe(self.parsed))
                self.status.setStyleSheet(f"color: {colors.success_fg};")
            else:
                self.status.setText(f"✗ {self.result.reason}")
                self.status.setStyleSheet(f"color: {colors.error_fg};")
        self.edit.setAccessibleDescription(self.status.text())
        self.changed.emit()


_TYPED_NUMBER = re.compile(r"\+?[\d ()\-]*\d")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit() or c == "+")


def _describe(parsed: numbers.ParsedNumber) -> str:
    ext = f" · extension {parsed.extension} (not dialled)" if parsed.extension else ""
    note = f" · {parsed.note}" if parsed.note else ""  # e.g. "Letters read as digits: FLOWERS → 3569377"
    return f"✓ {parsed.country_name} · {parsed.type_label} · sent as {parsed.e164}{ext}{note}"


class CallForm(QWidget):
    """Emits ``call_requested`` with a ready ``CallRequest`` when the agent presses Call."""

    call_requested = Signal(object)  # CallRequest
    cancel_requested = Signal()
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = CallKind.USER
        self.default_region = DEFAULT_REGION
        self.busy = False
        self.blocked_reason: str | None = "No profile selected."
        self.blocked_waiting = False  # the reason is a wait (keyring), not a problem to fix
        self.problem: str | None = None
        self._busy_text = ""
        self._busy_clock = QElapsedTimer()
        self._busy_timer = QTimer(self)
        self._busy_timer.setInterval(1000)
        self._busy_timer.timeout.connect(self._tick)
        self._build()
        self.set_kind(CallKind.USER)

    # -- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.mode_buttons: dict[CallKind, QPushButton] = {}
        self.mode_group = QButtonGroup(self)
        self.mode_group.setExclusive(True)
        modes = QHBoxLayout()
        modes.setSpacing(0)
        for kind in CallKind:
            button = QPushButton(kind.label)
            button.setCheckable(True)
            button.setMinimumHeight(32)
            label_widget(button, f"{kind.label} mode", f"{MODE_HINTS[kind]} ({MODE_SHORTCUTS[kind]})")
            button.clicked.connect(lambda _=False, k=kind: self.set_kind(k))
            self.mode_group.addButton(button)
            self.mode_buttons[kind] = button
            modes.addWidget(button)
        self.mode_hint = wrapped_label(name="Mode explanation", tooltip="What happens in this mode")

        self.customer = NumberField(
            "Customer number",
            "e.g. 98765 43210 or +91 98765 43210",
            "The number to call. Paste anything: spaces, dashes, (0), 0091, tel: links all work. "
            "Enter places the call.",
        )
        self.agent_user_id = QLineEdit()
        self.agent_user_id.setPlaceholderText("type a name to pick the agent, or a User ID")
        label_widget(
            self.agent_user_id,
            "Agent User ID",
            "The MyOperator User ID of the agent whose phone rings first (prefilled from the profile)",
        )
        self.agent_number = NumberField(
            "Agent number",
            "the agent's phone, e.g. +91 98765 00000",
            "The agent's own phone number: it rings first, then the customer is dialled",
        )
        self.agent_who = wrapped_label(name="Agent", tooltip="Whose User ID this is (the company's users)")
        set_by_name(self.agent_who, "textFormat", "PlainText")
        self.agents: list = []  # api.logs.Agent, when the profile's API token lists them
        self.agents_note = ""  # what is needed to pick agents by name (e.g. the API token)
        self.agent_user_id.textChanged.connect(self._show_who)
        self.field_error = wrapped_label(name="Form problem", tooltip="What must be fixed before calling")

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.addRow(self._row_label("Customer &number", self.customer.edit), self.customer.edit)
        self.form.addRow("", self.customer.status)
        self.form.addRow(self._row_label("Agent &User ID", self.agent_user_id), self.agent_user_id)
        self.form.addRow("", self.agent_who)
        self.form.addRow(self._row_label("&Agent number", self.agent_number.edit), self.agent_number.edit)
        self.form.addRow("", self.agent_number.status)

        self.routing_toggle = expander_button(
            "Routing (optional)",
            name="Routing section",
            tooltip="Show Caller ID, region, group and a maximum duration for dedicated-number routing",
        )
        self.routing_box = QFrame()
        routing = QFormLayout(self.routing_box)
        routing.setContentsMargins(18, 0, 0, 0)
        self.caller_id = self._line("Caller ID", "Outbound Caller ID (DID) to show, as MyOperator knows it")
        self.region = self._line("Region", "Dedicated-number region, passed to MyOperator as typed")
        self.group = self._line("Group", "Group within the region, passed to MyOperator as typed")
        self.max_duration = QSpinBox()
        self.max_duration.setRange(0, 5400)
        self.max_duration.setSpecialValueText("no limit")
        self.max_duration.setSuffix(" s")
        label_widget(self.max_duration, "Maximum call duration", "Cut the call after this many seconds")
        routing.addRow(self._row_label("Caller ID", self.caller_id), self.caller_id)
        routing.addRow(self._row_label("Region", self.region), self.region)
        routing.addRow(self._row_label("Group", self.group), self.group)
        routing.addRow(self._row_label("Max duration", self.max_duration), self.max_duration)
        self.routing_box.setVisible(False)
        self.routing_toggle.toggled.connect(self.routing_box.setVisible)

        self.call_button = QPushButton(CALL_TEXT)
        self.call_button.setIcon(icons.icon("call", "#ffffff"))
        self.call_button.setMinimumHeight(44)
        self.call_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        label_widget(self.call_button, "Call", "Place the call (Enter in the number field, or Ctrl+Return)")
        self.call_button.clicked.connect(self.submit)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setIcon(icons.icon("cancel"))
        self.cancel_button.setMinimumHeight(44)
        label_widget(self.cancel_button, "Cancel call", "Stop waiting for this call (Esc)")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.cancel_button.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.call_button, 1)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(modes)
        layout.addWidget(self.mode_hint)
        layout.addSpacing(6)
        layout.addLayout(self.form)
        layout.addWidget(self.routing_toggle)  # kept at its own width: see expander_button
        layout.addWidget(self.routing_box)
        layout.addLayout(buttons)
        # Below the buttons: a problem appearing or going away never moves Call under the pointer.
        layout.addWidget(self.field_error)
        layout.addStretch(1)

        for signal in (
            self.customer.changed,
            self.agent_number.changed,
            self.agent_user_id.textChanged,
            self.caller_id.textChanged,
            self.max_duration.valueChanged,
        ):
            signal.connect(self.revalidate)
        self.customer.submitted.connect(self.submit)
        self.agent_number.submitted.connect(self.submit)
        self.agent_user_id.returnPressed.connect(self.submit)
        self.apply_theme()

    @staticmethod
    def _row_label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        label_widget(label, text.replace("&", "") + " label", buddy.toolTip())
        return label

    @staticmethod
    def _line(name: str, tooltip: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setClearButtonEnabled(True)
        edit.setPlaceholderText("from the profile; leave empty if unsure")
        label_widget(edit, name, tooltip)
        return edit

    def apply_theme(self) -> None:
        colors = theme.colors()
        self.call_button.setStyleSheet(
            f"QPushButton {{ background: {colors.accent}; color: {'#10151c' if colors.dark else '#ffffff'};"
            " font-weight: bold; font-size: 15px; border-radius: 6px; padding: 6px 18px; }"
            f" QPushButton:disabled {{ background: {colors.alt_base}; color: {colors.muted};"
            f" border: 1px solid {colors.border}; }}"  # still 4.5:1: "Call" stays readable
        )
        self.call_button.setIcon(icons.icon("call", "#10151c" if colors.dark else "#ffffff"))
        self.cancel_button.setIcon(icons.icon("cancel"))
        self.mode_hint.setStyleSheet(f"color: {colors.muted};")
        for button in self.mode_buttons.values():
            button.setStyleSheet(
                f"QPushButton {{ padding: 4px 12px; }}"
                f" QPushButton:checked {{ background: {colors.accent}; font-weight: bold;"
                f" color: {'#10151c' if colors.dark else '#ffffff'}; border: 1px solid {colors.accent}; }}"
            )
        self._style_field_error()
        self.customer.refresh_style()
        self.agent_number.refresh_style()

    # -- state ------------------------------------------------------------------------------

    def set_kind(self, kind: CallKind) -> None:
        self.kind = kind
        self.mode_buttons[kind].setChecked(True)
        self.mode_hint.setText(MODE_HINTS[kind])
        self._set_row_visible(self.agent_user_id, kind is CallKind.USER)
        self._set_row_visible(self.agent_who, kind is CallKind.USER)
        self._set_row_visible(self.agent_number.edit, kind is CallKind.ANONYMOUS)
        self._set_row_visible(self.agent_number.status, kind is CallKind.ANONYMOUS)
        self.revalidate()

    def _set_row_visible(self, field: QWidget, visible: bool) -> None:
        self.form.setRowVisible(field, visible)

    def set_agents(self, agents: list, note: str = "") -> None:
        """The company's users for the picker (typing a name lists them), or why there are none."""
        from desktop_app.ui.agent_picker import AgentCompleter

        completer = self.agent_user_id.completer()
        if not isinstance(completer, AgentCompleter):
            completer = AgentCompleter(self.agent_user_id)
        completer.set_agents(agents)
        self.agents, self.agents_note = list(agents), note
        self._show_who(self.agent_user_id.text())

    def _show_who(self, text: str) -> None:
        if not self.agents:
            self.agent_who.setText(self.agents_note)
            return
        from desktop_app.ui.agent_picker import who

        name = who(self.agents, text)
        if name:
            shown = f"✓ {name}"
        elif re.fullmatch(r"[0-9a-fA-F]+", text.strip()):
            shown = "Not one of this company's users: check the User ID, or type a name to pick one."
        elif text.strip():
            shown = "Pick the agent from the list (↓, then Enter)."
        else:
            shown = f"Type a name, extension or number to pick one of {len(self.agents)} users."
        self.agent_who.setText(shown)

    def set_profile_defaults(
        self, *, region: str, user_id: str, caller_id: str = "", routing_region: str = "", group: str = ""
    ) -> None:
        """Prefill from the chosen profile (User ID and routing), and read numbers in its region."""
        self.default_region = region or DEFAULT_REGION
        self.customer.set_region(self.default_region)
        self.agent_number.set_region(self.default_region)
        self.agent_user_id.setText(user_id)
        self.caller_id.setText(caller_id)
        self.region.setText(routing_region)
        self.group.setText(group)
        if caller_id or routing_region or group:
            self.routing_toggle.setChecked(True)
        self.revalidate()

    def set_blocked(self, reason: str | None, *, waiting: bool = False) -> None:
        """Disable Call for a reason outside the form: no usable profile, or (``waiting``) something
        on its way, such as the keyring's answer, said in a calm colour rather than as an error."""
        self.blocked_reason = reason
        self.blocked_waiting = waiting and reason is not None
        self._style_field_error()
        self.revalidate()

    def _style_field_error(self) -> None:
        colors = theme.colors()
        waiting = self.blocked_waiting
        self.field_error.setStyleSheet(f"color: {colors.muted if waiting else colors.error_fg};")

    def set_busy(self, busy: bool, text: str = "Calling…") -> None:
        """Show progress on the Call button: "Calling… 3 s" while a call is in flight."""
        if busy and (not self.busy or text != self._busy_text):  # a new stage counts from 0 s
            self._busy_clock.start()
            self._busy_timer.start()
        elif not busy:
            self._busy_timer.stop()
        self.busy = busy
        self._busy_text = text
        self.call_button.setText(text if busy else CALL_TEXT)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        self.revalidate()

    def _tick(self) -> None:
        seconds = self._busy_clock.elapsed() // 1000
        if self.busy and seconds >= 1:
            self.call_button.setText(f"{self._busy_text} {seconds} s")

    def clear_numbers(self) -> None:
        self.customer.set_text("")

    # -- validation and submit --------------------------------------------------------------

    def build_request(self) -> CallRequest:
        """The request for what is in the form; raises ``calls.InputError`` if something is wrong."""
        from desktop_app import calls

        return calls.prepare_call(
            self.kind,
            self.customer.text(),
            default_region=self.default_region,
            user_id=self.agent_user_id.text().strip() or None,
            agent=self.agent_number.text() or None,
            caller_id=self.caller_id.text().strip() or None,
            region=self.region.text().strip() or None,
            group=self.group.text().strip() or None,
            max_call_duration=self.max_duration.value() or None,
        )

    def validation_problem(self) -> str | None:
        """Why Call is disabled right now, or None when the form is ready."""
        if self.busy:
            return None
        if self.blocked_reason:
            return self.blocked_reason
        if not self.customer.text():
            return "Enter the customer's number."
        if self.customer.error:
            return f"Customer number: {self.customer.error}"
        if self.kind is CallKind.USER and not self.agent_user_id.text().strip():
            return "Enter the agent's MyOperator User ID (or save it in the profile)."
        if self.kind is CallKind.ANONYMOUS:
            if not self.agent_number.text():
                return "Enter the agent's phone number."
            if self.agent_number.error:
                return f"Agent number: {self.agent_number.error}"
        try:
            self.build_request()
        except ValueError as exc:  # calls.InputError
            return str(exc)
        return None

    def revalidate(self) -> None:
        was_ready = self.problem is None
        self.problem = self.validation_problem()
        ready = self.problem is None and not self.busy
        self.call_button.setEnabled(ready)
        # An empty form is not an error, and a number's problem is already shown beside it.
        quiet = self.problem == "Enter the customer's number." or self._shown_at_field(self.problem)
        self.field_error.setText("" if quiet or self.problem is None else self.problem)
        self.field_error.setVisible(bool(self.field_error.text()))
        self.call_button.setAccessibleDescription(self.problem or "Ready to call")
        if was_ready != (self.problem is None):
            self.validity_changed.emit(self.problem is None)

    def _shown_at_field(self, problem: str | None) -> bool:
        fields = (self.customer, self.agent_number)
        return any(f.error and problem and f.error in problem for f in fields)

    @property
    def ready(self) -> bool:
        return self.problem is None and not self.busy

    def submit(self) -> None:
        """Place the call if the form is valid and no call is in flight (no double submit)."""
        self.revalidate()
        if not self.ready:
            return
        request = self.build_request()
        self.set_busy(True)
        self.call_requested.emit(request)
