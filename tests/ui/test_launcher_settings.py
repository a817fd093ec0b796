"""Links and tray settings: the handler status in words, register/unregister, tray preferences."""

from __future__ import annotations

import sys

import pytest

from desktop_app.platform.windows import InMemoryRegistry, WindowsLinkHandler
from desktop_app.ui import app as app_module
from desktop_app.ui.launcher import Launcher, open_link_settings
from desktop_app.ui.link_settings import LinkSettingsDialog
from desktop_app.ui.tray_prefs import PREF_CLOSE_TO_TRAY, PREF_START_IN_TRAY


@pytest.fixture
def registry() -> InMemoryRegistry:
    return InMemoryRegistry()


@pytest.fixture
def dialog(qtbot, store, registry: InMemoryRegistry) -> LinkSettingsDialog:
    # The Windows layout through the in-memory registry: the same code the real registry runs.
    shown = LinkSettingsDialog(store, platform=WindowsLinkHandler(registry), has_tray=True)
    qtbot.addWidget(shown)
    shown.show()
    return shown


def test_status_register_and_unregister(dialog: LinkSettingsDialog, registry: InMemoryRegistry) -> None:
    assert dialog.status_label.text().splitlines()[:3] == [
        "tel: no handler",
        "callto: no handler",
        "opdial: no handler",
    ]
    assert dialog.status_label.text().endswith(
        "To make OpDial open them: “Use OpDial for phone links” below."
    )

    dialog.register_button.click()
    assert dialog.status_label.text().splitlines()[:2] == ["tel: OpDial", "callto: OpDial"]
    assert "OpDial opens tel: and callto: links." in dialog.status_label.text()
    assert dialog.result_label.text().startswith("Registered OpDial")
    assert (
        registry.get("HKCU", r"Software\RegisteredApplications", "OpDial") == r"Software\OpDial\Capabilities"
    )

    dialog.unregister_button.click()
    assert dialog.status_label.text().splitlines()[0] == "tel: no handler"
    assert registry.dump() == {r"Software\RegisteredApplications": {}}  # a shared key: only our value goes


def test_tray_preferences_are_saved(dialog: LinkSettingsDialog, store) -> None:
    assert dialog.close_to_tray.isChecked() and not dialog.start_in_tray.isChecked()
    dialog.close_to_tray.click()
    dialog.start_in_tray.click()
    assert store.get_pref(PREF_CLOSE_TO_TRAY) is False
    assert store.get_pref(PREF_START_IN_TRAY) is True


def test_without_a_tray_the_options_are_explained_and_disabled(qtbot, store) -> None:
    shown = LinkSettingsDialog(store, platform=WindowsLinkHandler(InMemoryRegistry()), has_tray=False)
    qtbot.addWidget(shown)
    assert not shown.close_to_tray.isEnabled() and not shown.start_in_tray.isEnabled()
    if sys.platform != "win32":
        assert "opdial --dial-clipboard" in shown.hotkey_label.text()


def test_every_control_has_a_name_and_a_tooltip(dialog: LinkSettingsDialog) -> None:
    from PySide6.QtWidgets import QAbstractButton

    for button in dialog.findChildren(QAbstractButton):
        if button.isVisible() and button.text() != "Close":
            assert button.accessibleName() and button.toolTip(), button.text()


def test_the_window_has_a_menu_entry_for_it(qtbot, qapp, window) -> None:
    launcher = Launcher(tray_is_available=lambda: False)
    try:
        assert launcher.attach(qapp, window, app_module.Options())
        file_actions = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
        assert "&Links and tray…" in file_actions
        assert file_actions.index("&Links and tray…") < file_actions.index("&Quit")
        first = open_link_settings(window)
        assert open_link_settings(window) is first  # reused, not piled up
        first.reject()
    finally:
        launcher.shutdown()
        app_module.set_intake_handler(app_module.default_intake)
