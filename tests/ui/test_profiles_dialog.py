"""The profiles dialog: create, edit, rename, delete with confirmation; secrets only in the keyring."""

from __future__ import annotations

from keyring.backends import fail
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from desktop_app import config
from desktop_app.credentials import SecretStore
from desktop_app.ui.profiles_dialog import KEEP_SECRET_HINT, ProfilesDialog

KEY, TOKEN = "dialog-api-key-1234", "dialog-secret-token-5678"


def open_dialog(qtbot, store, secrets, **kwargs) -> ProfilesDialog:
    dialog = ProfilesDialog(store, secrets, **kwargs)
    qtbot.addWidget(dialog)
    settle(qtbot, dialog)
    return dialog


def settle(qtbot, dialog: ProfilesDialog) -> None:
    """Wait for the dialog's keyring work (it runs on a worker) to finish."""
    qtbot.waitUntil(lambda: dialog.keyring_usable is not None and dialog.runner.idle, timeout=10_000)


def fill(dialog: ProfilesDialog, name: str = "Acme") -> None:
    dialog.name.setText(name)
    dialog.company_id.setText("company-1")
    dialog.public_ivr_id.setText("ivr-1")
    dialog.user_id.setText("a1b2c3d4e5f60718")


def test_new_profile_is_saved_with_secrets_in_the_keyring_only(qtbot, store, secrets, keyring_backend):
    dialog = open_dialog(qtbot, store, secrets)
    assert dialog.keyring_status.text() == "Secrets are kept in in-memory test keyring."
    fill(dialog)
    dialog.api_key.edit.setText(KEY)
    dialog.secret_token.edit.setText(TOKEN)

    with qtbot.waitSignal(dialog.profiles_changed):
        assert dialog.save()

    assert store.get("Acme").company_id == "company-1"
    assert secrets.get_secrets("Acme").complete
    settings = config.settings_path().read_text()
    assert KEY not in settings and TOKEN not in settings
    settle(qtbot, dialog)
    assert dialog.api_key.text() == "" and dialog.api_key.edit.placeholderText() == KEEP_SECRET_HINT


def test_missing_name_or_half_the_secrets_is_explained(qtbot, store, secrets):
    dialog = open_dialog(qtbot, store, secrets)
    assert not dialog.save()
    assert "name" in dialog.error.text()

    fill(dialog)
    dialog.api_key.edit.setText(KEY)
    assert not dialog.save()
    assert "both" in dialog.error.text()


def test_rename_moves_the_secrets(qtbot, store, secrets, sandbox_profile):
    dialog = open_dialog(qtbot, store, secrets, select=sandbox_profile.name)
    dialog.name.setText("Acme Support")
    assert dialog.save()
    settle(qtbot, dialog)

    assert store.names() == ["Acme Support"]
    assert secrets.get_secrets("Acme Support").complete
    assert not secrets.get_secrets(sandbox_profile.name).complete


def test_delete_asks_first_and_removes_the_secrets(qtbot, store, secrets, sandbox_profile):
    dialog = open_dialog(qtbot, store, secrets, select=sandbox_profile.name)

    def answer(button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and sandbox_profile.name in box.text()
        box.button(button).click()

    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.No))
    dialog.delete_profile()
    assert store.names() == [sandbox_profile.name]

    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Yes))
    dialog.delete_profile()
    settle(qtbot, dialog)
    assert store.names() == []
    assert not secrets.get_secrets(sandbox_profile.name).complete


def test_without_a_usable_keyring_the_dialog_says_so_once_and_still_saves(qtbot, store):
    secrets = SecretStore(fail.Keyring())
    dialog = open_dialog(qtbot, store, secrets)
    dialog.resize(760, 560)
    dialog.show()

    text = dialog.keyring_status.text()
    assert "cannot store secrets" in text and "OPDIAL_API_KEY" in text
    assert text.count(".") == 1  # one sentence; the technical words wait behind Details
    assert not dialog.keyring_details.isVisible()
    dialog.keyring_details_toggle.click()
    assert "no keyring backend found" in dialog.keyring_details.text()
    dialog.keyring_details_toggle.click()
    fill(dialog)
    dialog.api_key.edit.setText(KEY)
    dialog.secret_token.edit.setText(TOKEN)
    with qtbot.waitSignal(dialog.profiles_changed):
        assert dialog.save()
    assert store.get("Acme") is not None
    assert "saved without its secrets" in dialog.error.text()
    assert KEY not in config.settings_path().read_text()
    shown = [label.text() for label in dialog.findChildren(QLabel) if label.isVisible()]
    assert sum("OPDIAL_API_KEY" in t for t in shown) == 1  # said once, not four times
    for field in (dialog.name, dialog.company_id, dialog.api_key.edit, dialog.api_url):
        assert field.height() >= field.sizeHint().height()  # nothing squeezed under the message


