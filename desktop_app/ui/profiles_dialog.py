"""Create, edit and delete profiles; secrets go to the OS keyring only.

Stored secrets are never loaded into the dialog: the password fields start empty ("leave empty to
keep"), so nothing secret sits in a widget unless the agent types it.
"""

from __future__ import annotations

import contextlib
import logging

import phonenumbers
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app import credentials, numbers
from desktop_app.api.models import DEFAULT_API_URL
from desktop_app.credentials import (
    ConfigError,
    KeyringStatus,
    KeyringUnavailable,
    Profile,
    ProfileStore,
    SecretStore,
)
from desktop_app.ui import icons, theme
from desktop_app.ui.widgets import expander_button, label_widget, message_box, wrapped_label
from desktop_app.ui.workers import TaskRunner

log = logging.getLogger(__name__)
KEEP_SECRET_HINT = "stored in the keyring — leave empty to keep"
CHECKING_HINT = "checking the keyring…"
API_TOKEN_HINT = "optional: agents by name and call results (leave empty to keep)"


def region_choices() -> list[tuple[str, str]]:
    """(code, "Country (CODE)") for every region phonenumbers knows, by country name."""
    regions = sorted(phonenumbers.SUPPORTED_REGIONS, key=numbers.country_name)
    return [(code, f"{numbers.country_name(code)} ({code})") for code in regions]


