"""The Dial form does not jump under the agent's pointer: the Call button stays where it is while
a number is typed, checked, refused or cleared, while a form problem comes and goes, and while a
call is in flight (Cancel appears beside it, never above it)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

CUSTOMER_STATES = (
    "",  # the hint: "Type or paste a number…"
    "98765",  # too short (typing)
    "+919876543210",  # valid: country, type and the E.164 form
    "9.19877E+11",  # the longest refusal: Excel shortened it
    "+91 98765 43210 ext. 12",  # valid with an extension note
    "",
)


def call_button_top(window) -> tuple[int, int]:
    QApplication.processEvents()  # let the layout settle
    button = window.form.call_button
    return button.mapTo(window, QPoint(0, 0)).y(), button.height()


@pytest.mark.parametrize("size", [(880, 600), (1200, 800)], ids=["smallest", "roomy"])
def test_the_call_button_stays_put_while_the_number_is_typed_and_checked(window, size):
    window.resize(*size)
    where = set()
    for text in CUSTOMER_STATES:
        window.form.customer.edit.setText(text)
        where.add(call_button_top(window))
    assert len(where) == 1, f"the Call button moved: {sorted(where)}"


def test_the_call_button_stays_put_when_a_problem_shows_and_while_calling(window):
    window.form.customer.edit.setText("+919876543210")
    before = call_button_top(window)
    window.form.agent_user_id.setText("")  # "Enter the agent's MyOperator User ID…" shows
    assert window.form.field_error.isVisible()
    assert call_button_top(window) == before
    window.form.agent_user_id.setText("5f3c9a1b2c3d4e5f")
    window.form.set_busy(True)  # Cancel appears beside Call
    assert window.form.cancel_button.isVisible()
    assert call_button_top(window) == before
    window.form.set_busy(False)
    assert call_button_top(window) == before
