"""F1 help and the About box: real dialogs opened from a real window, read back as a person would."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QTextTable
from PySide6.QtWidgets import QApplication, QLabel

from desktop_app import __version__, config
from desktop_app.api.catalogue import PROBLEMS, VARIANTS
from desktop_app.api.models import CallKind
from desktop_app.credentials import SecretStore
from desktop_app.ui import theme
from desktop_app.ui.about_dialog import CHECKING, AboutDialog, folders_text, licence_text
from desktop_app.ui.call_form import MODE_HINTS
from desktop_app.ui.help_dialog import HelpDialog
from desktop_app.ui.main_window import SHORTCUTS
from tests.keyring_double import MemoryKeyring
from tests.ui.widget_walk import unlabelled_controls

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(make_window):
    return make_window()


def _close_any_modal_box() -> None:
    """A modal message box (the old F1 and About) would block the test forever: close it, so the
    test fails on its assertion instead of hanging."""
    modal = QApplication.activeModalWidget()
    if modal is not None:
        modal.close()


def open_help(qtbot, window) -> HelpDialog:
    QTimer.singleShot(0, _close_any_modal_box)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.findChild(HelpDialog)
    assert dialog is not None, "F1 opened no help"
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.isActiveWindow)  # raised above the window, keys go to it
    return dialog


def table_rows(dialog: HelpDialog) -> list[tuple[str, ...]]:
    """Every row of every table in the help page, as cell texts."""
    rows = []
    for frame in dialog.browser.document().rootFrame().childFrames():
        if isinstance(frame, QTextTable):
            for r in range(frame.rows()):
                cells = (frame.cellAt(r, c) for c in range(frame.columns()))
                rows.append(tuple(_cell_text(cell) for cell in cells))
    return rows


def _cell_text(cell) -> str:
    cursor = cell.firstCursorPosition()
    cursor.setPosition(cell.lastCursorPosition().position(), cursor.MoveMode.KeepAnchor)
    return cursor.selectedText()


# -- help -------------------------------------------------------------------------------------------


def test_f1_opens_help_with_every_problem_and_its_next_step(qtbot, window):
    text = open_help(qtbot, window).plain_text()
    for code, words in PROBLEMS.items():
        assert words.title in text, code
        assert words.explanation in text, code
        assert words.action in text, code
        assert code in text
    for key, words in VARIANTS.items():
        for value in words.values():
            assert value in text, key


def test_help_shortcuts_are_an_aligned_table_including_added_ones(qtbot, window):
    action = QAction("Dial number from clipboard", window)
    action.setShortcut(QKeySequence("Ctrl+Shift+V"))
    window.addAction(action)  # as the launcher does
    rows = table_rows(open_help(qtbot, window))
    for keys, what in SHORTCUTS:
        assert (keys, what) in rows
    assert ("Ctrl+Shift+V", "Dial number from clipboard") in rows


def test_help_explains_the_three_ways_to_call(qtbot, window):
    rows = table_rows(open_help(qtbot, window))
    for kind in CallKind:
        assert any(row[0] == kind.label and row[-1] == MODE_HINTS[kind] for row in rows), kind
    assert any(row[0] == "IVR campaign" for row in rows)


def test_help_says_where_data_lives(qtbot, window):
    text = open_help(qtbot, window).plain_text()
    for path in (config.settings_path(), config.data_dir(), config.log_dir()):
        assert str(path) in text
    assert "keyring" in text


def test_help_filter_narrows_to_what_mentions_the_words(qtbot, window):
    dialog = open_help(qtbot, window)
    everything = dialog.plain_text()
    qtbot.keyClicks(dialog.filter, "proxy")
    narrowed = dialog.plain_text()
    assert PROBLEMS["network"].title in narrowed  # its proxy variant mentions it
    assert PROBLEMS["tls"].action in narrowed
    assert PROBLEMS["anonymous_disabled"].title not in narrowed
    assert "Keyboard shortcuts" not in narrowed
    dialog.filter.setText("no such words anywhere")
    assert "No help mentions “no such words anywhere”." in dialog.plain_text()
    dialog.filter.clear()
    assert dialog.plain_text() == everything


def test_help_contents_links_jump_to_their_heading(qtbot, window):
    dialog = open_help(qtbot, window)
    bar = dialog.browser.verticalScrollBar()
    assert bar.value() == 0
    assert 'href="#shortcuts"' in dialog.browser.toHtml()
    dialog.browser.anchorClicked.emit(QUrl("#shortcuts"))
    assert bar.value() > 0


def test_f1_again_raises_the_same_help_and_esc_closes_it(qtbot, window):
    dialog = open_help(qtbot, window)
    window.activateWindow()
    assert open_help(qtbot, window) is dialog
    assert len(window.findChildren(HelpDialog)) == 1
    qtbot.keyClick(dialog.filter, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_help_follows_the_theme(qtbot, window):
    dialog = open_help(qtbot, window)
    app = QApplication.instance()
    try:
        theme.install(app, "dark")
        assert theme.DARK.muted in dialog.browser.document().defaultStyleSheet()
    finally:
        theme.install(app, "light")
    assert theme.LIGHT.muted in dialog.browser.document().defaultStyleSheet()


def test_help_fits_on_the_screen(qtbot, window):
    dialog = open_help(qtbot, window)
    room = dialog.screen().availableGeometry()
    assert dialog.width() <= room.width()
    assert dialog.height() <= room.height()


def test_help_controls_are_named(qtbot, window):
    dialog = open_help(qtbot, window)
    assert unlabelled_controls(dialog) == []
    assert not dialog.windowIcon().isNull()


# -- about ------------------------------------------------------------------------------------------


def open_about(qtbot, window) -> AboutDialog:
    QTimer.singleShot(0, _close_any_modal_box)
    window.show_about()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_about_shows_the_version_and_the_data_folders(qtbot, window):
    dialog = open_about(qtbot, window)
    assert __version__ in dialog.title.text()
    shown = {name: field.text() for name, field in dialog.folder_fields.items()}
    assert shown == {
        "Settings": str(config.config_dir()),
        "Data": str(config.data_dir()),
        "Log": str(config.log_dir()),
    }
    assert unlabelled_controls(dialog) == []


def test_about_copy_puts_the_folder_paths_on_the_clipboard(qtbot, window):
    dialog = open_about(qtbot, window)
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == folders_text()
    for path in (config.config_dir(), config.data_dir(), config.log_dir()):
        assert str(path) in copied


def test_about_names_the_keyring_backend(qtbot, window, secrets):
    dialog = open_about(qtbot, window)
    qtbot.waitUntil(lambda: dialog.keyring.text() != CHECKING)
    assert dialog.keyring.text() == secrets.status().backend_name == MemoryKeyring.name


class SlowSecretStore(SecretStore):
    """A keyring that takes its time to answer, as a Secret Service on a stuck D-Bus does.

    A stand-in because a real slow D-Bus cannot be made on demand; the status itself is real.
    """

    def __init__(self) -> None:
        super().__init__(MemoryKeyring())
        self.answer = threading.Event()

    def status(self):
        self.answer.wait(30)
        return super().status()


def test_about_opens_at_once_while_the_keyring_is_still_answering(qtbot):
    secrets = SlowSecretStore()
    dialog = AboutDialog(secrets)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.keyring.text() == CHECKING  # the dialog did not wait for the keyring
    secrets.answer.set()
    qtbot.waitUntil(lambda: dialog.keyring.text() == MemoryKeyring.name)


def test_about_licence_is_what_the_package_declares_and_nothing_invented(qtbot):
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # no tomllib on Python 3.10
    if not re.search(r"^license(-files)?\s*=", pyproject, re.MULTILINE):
        assert licence_text() is None
        dialog = AboutDialog(SecretStore(MemoryKeyring()))
        qtbot.addWidget(dialog)
        captions = [label.text() for label in dialog.findChildren(QLabel)]
        assert "Licence:" not in captions
    given = AboutDialog(SecretStore(MemoryKeyring()), licence="MIT")
    qtbot.addWidget(given)
    assert given.licence.text() == "MIT"


def test_about_text_fits_without_clipping(qtbot, window):
    dialog = open_about(qtbot, window)
    for label in dialog.findChildren(QLabel):
        if label.isVisible() and not label.wordWrap() and label.text():
            assert label.width() >= label.sizeHint().width(), label.text()
    for name, field in dialog.folder_fields.items():
        assert field.fontMetrics().horizontalAdvance(field.text()) < field.width(), name