def color_swatch(color: str) -> QIcon:
    pixmap = QPixmap(16, 16)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class SecretField(QWidget):
    """A password field with a reveal toggle."""

    def __init__(self, name: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        label_widget(self.edit, name, tooltip)
        self.reveal = QPushButton()
        self.reveal.setCheckable(True)
        self.reveal.setIcon(icons.icon("eye"))
        label_widget(self.reveal, f"Show {name.lower()}", f"Show or hide the {name.lower()} you typed")
        self.reveal.toggled.connect(self._toggle)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.reveal)

    def _toggle(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.reveal.setIcon(icons.icon("eye-off" if shown else "eye"))

    def text(self) -> str:
        return self.edit.text().strip()

    def clear(self, placeholder: str = "") -> None:
        self.edit.clear()
        self.edit.setPlaceholderText(placeholder)
        self.reveal.setChecked(False)


class ProfilesDialog(QDialog):
    """Emits ``profiles_changed`` after every save or delete, with the name to select (or "")."""

    profiles_changed = Signal(str)

    def __init__(
        self,
        store: ProfileStore,
        secrets: SecretStore,
        parent: QWidget | None = None,
        *,
        select: str | None = None,
        demo_profile: Profile | None = None,
        agents: dict[str, list] | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.secrets = secrets
        self.agents = agents or {}  # profile → its users (api.logs.Agent) as the window read them
        self.demo_profile = demo_profile  # listed while the demo runs, to look at, never to change
        self.showing_demo = False
        self.editing: str | None = None  # name of the profile in the form; None = new
        # The keyring may take seconds to answer (an unlock prompt): every read and write of it
        # runs on a worker, and the dialog says what it is waiting for.
        self.runner = TaskRunner(self, max_threads=1)  # one at a time: a save, then what it changed
        self.keyring_usable: bool | None = None  # None until the keyring has answered
        self.saving = False
        self._pending_save: tuple[str, str | None] | None = None  # (name, previous name) being saved
        self.setWindowTitle("OpDial — Profiles")
        self.setAccessibleName("Profiles")
        self.setMinimumSize(760, 560)
        self._build()
        self.refresh_keyring_status()
        self.reload(select)

    # -- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.keyring_status = wrapped_label(
            name="Keyring status",
            tooltip="Where OpDial stores the x-api-key and secret token",
            selectable=True,
        )
        self.keyring_status.setTextFormat(Qt.TextFormat.PlainText)
        self.keyring_details_toggle = expander_button(
            "Details", name="Keyring details", tooltip="Show what OpDial found when it looked for a keyring"
        )
        self.keyring_details = wrapped_label(
            name="Keyring details text",
            tooltip="What OpDial found when it looked for a keyring",
            selectable=True,
        )
        self.keyring_details.setTextFormat(Qt.TextFormat.PlainText)
        self.keyring_details.setVisible(False)
        self.keyring_details_toggle.toggled.connect(self.keyring_details.setVisible)
        self.keyring_box = QWidget()
        self.keyring_box.setObjectName("keyringBox")
        box_layout = QVBoxLayout(self.keyring_box)
        box_layout.setContentsMargins(8, 6, 8, 6)
        top = QHBoxLayout()
        top.addWidget(self.keyring_status, 1)
        top.addWidget(self.keyring_details_toggle, 0, Qt.AlignmentFlag.AlignTop)
        box_layout.addLayout(top)
        box_layout.addWidget(self.keyring_details)

        self.profile_list = QListWidget()
        label_widget(self.profile_list, "Profiles", "Your profiles: one per company or campaign")
        self.profile_list.currentTextChanged.connect(self._select)
        self.new_button = QPushButton("New")
        self.new_button.setIcon(icons.icon("add"))
        label_widget(self.new_button, "New profile", "Start a new profile")
        self.new_button.clicked.connect(self.new_profile)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setIcon(icons.icon("delete"))
        label_widget(
            self.delete_button, "Delete profile", "Delete the selected profile and its stored secrets"
        )
        self.delete_button.clicked.connect(self.delete_profile)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.profile_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        left_layout.addLayout(row)

        self.name = self._line("Profile name", "A name you recognise, e.g. the company's name")
        self.company_id = self._line("Company ID", "MyOperator Company ID (from the panel's API settings)")
        self.public_ivr_id = self._line("Public IVR ID", "The campaign's Public IVR ID (campaign dashboard)")
        self.user_id = self._line("Agent User ID", "Your MyOperator User ID, prefilled for user dials")
        self.default_region = QComboBox()
        for code, text in region_choices():
            self.default_region.addItem(text, code)
        label_widget(
            self.default_region,
            "Default country",
            "Numbers typed without a country code are read as this country",
        )
        self.caller_id = self._line("Caller ID", "Optional outbound Caller ID for dedicated-number routing")
        self.routing_region = self._line("Routing region", "Optional routing region, passed as typed")
        self.group = self._line("Routing group", "Optional routing group, passed as typed")
        self.api_url = self._line("API URL", "Leave as is unless MyOperator or the sandbox says otherwise")
        self.color = QComboBox()
        for value in theme.BADGE_COLORS:
            self.color.addItem(color_swatch(value), value, value)
        label_widget(self.color, "Badge colour", "The colour that shows which company you dial from")
        self.countdown = QSpinBox()
        self.countdown.setRange(0, 10)
        self.countdown.setSpecialValueText("never (always ask)")
        self.countdown.setSuffix(" s")
        label_widget(
            self.countdown,
            "Call links after countdown",
            "0 = a clicked tel: link only fills the form. Otherwise OpDial calls after this many seconds "
            "(Esc stops it).",
        )
        self.is_default = QCheckBox("Use this profile when OpDial starts")
        label_widget(self.is_default, "Default profile", "Open OpDial with this profile selected")
        self.api_key = SecretField("API key", "The x-api-key from MyOperator: stored only in the keyring")
        self.secret_token = SecretField(
            "Secret token", "The secret token from MyOperator: stored only in the keyring"
        )
        self.api_token = SecretField(
            "API token",
            "Optional: the company's API token (MyOperator panel, Manage → API integration). With it OpDial "
            "lists agents by name and shows whether each call was answered. Stored only in the keyring.",
        )
        self.api_token.edit.setPlaceholderText(API_TOKEN_HINT)
        self.secret_note = wrapped_label(
            name="Secrets note", tooltip="Whether secrets are stored for this profile"
        )

        form_widget = QWidget()
        form = self.form_layout = QFormLayout(form_widget)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, widget in (
            ("&Name", self.name),
            ("Company ID", self.company_id),
            ("Public IVR ID", self.public_ivr_id),
            ("Agent User ID", self.user_id),
            ("Default country", self.default_region),
            ("API key (x-api-key)", self.api_key),
            ("Secret token", self.secret_token),
            ("", self.secret_note),
            ("API token (optional)", self.api_token),
            ("Caller ID", self.caller_id),
            ("Routing region", self.routing_region),
            ("Routing group", self.group),
            ("API URL", self.api_url),
            ("Badge colour", self.color),
            ("Call links after", self.countdown),
            ("", self.is_default),
        ):
            label = QLabel(text)
            label.setBuddy(widget.edit if isinstance(widget, SecretField) else widget)
            label_widget(label, (text.replace("&", "") or "spacer") + " label", widget.toolTip() or text)
            form.addRow(label, widget)

        self.error = wrapped_label(
            name="Profile problem", tooltip="What needs fixing before the profile can be saved"
        )
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.save_button = QPushButton("Save profile")
        self.save_button.setDefault(True)
        label_widget(self.save_button, "Save profile", "Save the profile; secrets go to the keyring")
        self.save_button.clicked.connect(self.save)
        fields = QWidget()
        fields_layout = QVBoxLayout(fields)
        fields_layout.setContentsMargins(0, 0, 8, 0)
        fields_layout.addWidget(form_widget)
        fields_layout.addStretch(1)
        # Scrolls instead of squeezing: no field ever shrinks below its own height, whatever the
        # window size or however long a message grows.
        scroll = QScrollArea()
        scroll.setWidget(fields)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(scroll, 1)
        save_row = QHBoxLayout()
        save_row.addWidget(self.error, 1)  # beside Save: what went wrong stays in sight
        save_row.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        right_layout.addLayout(save_row)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([200, 560])
        splitter.setChildrenCollapsible(False)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close_button = close.button(QDialogButtonBox.StandardButton.Close)
        label_widget(close_button, "Close", "Close the profiles dialog")
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.keyring_box)
        layout.addWidget(splitter, 1)
        layout.addWidget(close)

    @staticmethod
    def _line(name: str, tooltip: str) -> QLineEdit:
        edit = QLineEdit()
        label_widget(edit, name, tooltip)
        return edit

    # -- state ------------------------------------------------------------------------------

    def refresh_keyring_status(self) -> None:
        """Ask the keyring (on a worker) whether it can keep secrets; say so once, at the top."""
        self._show_keyring_status(None)
        task = self.runner.start("keyring status", lambda _cancel: self.secrets.status())
        task.succeeded.connect(self._show_keyring_status)

    def _show_keyring_status(self, status: KeyringStatus | None) -> None:
        colors = theme.colors()
        self.keyring_usable = None if status is None else status.usable
        self.keyring_details_toggle.setVisible(status is not None and not status.usable)
        if status is None:
            self.keyring_status.setText("Checking the keyring…")
            bg, fg = colors.alt_base, colors.muted
        elif status.usable:
            self.keyring_status.setText(f"Secrets are kept in {status.backend_name}.")
            bg, fg = colors.success_bg, colors.success_fg
        else:
            self.keyring_status.setText(credentials.keyring_problem_sentence())
            self.keyring_details.setText(f"Keyring found: {status.backend_name}.\n{status.explanation}")
            bg, fg = colors.warning_bg, colors.warning_fg
        self.keyring_box.setStyleSheet(
            f"#keyringBox {{ background: {bg}; border-radius: 6px; }} #keyringBox QLabel {{ color: {fg}; }}"
        )
        self.error.setStyleSheet(f"color: {colors.error_fg};")
        if status is not None and self.editing is None:
            self._show_secret_state(False)

    def reload(self, select: str | None = None) -> None:
        names = self.store.names()
        self.profile_list.blockSignals(True)
        self.profile_list.clear()
        listed = [*self.store.list(), *([self.demo_profile] if self.demo_profile else [])]
        for profile in listed:
            self.profile_list.addItem(profile.name)
            item = self.profile_list.item(self.profile_list.count() - 1)
            item.setIcon(color_swatch(theme.badge_color_for(profile.name, profile.color)))
            if profile is self.demo_profile:
                item.setToolTip("Built in for the demo: it can be looked at, not changed")
        self.profile_list.blockSignals(False)
        if self.demo_profile is not None:
            names = [*names, self.demo_profile.name]
        target = select if select in names else (names[0] if names else None)
        if target is None:
            self.new_profile()
        else:
            self.profile_list.setCurrentRow(names.index(target))
            self._select(target)

    def _show_demo_profile(self) -> None:
        """The demo's profile as it is, every field read-only: it lives in memory for the demo only."""
        assert self.demo_profile is not None
        self.editing = None
        self._fill(self.demo_profile, is_default=False)
        self._set_read_only(True)
        hint = "built in for the demo"
        self.api_key.edit.setPlaceholderText(hint)
        self.secret_token.edit.setPlaceholderText(hint)
        self.api_token.edit.setPlaceholderText(hint)
        self.secret_note.setText("The demo profile is built in: it cannot be changed, saved or deleted.")
        self.form_layout.setRowVisible(self.secret_note, True)

    def _set_read_only(self, read_only: bool) -> None:
        for line in (
            self.name, self.company_id, self.public_ivr_id, self.user_id, self.caller_id,
            self.routing_region, self.group, self.api_url, self.api_key.edit, self.secret_token.edit,
            self.api_token.edit,
        ):  # fmt: skip
            line.setReadOnly(read_only)
        for widget in (self.default_region, self.color, self.countdown, self.is_default):
            widget.setEnabled(not read_only)
        self.showing_demo = read_only
        self.save_button.setEnabled(not read_only and not self.saving)
        self.delete_button.setEnabled(not read_only and self.editing is not None)

    def new_profile(self) -> None:
        self.profile_list.clearSelection()
        self.editing = None
        self._set_read_only(False)
        self._fill(Profile(name="", color=self.store.suggest_color()), is_default=False)
        self._show_secret_state(False)
        self.name.setFocus()

    def _select(self, name: str) -> None:
        if self.demo_profile is not None and name == self.demo_profile.name:
            self._show_demo_profile()
            return
        profile = self.store.get(name) if name else None
        if profile is None:
            return
        self.editing = profile.name
        self._set_read_only(False)
        self._fill(profile, is_default=self.store.default_name() == name)
        self._show_secret_state(None)
        task = self.runner.start("has secrets", lambda _cancel: self._has_secrets(profile.name))
        task.succeeded.connect(lambda found: self._secrets_found(profile.name, found))

    def _has_secrets(self, name: str) -> bool:
        try:
            return self.secrets.has_secrets(name)
        except KeyringUnavailable:
            return False

    def _secrets_found(self, name: str, found: bool) -> None:
        if self.editing == name:  # still the profile in the form
            self._show_secret_state(found)

    def _show_secret_state(self, has_secrets: bool | None) -> None:
        """The secret fields' hint and the note under them; None while the keyring is asked."""
        if has_secrets is None:
            hint, note = CHECKING_HINT, ""
        elif has_secrets:
            hint = KEEP_SECRET_HINT
            note = "Secrets are stored in the keyring. Type new ones only to replace them."
        else:
            hint = "paste from the MyOperator panel"
            note = "No secrets stored yet for this profile." if self.keyring_usable is not False else ""
        self.api_key.edit.setPlaceholderText(hint)
        self.secret_token.edit.setPlaceholderText(hint)
        self.secret_note.setText(note)
        self.form_layout.setRowVisible(self.secret_note, bool(note))  # no empty gap when silent

    def _fill(self, profile: Profile, *, is_default: bool) -> None:
        self.name.setText(profile.name)
        self.company_id.setText(profile.company_id)
        self.public_ivr_id.setText(profile.public_ivr_id)
        self.user_id.setText(profile.user_id)
        self._offer_agents(profile.name)
        index = self.default_region.findData(profile.default_region or "IN")
        self.default_region.setCurrentIndex(max(index, 0))
        self.caller_id.setText(profile.caller_id)
        self.routing_region.setText(profile.region)
        self.group.setText(profile.group)
        self.api_url.setText(profile.api_url or DEFAULT_API_URL)
        color = theme.badge_color_for(profile.name or "new", profile.color)
        if self.color.findData(color) < 0:
            self.color.addItem(color_swatch(color), color, color)
        self.color.setCurrentIndex(self.color.findData(color))
        self.countdown.setValue(profile.link_countdown_s)
        self.is_default.setChecked(is_default)
        self.api_key.clear()
        self.secret_token.clear()
        self.api_token.clear(API_TOKEN_HINT)
        self.error.setText("")
        self._original = profile

    def _offer_agents(self, name: str) -> None:
        """The same picker as the Dial form, when the window has this profile's users."""
        agents = self.agents.get(name)
        if not agents:
            self.user_id.setCompleter(None)
            return
        from desktop_app.ui.agent_picker import AgentCompleter

        AgentCompleter(self.user_id).set_agents(agents)

    def form_profile(self) -> Profile:
        base = getattr(self, "_original", Profile(name=""))
        return Profile(
            name=self.name.text().strip(),
            company_id=self.company_id.text().strip(),
            public_ivr_id=self.public_ivr_id.text().strip(),
            user_id=self.user_id.text().strip(),
            default_region=self.default_region.currentData() or "IN",
            caller_id=self.caller_id.text().strip(),
            region=self.routing_region.text().strip(),
            group=self.group.text().strip(),
            api_url=self.api_url.text().strip() or DEFAULT_API_URL,
            color=self.color.currentData() or "",
            link_countdown_s=self.countdown.value(),
            logs_api_url=base.logs_api_url,  # set with the CLI or OPDIAL_LOGS_API_URL; kept as it is
            extra=dict(base.extra),
        )

    # -- actions ----------------------------------------------------------------------------

    def save(self) -> bool:
        """Save the form; True when the profile was saved. Typed secrets then go to the keyring on a
        worker: ``profiles_changed`` is emitted once they are stored (or refused)."""
        if self.saving or self.showing_demo:
            return False
        profile = self.form_profile()
        key, token, api_token = self.api_key.text(), self.secret_token.text(), self.api_token.text()
        previous = self.editing
        try:
            if bool(key) != bool(token):
                raise ConfigError("Enter both the API key and the secret token (or neither to keep them).")
            stored = self.store.save(profile, rename_from=previous)
        except (ConfigError, ValueError) as exc:
            self.error.setText(str(exc))
            return False
        if self.is_default.isChecked():
            self.store.set_default(stored.name)
        elif self.store.default_name() == stored.name:
            self.store.set_default(None)
        self.editing = stored.name
        self.api_key.clear()
        self.secret_token.clear()
        self.api_token.clear(API_TOKEN_HINT)
        if not (key and token) and not api_token and previous in (None, stored.name):
            self._finish_save(stored.name, None)
            return True
        self._set_saving(True)
        self._pending_save = (stored.name, previous)
        task = self.runner.start(
            "save secrets", lambda _cancel: self._store_secrets(stored.name, previous, key, token, api_token)
        )
        task.succeeded.connect(self._secrets_saved)
        return True

    def _set_saving(self, saving: bool) -> None:
        self.saving = saving
        self.save_button.setEnabled(not saving and not self.showing_demo)
        self.save_button.setText("Saving to the keyring…" if saving else "Save profile")

    def _store_secrets(
        self, name: str, previous: str | None, key: str, token: str, api_token: str = ""
    ) -> str | None:
        """On a worker: store typed secrets (or move them on rename); a message when the keyring refuses."""
        try:
            if api_token:
                self.secrets.set_api_token(name, api_token)
            if key and token:
                self.secrets.set_secrets(name, key, token)
                if previous and previous != name:
                    kept_token = "" if api_token else self.secrets.get_api_token(previous)
                    if kept_token:
                        self.secrets.set_api_token(name, kept_token)
                    self.secrets.delete_secrets(previous)
            elif previous and previous != name:
                self.secrets.rename(previous, name)
        except KeyringUnavailable:
            return "The profile was saved without its secrets: the keyring cannot store them (see above)."
        return None

    def _secrets_saved(self, warning: str | None) -> None:
        self._set_saving(False)
        if self._pending_save is not None:
            name, _previous = self._pending_save
            self._pending_save = None
            self._finish_save(name, warning)

    def _finish_save(self, name: str, warning: str | None) -> None:
        self.reload(name)
        self.error.setText(warning or "")
        log.info("profile %r saved", name)
        self.profiles_changed.emit(name)

    def delete_profile(self) -> None:
        name = self.editing
        if not name:
            return
        box = message_box(
            QMessageBox.Icon.Question,
            "Delete profile",
            f"Delete the profile {name!r} and its secrets from the keyring?\n\nCall history is kept.",
            self,
        )
        box.setObjectName("deleteProfile")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.exec()
        if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
            return
        self.store.remove(name)
        self.runner.start("delete secrets", lambda _cancel: self._delete_secrets(name))
        log.info("profile %r deleted", name)
        self.reload()
        self.profiles_changed.emit("")

    def _delete_secrets(self, name: str) -> None:
        with contextlib.suppress(KeyringUnavailable):  # then nothing could have been stored there
            self.secrets.delete_secrets(name)