def test_the_window_switches_to_a_profile_saved_in_the_dialog(qtbot, make_window, store, secrets, sandbox):
    window = make_window()
    assert window.pages.currentWidget() is window.first_run

    def create_in_dialog() -> None:
        dialog = window.profiles_dialog
        fill(dialog, "Sandbox Co")
        account = sandbox.account
        dialog.company_id.setText(account.company_id)
        dialog.public_ivr_id.setText(account.public_ivr_id)
        dialog.api_url.setText(account.api_url)
        dialog.api_key.edit.setText(account.api_key)
        dialog.secret_token.edit.setText(account.secret_token)
        assert dialog.save()
        qtbot.waitUntil(lambda: not dialog.saving)  # "Saving to the keyring…"
        dialog.accept()

    QTimer.singleShot(0, create_in_dialog)
    window.open_profiles()

    assert window.pages.currentWidget() is window.main_page
    assert window.profile_combo.currentText() == "Sandbox Co"
    qtbot.waitUntil(lambda: not window.resolving)
    assert window.resolved.account.api_url == sandbox.account.api_url
    assert "Sandbox Co" in window.badge.toolTip()


class LeaveDemoAnswer:
    """Answers the "Leave the demo?" question when it shows (polling, so timing cannot hang a test)."""

    def __init__(self, button_text_start: str) -> None:
        self.button_text_start = button_text_start
        self.default_button = ""
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._check)
        self.timer.start()

    def _check(self) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() == "leaveDemo":
            self.timer.stop()
            self.default_button = box.defaultButton().text()
            next(b for b in box.buttons() if b.text().startswith(self.button_text_start)).click()


def _save_new_profile_in_dialog(qtbot, window, sandbox, name: str, seen: dict) -> None:
    dialog = window.profiles_dialog
    try:
        seen["first"] = dialog.profile_list.item(0).text()
        seen["read_only"] = dialog.showing_demo and dialog.name.isReadOnly()
        seen["save_enabled"] = dialog.save_button.isEnabled()
        seen["saved_demo"] = dialog.save()
        dialog.new_button.click()
        fill(dialog, name)
        account = sandbox.account
        dialog.api_url.setText(account.api_url)
        dialog.api_key.edit.setText(account.api_key)
        dialog.secret_token.edit.setText(account.secret_token)
        seen["saved"] = dialog.save()
        qtbot.waitUntil(lambda: not dialog.saving)
    finally:
        dialog.accept()


def test_saving_a_profile_during_the_demo_asks_before_leaving_the_sandbox(qtbot, make_window, sandbox):
    window = make_window(demo=True)
    seen: dict = {}
    answer = LeaveDemoAnswer("Stay")
    QTimer.singleShot(0, lambda: _save_new_profile_in_dialog(qtbot, window, sandbox, "Real Co", seen))
    window.open_profiles()
    assert seen == {
        "first": "Demo (sandbox)",  # the demo profile is listed…
        "read_only": True,  # …to look at: built in, nothing to change
        "save_enabled": False,
        "saved_demo": False,
        "saved": True,
    }
    assert answer.default_button == "Stay in the demo"
    qtbot.waitUntil(lambda: not window.resolving)
    assert window.profile_combo.currentText() == "Demo (sandbox)" and window.sandbox_banner.isVisible()
    assert "Real Co" in window.profile_entries()

    answer = LeaveDemoAnswer("Switch")
    QTimer.singleShot(0, lambda: _save_new_profile_in_dialog(qtbot, window, sandbox, "Other Co", {}))
    window.open_profiles()
    qtbot.waitUntil(lambda: not window.resolving)
    assert window.resolved.profile.name == "Other Co"


def test_the_api_token_is_optional_saved_to_the_keyring_and_never_shown_again(
    qtbot, store, secrets, sandbox_profile
):
    dialog = open_dialog(qtbot, store, secrets, select=sandbox_profile.name)
    assert "optional" in dialog.api_token.edit.placeholderText()
    dialog.api_token.edit.setText("k3v9Qz7LwX2pR8mT4nB6yH1cJ5dF0gSa")
    assert dialog.save()
    settle(qtbot, dialog)
    assert secrets.get_api_token(sandbox_profile.name) == "k3v9Qz7LwX2pR8mT4nB6yH1cJ5dF0gSa"
    assert dialog.api_token.text() == "" and "optional" in dialog.api_token.edit.placeholderText()
    assert secrets.has_secrets(sandbox_profile.name)  # the other two are kept
