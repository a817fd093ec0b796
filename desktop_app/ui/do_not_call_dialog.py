"""The local do-not-call list: numbers kept in settings and/or a file, never called by a campaign.

The dialog only edits the two preferences; ``campaigns.checker.do_not_call_from_settings`` reads
them when a list is checked, so the window and ``opdial-cli campaign run`` honour the same list.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.campaigns.checker import (
    DO_NOT_CALL_FILE_PREF,
    DO_NOT_CALL_PREF,
    normalise_many,
    read_do_not_call_file,
)
from desktop_app.ui.widgets import label_widget, wrapped_label


class DoNotCallDialog(QDialog):
    def __init__(self, prefs, default_region: str = "IN", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prefs = prefs
        self.default_region = default_region
        self.setWindowTitle("Do-not-call list")
        self.setMinimumWidth(520)

        intro = wrapped_label(
            "Numbers here are never called by a campaign: they are left out when a list is checked "
            "and counted as “do-not-call”. One number per line, in any format; lines starting with # "
            "are notes.",
            name="About the do-not-call list",
            tooltip="What the do-not-call list does",
        )
        self.numbers = QPlainTextEdit("\n".join(prefs.get_pref(DO_NOT_CALL_PREF, []) or []))
        self.numbers.setPlaceholderText("+919876543210\n098765 43210  # asked not to be called")
        label_widget(self.numbers, "Do-not-call numbers", "One number per line; # starts a note")
        self.file = QLineEdit(prefs.get_pref(DO_NOT_CALL_FILE_PREF, "") or "")
        self.file.setPlaceholderText("optional: a shared file with one number per line")
        label_widget(
            self.file, "Do-not-call file", "A text or CSV file kept elsewhere, e.g. on a shared drive"
        )
        browse = QPushButton("Browse…")
        label_widget(browse, "Choose do-not-call file", "Pick the file with numbers never to call")
        browse.clicked.connect(self._browse)
        self.summary = wrapped_label(name="Do-not-call summary", tooltip="How many numbers were recognised")
        self.numbers.textChanged.connect(self._update_summary)
        self.file.textChanged.connect(self._update_summary)

        file_row = QHBoxLayout()
        file_row.addWidget(self.file, 1)
        file_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Numbers", self.numbers)
        form.addRow("File", file_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self._update_summary()

    def _lines(self) -> list[str]:
        return [line.strip() for line in self.numbers.toPlainText().splitlines() if line.strip()]

    def _update_summary(self) -> None:
        listed = normalise_many(self._lines(), self.default_region)
        words = f"{len(listed)} numbers recognised in the list"
        path = self.file.text().strip()
        if path:
            if Path(path).is_file():
                words += f"; {len(read_do_not_call_file(path, self.default_region))} in the file"
            else:
                words += "; the file cannot be found"
        self.summary.setText(words + ".")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Do-not-call file", "", "Text or CSV (*.txt *.csv);;All (*)"
        )
        if path:
            self.file.setText(path)

    def save(self) -> None:
        self.prefs.set_pref(DO_NOT_CALL_PREF, self._lines())
        self.prefs.set_pref(DO_NOT_CALL_FILE_PREF, self.file.text().strip())
        self.accept()
