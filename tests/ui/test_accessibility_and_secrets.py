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


def test_real_secrets_reach_the_clipboard_only_after_an_explicit_yes(qtbot, window, sandbox):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    account = sandbox.account
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    (reveal,) = window.status_panel.copy_curl_button.actions()  # the right-click action
    QGuiApplication.clipboard().setText("before")

    def answer(button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and box.objectName() == "revealSecrets"
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)  # Enter copies nothing
        box.button(button).click()

    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Cancel))
    reveal.trigger()
    assert QGuiApplication.clipboard().text() == "before"
    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Yes))
    reveal.trigger()
    curl = QGuiApplication.clipboard().text()
    assert account.api_key in curl and account.secret_token in curl


def test_secrets_a_server_echoes_back_are_masked_in_every_form_in_the_window(
    qtbot, window, sandbox, secrets, sandbox_profile
):
    """A careless server quotes the key and token back JSON-, URL-, base64- and hex-encoded."""
    from tests.test_redaction import leaks

    # Random-looking secrets: the sandbox's readable defaults share fragments with words like "x-api-key".
    sandbox.config.api_key, sandbox.config.secret_token = "k7Qz2vX9pL4mN8rT", "s3Jd9fW1eR6tY0uQ"
    secrets.set_secrets(sandbox_profile.name, sandbox.config.api_key, sandbox.config.secret_token)
    window.use_profile(sandbox_profile.name)
    qtbot.waitUntil(lambda: not window.resolving)
    sandbox.config.echo_secrets = True
    account = sandbox.account
    for number in (CUSTOMER, "+919000000400"):
        window.form.customer.edit.setText(number)
        last = place(qtbot, window)
    window.status_panel.details_toggle.click()
    shown = "\n".join(text for _owner, text in all_texts(window))
    assert "c2Vzc2lvbjo" in last.raw_response  # the echo did arrive (base64 of "session:")
    assert "c2Vzc2lvbjo" in shown  # and the walk does see the Details view
    assert leaks(shown, *account.secrets) == []
    window.status_panel.copy_details_button.click()
    assert leaks(QGuiApplication.clipboard().text(), *account.secrets) == []


def test_a_result_is_announced_to_screen_readers_when_it_arrives(qtbot, window):
    heard: list[str] = []
    window.status_panel.announced.connect(heard.append)
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    window.form.customer.edit.setText("+919000000403")
    place(qtbot, window)
    assert heard[0].startswith("Queued")
    assert heard[1].startswith("Not authorised") and "What to do" not in heard[1] and "Profiles" in heard[1]
