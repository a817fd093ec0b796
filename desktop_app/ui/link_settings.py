"""Settings → "Links and tray": does OpDial open tel:/callto: links, fix it; tray behaviour.

The same sentences as ``opdial-cli links status`` (``cli_links.status_lines``); registration runs
through ``desktop_app.platform`` for the current user only, never asking for admin rights.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_NAME
from desktop_app.cli_links import status_lines
from desktop_app.platform import (
    LinkHandlerPlatform,
    RegistrationError,
    current_platform,
    default_exe_command,
)
from desktop_app.ui.clipboard import HOTKEY_TEXT, WINDOW_SHORTCUT, os_shortcut_help
from desktop_app.ui.tray import tray_available
from desktop_app.ui.tray_prefs import PREF_CLOSE_TO_TRAY, PREF_START_IN_TRAY
from desktop_app.ui.widgets import label_widget, wrapped_label


class LinkSettingsDialog(QDialog):
    def __init__(
        self,
        store,
        parent: QWidget | None = None,
        *,
        platform: LinkHandlerPlatform | None = None,
        has_tray: bool | None = None,
        open_default_apps=None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Links and tray")
        label_widget(self, "Links and tray settings", "Which app opens phone links; tray behaviour")
        self.store = store
        self.platform = platform or current_platform()
        self._open_default_apps = open_default_apps or _open_default_apps
        self.has_tray = tray_available() if has_tray is None else has_tray
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.addWidget(self._links_group())
        layout.addWidget(self._tray_group())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def _links_group(self) -> QGroupBox:
        group = QGroupBox("Phone links (tel:, callto:)")
        self.status_label = wrapped_label(
            name="Link handler status", tooltip="Which app opens each kind of link", selectable=True
        )
        self.result_label = wrapped_label(
            name="Last change", tooltip="What the last button did", selectable=True
        )
        self.register_button = label_widget(
            QPushButton(f"Use {APP_NAME} for phone links"),
            "Register",
            f"Register {APP_NAME} for tel:, callto: and opdial: links (this user only, no admin rights)",
        )
        self.unregister_button = label_widget(
            QPushButton("Remove registration"), "Unregister", f"Remove only {APP_NAME}'s own registration"
        )
        self.default_apps_button = label_widget(
            QPushButton("Open Default Apps…"),
            "Default apps",
            f"Windows lets only you choose the default: pick {APP_NAME} for TEL and CALLTO there",
        )
        self.default_apps_button.setVisible(sys.platform == "win32")
        self.register_button.clicked.connect(self.register)
        self.unregister_button.clicked.connect(self.unregister)
        self.default_apps_button.clicked.connect(lambda: self._open_default_apps())
        row = QHBoxLayout()
        for button in (self.register_button, self.unregister_button, self.default_apps_button):
            row.addWidget(button)
        row.addStretch(1)
        box = QVBoxLayout(group)
        box.addWidget(self.status_label)
        box.addLayout(row)
        box.addWidget(self.result_label)
        return group

    def _tray_group(self) -> QGroupBox:
        group = QGroupBox("Tray")
        self.close_to_tray = label_widget(
            QCheckBox("Closing the window keeps OpDial in the tray"),
            "Close to tray",
            "Links then open at once; quit from the tray menu or with Ctrl+Q",
        )
        self.start_in_tray = label_widget(
            QCheckBox("Start minimised to the tray"), "Start in tray", "Start without showing the window"
        )
        self.close_to_tray.setChecked(bool(self.store.get_pref(PREF_CLOSE_TO_TRAY, True)))
        self.start_in_tray.setChecked(bool(self.store.get_pref(PREF_START_IN_TRAY, False)))
        self.close_to_tray.toggled.connect(lambda on: self.store.set_pref(PREF_CLOSE_TO_TRAY, on))
        self.start_in_tray.toggled.connect(lambda on: self.store.set_pref(PREF_START_IN_TRAY, on))
        hotkey = (
            f"anywhere: {HOTKEY_TEXT}."
            if sys.platform == "win32"
            else f"from anywhere, bind a system shortcut to “opdial --dial-clipboard”. {os_shortcut_help()}"
        )
        self.hotkey_label = wrapped_label(
            f"Dial the number on the clipboard: {WINDOW_SHORTCUT} in the window, the tray menu, or {hotkey}",
            name="Clipboard dialling",
            tooltip="Ways to dial the number on the clipboard",
            selectable=True,
        )
        box = QVBoxLayout(group)
        if not self.has_tray:
            box.addWidget(
                wrapped_label(
                    "This desktop shows no tray icons, so OpDial closes and starts normally.",
                    name="No tray",
                    tooltip="The tray options take effect where a tray exists",
                )
            )
            self.close_to_tray.setEnabled(False)
            self.start_in_tray.setEnabled(False)
        box.addWidget(self.close_to_tray)
        box.addWidget(self.start_in_tray)
        box.addWidget(self.hotkey_label)
        return group

    def refresh(self) -> None:
        lines = status_lines(self.platform.status(), fix_hint=f"“{self.register_button.text()}” below.")
        self.status_label.setText("\n".join(lines))

    def register(self) -> None:
        self._run(lambda: self.platform.register(default_exe_command()))

    def unregister(self) -> None:
        self._run(self.platform.unregister)

    def _run(self, action) -> None:
        try:
            result = action()
        except (RegistrationError, OSError) as error:
            self.result_label.setText(f"Not changed: {error}")
        else:
            self.result_label.setText("\n".join(result.lines()))
        self.refresh()


def _open_default_apps() -> None:
    from desktop_app.platform.windows import open_default_apps

    open_default_apps()
