"""Help ▸ About OpDial: version, licence, the folders OpDial uses, the keyring in use, links.

The name, version and description come from ``desktop_app``; the licence from the installed
package's metadata (the row is left out when the package declares none); the folders from
``config``. Asking the OS which keyring answers can take seconds (D-Bus), so it runs on a
thread of its own and the row says "checking…" until the answer is in.
"""

from __future__ import annotations

import html
import os
import platform
import sys
import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QFontMetrics, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_DESCRIPTION, APP_NAME, __version__, config
from desktop_app.api.models import DEFAULT_API_URL
from desktop_app.credentials import KeyringStatus, SecretStore
from desktop_app.ui import icons, theme
from desktop_app.ui.widgets import label_widget, wrapped_label

CHECKING = "checking…"
_POLL_MS = 100  # how often the dialog looks for the keyring answer (no Qt object crosses threads)


def licence_text() -> str | None:
    """The licence the installed package declares (License-Expression or License), else None."""
    from importlib import metadata

    try:
        meta = metadata.metadata("opdial")
    except metadata.PackageNotFoundError:  # e.g. a frozen build without the package's metadata
        return None
    for key in ("License-Expression", "License"):
        value = (meta.get(key) or "").strip()
        if value and value.upper() != "UNKNOWN":
            return value
    return None


def readme_path() -> Path | None:
    """The project README in a source checkout (an installed or frozen OpDial has none)."""
    candidate = Path(__file__).resolve().parents[2] / "README.md"
    return candidate if candidate.is_file() else None


def folders() -> list[tuple[str, Path]]:
    return [("Settings", config.config_dir()), ("Data", config.data_dir()), ("Log", config.log_dir())]


def folders_text() -> str:
    return "\n".join(f"{name}: {path}" for name, path in folders())


def keyring_words(status: KeyringStatus) -> str:
    return status.backend_name if status.usable else f"{status.backend_name} — cannot store secrets"


class _KeyringCheck:
    """``SecretStore.status()`` on a daemon thread; the GUI polls ``result`` (never blocks on it)."""

    def __init__(self, secrets: SecretStore) -> None:
        self.result: KeyringStatus | str | None = None
        threading.Thread(target=self._run, args=(secrets,), name="about-keyring", daemon=True).start()

    def _run(self, secrets: SecretStore) -> None:
        try:
            self.result = secrets.status()
        except Exception as exc:  # shown, not raised: the About box must open whatever the keyring does
            self.result = f"unknown ({type(exc).__name__}: {str(exc)[:200]})"


