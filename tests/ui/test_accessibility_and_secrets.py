"""Every control is labelled, and no secret appears in any widget except a revealed password field."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit

from desktop_app.ui.profiles_dialog import ProfilesDialog, SecretField
from tests.ui.conftest import CUSTOMER, place
from tests.ui.widget_walk import all_texts, unlabelled_controls


def _leaks(root, secrets) -> list[str]:
    return [
        f"{type(owner).__name__} {getattr(owner, 'accessibleName', lambda: '')()!r}"
        for owner, text in all_texts(root)
        for secret in secrets
        if secret in text and not _revealed_password(owner)
    ]


def _revealed_password(owner) -> bool:
    return (
        isinstance(owner, QLineEdit)
        and isinstance(owner.parent(), SecretField)
        and owner.parent().reveal.isChecked()
    )


def test_every_control_of_the_window_has_a_name_and_tooltip(make_window, sandbox_profile):
    window = make_window(demo=True)
    assert unlabelled_controls(window) == []


def test_every_control_of_the_profiles_dialog_has_a_name_and_tooltip(qtbot, store, secrets, sandbox_profile):
    dialog = ProfilesDialog(store, secrets)
    qtbot.addWidget(dialog)
    assert unlabelled_controls(dialog) == []


def test_no_secret_in_the_window_after_calls_and_problems(qtbot, window, sandbox):
    account = sandbox.account
    for number in (CUSTOMER, "+919000000403", "+919000000400"):
        window.form.customer.edit.setText(number)
        last = place(qtbot, window)
    window.status_panel.details_toggle.click()
    window.tabs.setCurrentIndex(1)

    shown = [text for _owner, text in all_texts(window)]
    assert any(last.reference_id in text for text in shown)  # the walk does see the details
    assert _leaks(window, account.secrets) == []
    window.status_panel.copy_curl_button.click()
    curl = QGuiApplication.clipboard().text()
    assert curl.startswith("curl") and not any(s in curl for s in account.secrets)
    window.status_panel.copy_details_button.click()
    details = QGuiApplication.clipboard().text()
    assert "reference_id" in details and not any(s in details for s in account.secrets)


def test_only_a_revealed_password_field_shows_a_secret(qtbot, store, secrets, sandbox_profile):
    dialog = ProfilesDialog(store, secrets, select=sandbox_profile.name)
    qtbot.addWidget(dialog)
    typed = ("typed-api-key-1234", "typed-secret-token-5678")
    stored = secrets.get_secrets(sandbox_profile.name)
    dialog.api_key.edit.setText(typed[0])
    dialog.secret_token.edit.setText(typed[1])

    assert _leaks(dialog, (*typed, stored.api_key, stored.secret_token)) == []
    dialog.api_key.reveal.click()
    assert dialog.api_key.edit.displayText() == typed[0]
    assert _leaks(dialog, typed) == []  # the revealed field is the one allowed exception
    assert _leaks(dialog, (stored.api_key, stored.secret_token)) == []  # stored ones never loaded


def test_real_secrets_reach_the_clipboard_only_after_an_explicit_yes(qtbot, window, sandbox, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    account = sandbox.account
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    (reveal,) = window.status_panel.copy_curl_button.actions()  # the right-click action
    QGuiApplication.clipboard().setText("before")
    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes])
    # Stands in for the person answering the modal warning (a nested event loop in a test).
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kwargs: next(answers))

    reveal.trigger()
    assert QGuiApplication.clipboard().text() == "before"
    reveal.trigger()
    curl = QGuiApplication.clipboard().text()
    assert account.api_key in curl and account.secret_token in curl
