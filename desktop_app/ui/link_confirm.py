"""Consent before a link or the clipboard places a call: a link never dials by itself.

``LinkConfirmDialog`` shows the number as it will be dialled (E.164, country, type, where it came
from) and waits for Call (Enter) or Cancel (Esc). With a countdown (the profile's
``link_countdown_s`` > 0, for agents who want speed) it calls when the countdown ends unless
Esc or Cancel stops it. ``ask_before_calling`` is the glue to the main window: prefill the form,
then ask; Call goes through the window's normal Call path.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from desktop_app.links import LinkIntake

ORIGINS = {
    "tel": "a tel: link",
    "callto": "a callto: link",
    "opdial": "an opdial: link",
    "text": "a number passed to OpDial",
}


def origin_text(intake: LinkIntake) -> str:
    return ORIGINS.get(intake.source, f"a {intake.source} link")


def describe_intake(intake: LinkIntake) -> list[str]:
    """The facts an agent checks before calling, one line each."""
    number = intake.number
    lines = [f"{number.e164} · {number.country_name} · {number.type_label}"]
    if intake.kind is not None:
        lines.append(f"Mode: {intake.kind.label}")
    if intake.agent is not None:
        lines.append(f"Agent's number: {intake.agent.international}")
    if intake.note:
        lines.append(intake.note)
    return lines


class LinkConfirmDialog(QDialog):
    """Asks before calling. ``call_confirmed(intake)`` at most once; ``dismissed()`` otherwise."""

    call_confirmed = Signal(object)
    dismissed = Signal()

    def __init__(
        self,
        intake: LinkIntake,
        countdown_s: int = 0,
        parent: QWidget | None = None,
        *,
        origin: str | None = None,
        blocker: str | None = None,
        tick_ms: int = 1000,
    ) -> None:
        super().__init__(parent)
        self.intake = intake
        self.blocker = blocker
        self.remaining = max(0, int(countdown_s)) if blocker is None else 0
        self._decided = False
        self.setWindowTitle("Call this number?")
        self.setAccessibleName("Confirm the call")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(380)
        self._build(origin or origin_text(intake))
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)
        if self.remaining:
            self._timer.start()
        self._show_countdown()

    def _build(self, origin: str) -> None:
        layout = QVBoxLayout(self)
        self.source_label = QLabel(f"From {origin}:")
        self.number_label = QLabel(self.intake.number.international)
        font = QFont(self.number_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.number_label.setFont(font)
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.number_label.setAccessibleName("Number to call")
        self.details_label = QLabel("\n".join(describe_intake(self.intake)))
        self.details_label.setAccessibleName("Number details")
        self.countdown_label = QLabel()
        self.countdown_label.setAccessibleName("Countdown")
        self.blocker_label = QLabel(f"Cannot call yet: {self.blocker}" if self.blocker else "")
        self.blocker_label.setWordWrap(True)
        self.blocker_label.setVisible(bool(self.blocker))
        for label in (self.source_label, self.details_label, self.countdown_label):
            label.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.call_button = buttons.addButton("Call", QDialogButtonBox.ButtonRole.AcceptRole)
        self.call_button.setToolTip("Place the call now (Enter)")
        self.call_button.setAccessibleName("Call")
        self.call_button.setEnabled(self.blocker is None)
        self.cancel_button = buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.setToolTip("Do not call; the number stays in the form (Esc)")
        self.cancel_button.setAccessibleName("Cancel")
        self.call_button.setDefault(self.blocker is None)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for widget in (
            self.source_label,
            self.number_label,
            self.details_label,
            self.blocker_label,
            self.countdown_label,
            buttons,
        ):
            layout.addWidget(widget)

    @property
    def counting_down(self) -> bool:
        return self._timer.isActive()

    def _show_countdown(self) -> None:
        if self.remaining:
            self.countdown_label.setText(f"Calling in {self.remaining} s — press Esc to cancel.")
            self.call_button.setText(f"Call now ({self.remaining})")
        else:
            self.countdown_label.setText("Press Enter to call, Esc to cancel.")
            self.call_button.setText("Call")
        self.countdown_label.setVisible(self.blocker is None)

    def _tick(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.accept()
        else:
            self._show_countdown()

    def accept(self) -> None:
        if self.blocker is not None or self._decided:
            return
        self._decided = True
        self._timer.stop()
        super().accept()
        self.call_confirmed.emit(self.intake)

    def reject(self) -> None:
        self._timer.stop()
        already = self._decided
        self._decided = True
        super().reject()
        if not already:
            self.dismissed.emit()


_open_dialogs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # window -> its latest dialog


def ask_before_calling(
    window, intake: LinkIntake, countdown_s: int = 0, origin: str | None = None, *, tick_ms: int = 1000
):
    """Prefill ``window``'s form, then ask (or count down); Call uses ``window.place_call()``.

    Returns the open ``LinkConfirmDialog``. A new link replaces a dialog still open for an older one.
    """
    previous = _open_dialogs.pop(window, None)
    if previous is not None:
        previous.reject()
        # Unparent before deleteLater: see single_instance._dispose (PySide6 6.12).
        previous.setParent(None)
        previous.deleteLater()
    window.prefill(intake, confirm=True)
    form = getattr(window, "form", None)
    ready = bool(getattr(form, "ready", True))
    blocker = None if ready else (getattr(form, "problem", None) or "set up a profile first.")
    dialog = LinkConfirmDialog(intake, countdown_s, window, origin=origin, blocker=blocker, tick_ms=tick_ms)
    dialog.call_confirmed.connect(lambda _intake: window.place_call())
    dialog.dismissed.connect(lambda: _after_dismiss(window))
    _open_dialogs[window] = dialog
    dialog.open()
    return dialog


def _after_dismiss(window) -> None:
    bar = getattr(window, "link_bar", None)
    if bar is not None:
        bar.setText("Not dialled. The number is in the form: press Enter to call it.")
    if hasattr(window, "focus_number"):
        window.focus_number()


def profile_countdown(window) -> int:
    """The selected profile's "call links after a countdown" seconds (0 = always ask)."""
    resolved = getattr(window, "resolved", None)
    profile = getattr(resolved, "profile", None)
    return max(0, int(getattr(profile, "link_countdown_s", 0) or 0))
