"""Before a call goes out: never a second call by accident.

Two questions, asked by the window when Call is pressed for a number+mode called before:

- the last call is **unknown** (no answer said whether MyOperator queued it): "Try again safely"
  (same reference_id, MyOperator will not place it twice) is the default; a new call needs an
  explicit choice;
- the last call was **queued** less than ``REPEAT_WINDOW_S`` ago: "Call again?", default No.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app import numbers
from desktop_app.api.models import Account, CallKind, CallRequest
from desktop_app.history import HistoryEntry
from desktop_app.ui.widgets import use_own_icon

REPEAT_WINDOW_S = 120.0  # a second call to the same number and mode within this asks first


@dataclass(frozen=True)
class LastCall:
    """The latest call to one number in one mode, from this session or from history."""

    when: float  # seconds since the epoch, on the window's clock
    status: str  # accepted / rejected / failed
    request: CallRequest  # as sent: its reference_id re-sends it safely
    profile_name: str
    account: Account | None = None  # known for calls of this session; None when read from history

    @property
    def unknown(self) -> bool:
        return self.status == "failed"

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @classmethod
    def from_entry(cls, entry: HistoryEntry) -> LastCall:
        return cls(entry.last_sent.timestamp(), entry.status, entry.request(), entry.profile)


class Choice(Enum):
    NEW_CALL = "new call"  # under a new reference_id
    RESEND = "resend"  # the last request again, same reference_id
    STOP = "stop"  # nothing is sent


def readable(number: str) -> str:
    """ "+91 98765 43210" for "+919876543210": the form an agent recognises."""
    parsed = numbers.check(number, None)
    return parsed.international if isinstance(parsed, numbers.ParsedNumber) else number


def age_words(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s ago"
    return f"{seconds // 60} min {seconds % 60} s ago"


def _mode_words(kind: CallKind) -> str:
    return kind.label[0].lower() + kind.label[1:]


def repeat_box(parent: QWidget | None, last: LastCall, now: float) -> QMessageBox:
    number = readable(last.request.to)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    use_own_icon(box)
    box.setWindowTitle("Call this number again?")
    box.setText(f"You called {number} {age_words(now - last.when)} — queued.\nCall again?")
    stamp = time.strftime("%H:%M:%S", time.localtime(last.when))
    box.setInformativeText(
        f"That {_mode_words(last.request.kind)} was queued at {stamp} from {last.profile_name}. "
        "Calling again rings the customer a second time."
    )
    box.setObjectName("repeatGuard")
    box.setAccessibleName("Call again?")
    call = box.addButton("Call again", QMessageBox.ButtonRole.YesRole)
    call.setObjectName("callAgain")
    dont = box.addButton("Don't call", QMessageBox.ButtonRole.NoRole)
    dont.setObjectName("dontCall")
    box.setDefaultButton(dont)  # Enter, or a second Enter pressed by habit, sends nothing
    box.setEscapeButton(dont)
    return box


def ask_repeat(parent: QWidget | None, last: LastCall, now: float) -> Choice:
    box = repeat_box(parent, last, now)
    box.exec()
    clicked = box.clickedButton()
    return Choice.NEW_CALL if clicked is not None and clicked.objectName() == "callAgain" else Choice.STOP


def unknown_box(parent: QWidget | None, last: LastCall) -> QMessageBox:
    number = readable(last.request.to)
    stamp = time.strftime("%H:%M", time.localtime(last.when))
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    use_own_icon(box)
    box.setWindowTitle("Last call's outcome is unknown")
    box.setText(
        f"The {_mode_words(last.request.kind)} to {number} at {stamp} got no answer: "
        "it may already be queued."
    )
    box.setInformativeText(
        "Try again safely sends it again with the same Reference ID: MyOperator will not place it "
        "twice.\n\nA new call gets a new Reference ID and may ring the customer twice."
    )
    box.setObjectName("unknownGuard")
    box.setAccessibleName("Last call's outcome is unknown")
    resend = box.addButton("Try again safely", QMessageBox.ButtonRole.AcceptRole)
    resend.setObjectName("resend")
    new = box.addButton("New call (may ring twice)", QMessageBox.ButtonRole.DestructiveRole)
    new.setObjectName("newCall")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setObjectName("cancel")
    box.setDefaultButton(resend)
    box.setEscapeButton(cancel)
    return box


def ask_unknown(parent: QWidget | None, last: LastCall) -> Choice:
    box = unknown_box(parent, last)
    box.exec()
    clicked = box.clickedButton()
    name = clicked.objectName() if clicked is not None else "cancel"
    return {"resend": Choice.RESEND, "newCall": Choice.NEW_CALL}.get(name, Choice.STOP)