class AboutDialog(QDialog):
    def __init__(
        self, secrets: SecretStore, parent: QWidget | None = None, *, licence: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.setWindowIcon(icons.app_icon())
        # The API address and typical folder paths on one line each; every screen in use today has
        # 600 logical pixels across (1024×768 at 125%, 1366×768 at 200% has 683).
        self.setMinimumWidth(600)
        self._muted: list[QLabel] = []

        layout = QVBoxLayout(self)
        layout.addLayout(self._header())
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(10)
        layout.addLayout(grid)
        row = 0
        licence = licence if licence is not None else licence_text()
        if licence:
            self.licence = self._value(licence, "Licence", "The licence OpDial is distributed under")
            row = self._add_row(grid, row, "Licence", self.licence)
        versions = (
            f"Python {platform.python_version()}, Qt {qVersion()}, PySide6 {_pyside_version()}, "
            f"{platform.system() or sys.platform}"
        )
        self.versions = self._value(versions, "Built with", "Versions to quote when asking for support")
        row = self._add_row(grid, row, "Built with", self.versions)
        self.keyring = self._value(CHECKING, "Keyring", "Where the x-api-key and secret token are kept")
        row = self._add_row(grid, row, "Keyring", self.keyring)

        self.folder_fields: dict[str, QLineEdit] = {}
        for name, path in folders():
            row = self._add_row(grid, row, name, self._folder_row(name, path))
        if os.environ.get(config.DATA_DIR_ENV, "").strip():
            note = self._muted_label(f"These folders were moved by {config.DATA_DIR_ENV}.", "Folder note")
            grid.addWidget(note, row, 1)
            row += 1

        self.api_url = self._read_only_field(
            DEFAULT_API_URL, "MyOperator API address", "Where calls go unless a profile says otherwise"
        )
        row = self._add_row(grid, row, "MyOperator API", self.api_url)
        readme = readme_path()
        if readme:
            url = html.escape(QUrl.fromLocalFile(str(readme)).toString())
            self.readme = QLabel(f'<a href="{url}">Project README</a> (quick start, CLI, where data lives)')
            self.readme.setOpenExternalLinks(True)
            self.readme.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)  # and keys
            label_widget(self.readme, "Project README", f"Open {readme}")
            self._add_row(grid, row, "Read more", self.readme)

        layout.addLayout(self._buttons())
        theme.notifier().changed.connect(self._restyle)
        self._restyle()

        self._check = _KeyringCheck(secrets)
        self._poll = QTimer(self)
        self._poll.setInterval(_POLL_MS)
        self._poll.timeout.connect(self._show_keyring)
        self._poll.start()
        self._show_keyring()

    # -- building -----------------------------------------------------------------------------

    def _header(self) -> QHBoxLayout:
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(56, 56))
        label_widget(logo, f"{APP_NAME} logo", APP_NAME)
        self.title = QLabel(f"{APP_NAME} {__version__}")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        label_widget(self.title, "Name and version", f"{APP_NAME} version {__version__}")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        description = wrapped_label(APP_DESCRIPTION, name="What OpDial is", tooltip=APP_DESCRIPTION)
        words = QVBoxLayout()
        words.addWidget(self.title)
        words.addWidget(description)
        words.addStretch(1)
        header = QHBoxLayout()
        header.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(words, 1)
        return header

    def _value(self, text: str, name: str, tooltip: str) -> QLabel:
        label = wrapped_label(text, name=name, tooltip=tooltip, selectable=True)
        return label

    def _muted_label(self, text: str, name: str) -> QLabel:
        label = wrapped_label(text, name=name, tooltip=text)
        self._muted.append(label)
        return label

    @staticmethod
    def _add_row(grid: QGridLayout, row: int, caption: str, widget: QWidget) -> int:
        label = QLabel(f"{caption}:")
        # Beside a field the caption sits on the field's middle; beside text, on its first line.
        vertical = Qt.AlignmentFlag.AlignTop if isinstance(widget, QLabel) else Qt.AlignmentFlag.AlignVCenter
        label.setAlignment(Qt.AlignmentFlag.AlignRight | vertical)
        label.setBuddy(widget)
        grid.addWidget(label, row, 0)
        grid.addWidget(widget, row, 1)
        return row + 1

    @staticmethod
    def _read_only_field(text: str, name: str, tooltip: str) -> QLineEdit:
        field = QLineEdit(text)
        field.setReadOnly(True)
        field.setCursorPosition(0)
        label_widget(field, name, tooltip)
        # Wide enough for the whole text up to a sensible limit; longer ones scroll in the field.
        wanted = QFontMetrics(field.font()).horizontalAdvance(text) + 24
        field.setMinimumWidth(min(max(wanted, 320), 620))
        return field

    def _folder_row(self, name: str, path: Path) -> QWidget:
        field = self._read_only_field(str(path), f"{name} folder", f"{name} folder: {path}")
        self.folder_fields[name] = field
        open_button = QToolButton()
        open_button.setIcon(icons.icon("folder"))
        label_widget(open_button, f"Open {name.lower()} folder", f"Show {path} in the file manager")
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(field, 1)
        row.addWidget(open_button)
        return box

    def _buttons(self) -> QHBoxLayout:
        self.copy_button = QPushButton(icons.icon("copy"), "Copy folder paths")
        label_widget(self.copy_button, "Copy folder paths", "Copy the settings, data and log folders")
        self.copy_button.clicked.connect(self.copy_folders)
        self._copied_reset = QTimer(self)
        self._copied_reset.setSingleShot(True)
        self._copied_reset.setInterval(2000)
        self._copied_reset.timeout.connect(lambda: self.copy_button.setText("Copy folder paths"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setIcon(icons.icon("cancel"))
        label_widget(close, "Close", "Close this window (Esc)")
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.copy_button)
        row.addStretch(1)
        row.addWidget(buttons)
        close.setDefault(True)
        self.close_button = close
        return row

    # -- behaviour -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # A top-level window ignores its wrapped labels' height-for-width: grow to fit them.
        needed = self.layout().totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)  # not a folder field: Enter closes

    def copy_folders(self) -> None:
        QGuiApplication.clipboard().setText(folders_text())
        self.copy_button.setText("Copied")
        self._copied_reset.start()

    def _show_keyring(self) -> None:
        result = self._check.result
        if result is None:
            return
        self._poll.stop()
        if isinstance(result, KeyringStatus):
            self.keyring.setText(keyring_words(result))
            self.keyring.setToolTip(result.explanation)
        else:
            self.keyring.setText(result)

    def _restyle(self) -> None:
        muted = theme.colors().muted
        for label in self._muted:
            label.setStyleSheet(f"color: {muted};")


def _pyside_version() -> str:
    import PySide6

    return PySide6.__version__


def show_about(parent: QWidget, secrets: SecretStore) -> AboutDialog:
    """Open (or raise) the About box of ``parent``."""
    dialog = parent.findChild(AboutDialog)
    if dialog is None:
        dialog = AboutDialog(secrets, parent)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
