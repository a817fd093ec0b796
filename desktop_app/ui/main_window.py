"""The OpDial window: profile switcher, dial form, status, history, and (when present) campaigns.

"What happens when I press Call": ``CallForm.call_requested`` → ``MainWindow._start_call`` → a
worker runs ``ObdClient.place_call`` and records the outcome in history → ``_call_finished``
shows it in the ``StatusPanel``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QCoreApplication, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_NAME, config, profiles
from desktop_app.api.kinds import CallKind
from desktop_app.api.urls import is_loopback_host
from desktop_app.profiles import ConfigError, Profile, ProfileStore
from desktop_app.ui import icons, theme
from desktop_app.ui.call_form import MODE_SHORTCUTS, CallForm
from desktop_app.ui.demo import DEMO_INTRO, DEMO_PROFILE_NAME, DemoSession, try_these
from desktop_app.ui.widgets import label_widget, message_box, set_by_name, wrapped_label
from desktop_app.ui.workers import Task, TaskRunner

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QCloseEvent, QPaintEvent
    from PySide6.QtWidgets import QMenu

    from desktop_app.api.client import ObdClient
    from desktop_app.api.models import Account, CallRequest, Outcome
    from desktop_app.credentials import Resolved, SecretStore
    from desktop_app.history import History, HistoryEntry
    from desktop_app.ui import call_guard
    from desktop_app.ui.campaigns_view import CampaignsView
    from desktop_app.ui.first_run import FirstRunPage
    from desktop_app.ui.history_view import HistoryView
    from desktop_app.ui.status_panel import ShownResult, StatusPanel

log = logging.getLogger(__name__)

ENVIRONMENT_ENTRY = profiles.ENVIRONMENT_PROFILE_NAME
CLOSE_WAIT_S = 20.0  # longest we wait for a call in flight when the window closes
SHORTCUTS = (
    ("Enter (in a number field) / Ctrl+Return", "Place the call"),
    ("Esc", "Cancel the call in flight"),
    ("Ctrl+1 / Ctrl+2 / Ctrl+3", "User dial / Anonymous dial / IVR call"),
    ("Ctrl+L", "Go to the customer number"),
    ("Ctrl+D / Ctrl+H / Ctrl+K", "Dial / History / Campaigns"),
    ("Ctrl+P", "Switch profile"),
    ("Ctrl+,", "Profiles"),
    ("F5", "Refresh history"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit"),
)


def _default_client(resolved: Resolved) -> ObdClient:
    from desktop_app.api.client import ObdClient  # httpx: loaded with the first call, not at start-up

    return ObdClient(resolved.account)


UNLOCKING_KEYRING = "Unlocking keyring…"
PROFILE_PROBLEM_ABOVE = "This profile cannot place calls yet: the notice at the top says why."
DEMO_RESULTS_INTERVAL_S = 2.0  # the demo's call log is a local sandbox: results show within seconds
RESULTS_WAIT_PREF = "call_results_wait_min"  # settings preference: minutes before "no result"
AGENTS_REFRESH_MS = 10 * 60 * 1000  # the company's users change rarely: re-read every 10 minutes
AFTER_PAINT_LATEST_MS = 250  # a window started hidden (tray) never paints: start its work anyway


def _resolve_quietly(
    name: str | None, env: Mapping[str, str], store: ProfileStore, secrets: SecretStore
) -> Resolved | ConfigError:
    """``credentials.resolve`` for a worker: a ConfigError is an answer, not a failure."""
    from desktop_app import credentials  # the keyring side: on the worker, after the first paint

    try:
        return credentials.resolve(name, env=env, store=store, secrets=secrets)
    except ConfigError as error:
        return error


def _keyring_failure(error: str) -> str:
    log.warning("Reading the profile's secrets failed:\n%s", error)
    return (
        "OpDial could not read this profile's secrets from the keyring. "
        "Check that your keyring is unlocked, then choose the profile again (details in the log)."
    )


def _storage_words(error: BaseException) -> str:
    """What went wrong with the history file, in a few plain words."""
    text = str(error).strip() or type(error).__name__
    if "not a database" in text or "malformed" in text:
        return f"the history file is damaged ({text})"
    return text


def _make_qt_enums() -> None:
    """The first use of Qt's namespace makes all its ~90 Python enums (~15 ms, kept off the first
    paint by ``widgets.set_by_name``): a turn of the event loop of its own, just after the paint,
    so the result panel's piece, which uses them, stays short."""
    from PySide6.QtCore import Qt  # noqa: F401


class MainWindow(QMainWindow):
    """The window. Hooks for other parts: ``prefill(intake, confirm)``, ``place_call()``,
    ``start_demo()``, ``resolve_profile()``, ``show_and_raise()``, ``shutdown()``."""

    call_finished = Signal(object)  # Outcome, after it is shown and recorded
    profile_changed = Signal(str)
    storage_failed = Signal(object)  # StorageError: the history could not be opened (after the paint)

    def __init__(
        self,
        *,
        store: ProfileStore | None = None,
        secrets: SecretStore | None = None,
        history: History | None = None,
        env: Mapping[str, str] | None = None,
        demo: bool = False,
        client_factory: Callable[[Resolved], ObdClient] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(880, 600)
        self.store = store or ProfileStore()
        self._secrets = secrets  # made when first needed: the keyring side loads after the paint
        # The history file is opened just after the first paint (sqlite3 and the schema check are
        # not needed to show the form); its folder is checked now: no window without it.
        self._history = history
        if history is None:
            config.data_dir()
        self.env = env if env is not None else os.environ
        self.client_factory = client_factory or _default_client
        self.demo_session: DemoSession | None = None
        self.resolved: Resolved | None = None
        self.resolve_error: str | None = None
        self.runner = TaskRunner(self)
        self.current_task: Task | None = None
        self.clock = clock  # wall-clock seconds: the repeat guard compares with history's times
        self._last_calls: dict[tuple[CallKind, str], call_guard.LastCall] = {}
        self._job = 0  # the call whose result the panel may show; older results only go to the list
        self.history_problem: str | None = None  # why history is not being saved, while it is not
        self._clients: dict[Account, ObdClient] = {}
        self._closing = False
        self.resolving = False  # the profile's secrets are being read (Call waits for them)
        self._resolve_generation = 0  # only the latest profile choice's answer is used
        self._call_when_ready = False  # a link asked to call while the secrets were being read
        self._prefilled: tuple[str, ...] | None = None  # the profile defaults now in the form
        # Work that can wait for the first paint (the keyring read: its import and its answer would
        # compete with building the window); never later than AFTER_PAINT_LATEST_MS if never shown.
        self._painted = False
        self._after_paint: list[Callable[[], object]] = []
        QTimer.singleShot(AFTER_PAINT_LATEST_MS, self._run_after_paint)
        self._status_panel: StatusPanel | None = None
        self._history_view: HistoryView | None = None
        self._built = False
        self._history_region: str | None = None
        self._build()
        for step in self._building_steps(after_paint=True):  # first in line: before the keyring read
            self._when_painted(step)
        theme.notifier().changed.connect(self.apply_theme)
        self.apply_theme()
        if demo:
            self.start_demo()
        else:
            self.reload_profiles()

    @property
    def secrets(self) -> SecretStore:
        """The keyring. Its module loads with the first read, after the first paint (issue 12)."""
        if self._secrets is None:
            from desktop_app.credentials import SecretStore

            self._secrets = SecretStore()
        return self._secrets

    # ------------------------------------------------------------------------------------------
    # layout
    # ------------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.badge = QLabel()
        set_by_name(self.badge, "alignment", "AlignCenter")
        self.badge.setMinimumWidth(120)
        label_widget(self.badge, "Active profile badge", "The company you are dialling from")
        self.profile_combo = QComboBox()
        self.profile_combo.setMinimumContentsLength(18)
        self.profile_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        label_widget(self.profile_combo, "Profile", "Choose the company/profile to dial from (Ctrl+P)")
        self.profile_combo.activated.connect(self._on_profile_chosen)
        self.profiles_button = QPushButton("Profiles…")
        self.profiles_button.setIcon(icons.icon("profile"))
        label_widget(self.profiles_button, "Profiles", "Create, edit or delete profiles (Ctrl+,)")
        self.profiles_button.clicked.connect(self.open_profiles)
        self.profile_problem = wrapped_label(
            name="Profile problem", tooltip="Why calls cannot be placed with this profile", selectable=True
        )
        set_by_name(self.profile_problem, "textFormat", "PlainText")
        self.profile_problem.setVisible(False)
        top = QHBoxLayout()
        top.addWidget(self.badge)
        top.addWidget(self.profile_combo)
        top.addWidget(self.profiles_button)
        top.addStretch(1)

        self.sandbox_banner = QFrame()
        self.sandbox_banner.setObjectName("sandboxBanner")
        label_widget(self.sandbox_banner, "Sandbox banner", "Calls go to a local sandbox: nobody is called")
        self.sandbox_label = wrapped_label(
            "SANDBOX — no real calls",
            name="Sandbox notice",
            tooltip="Calls go to a local sandbox: nobody is called",
        )
        self.try_button = QToolButton()
        self.try_button.setText("Try these numbers")
        self.try_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        set_by_name(self.try_button, "toolButtonStyle", "ToolButtonTextBesideIcon")
        label_widget(
            self.try_button, "Try these numbers", "Numbers that make the sandbox answer with each error"
        )
        self.try_menu: QMenu | None = None  # made and filled when the demo is on (it loads the sandbox)
        banner_layout = QHBoxLayout(self.sandbox_banner)
        banner_layout.setContentsMargins(10, 4, 10, 4)
        banner_layout.addWidget(self.sandbox_label, 1)
        banner_layout.addWidget(self.try_button)
        self.sandbox_banner.setVisible(False)

        self.link_bar = wrapped_label(
            name="Link notice", tooltip="A number arrived from a link", selectable=True
        )
        set_by_name(self.link_bar, "textFormat", "PlainText")
        self.link_bar.setMargin(6)
        self.link_bar.setVisible(False)

        self.form = CallForm()
        self.form.call_requested.connect(self._start_call)
        self.form.cancel_requested.connect(self.cancel_call)
        dial_page = QSplitter()
        dial_page.setChildrenCollapsible(False)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.form)
        dial_page.addWidget(left)
        right = QWidget()
        self._status_holder = QVBoxLayout(right)  # the result panel comes after the first paint
        dial_page.addWidget(right)
        dial_page.setSizes([440, 440])
        self.dial_page = dial_page

        self.history_page: QWidget = QWidget()  # until the History view replaces it after the first paint
        self.history_page.setAccessibleName("History")
        self.tabs = QTabWidget()
        label_widget(self.tabs, "Sections", "Dial, History and Campaigns")
        self.tabs.addTab(dial_page, icons.icon("call"), "&Dial")
        self.tabs.addTab(self.history_page, icons.icon("history"), "&History")
        self.tabs.setTabToolTip(0, "Place a call (Ctrl+D)")
        self.tabs.setTabToolTip(1, "Calls placed so far (Ctrl+H)")
        # The Campaigns view is the heaviest page and most shifts never open it: built on first use.
        self._campaigns_view: CampaignsView | None = None
        self.campaigns_page = QWidget()
        self.campaigns_page.setAccessibleName("Campaigns")
        QVBoxLayout(self.campaigns_page).setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(self.campaigns_page, icons.icon("campaigns"), "&Campaigns")
        self.tabs.setTabToolTip(2, "Bulk IVR campaigns from a contact list (Ctrl+K)")
        self.tabs.currentChanged.connect(self._on_tab_changed)

        main_page = QWidget()
        main_layout = QVBoxLayout(main_page)
        main_layout.addLayout(top)
        main_layout.addWidget(self.profile_problem)
        main_layout.addWidget(self.sandbox_banner)
        main_layout.addWidget(self.link_bar)
        main_layout.addWidget(self.tabs, 1)

        self._first_run: FirstRunPage | None = None  # built when there is no profile to dial from
        self.pages = QStackedWidget()
        self.pages.addWidget(main_page)
        self.main_page = main_page
        self.setCentralWidget(self.pages)
        self.statusBar().setAccessibleName("Status bar")
        self.statusBar().setToolTip("Short notices")

    def finish_building(self) -> None:
        """The parts the first paint does not need: the result panel, History and the menus.

        Just after the first paint each part is built in its own turn of the event loop (so the
        Dial form shows as soon as possible and no one turn stalls the window); whatever needs one
        of them first builds all that is left at once.
        """
        for step in self._building_steps():
            step()

    def _building_steps(self, *, after_paint: bool = False) -> tuple[Callable[[], object], ...]:
        """After the paint, phonenumbers is loaded on a worker before History needs it; built at once,
        History's own import loads it."""
        if not after_paint:
            return (self._build_status_panel, self._build_history_view, self._build_rest)
        return (
            _make_qt_enums,
            self._build_status_panel,
            self._load_numbers_on_a_worker,
            self._build_history_view,
            self._build_rest,
        )

    def _build_status_panel(self) -> None:
        if self._status_panel is not None:
            return
        from desktop_app.ui.status_panel import StatusPanel

        self._status_panel = StatusPanel()
        self._status_panel.retry_requested.connect(self.retry_unknown)
        self._status_holder.addWidget(self._status_panel)
        self._status_panel.apply_theme()

    def _load_numbers_on_a_worker(self) -> Task | None:
        """phonenumbers (25-50 ms of pure-Python imports) on a worker, which lets the GIL go every
        0.5 ms: the window keeps ticking. The next piece (the History view) waits for it."""
        if "desktop_app.numbers" in sys.modules:
            return None
        loader = TaskRunner(self, max_threads=1)  # not self.runner: its tasks are calls in flight
        return loader.start("load phone-number parsing", lambda _cancel: import_module("desktop_app.numbers"))

    def _build_history_view(self) -> None:
        if self._history_view is not None:
            return
        from desktop_app.ui.history_view import HistoryView

        self._history_view = HistoryView(self.active_history)
        self._history_view.dial_again.connect(self.dial_again)
        if self._history_region:
            self._history_view.default_region = self._history_region
        self._swap_tab(self.history_page, self._history_view)
        self.history_page = self._history_view
        self._history_view.apply_theme()

    def _build_rest(self) -> None:
        if self._built:
            return
        self._build_menus()
        self._sync_demo_action()
        self._built = True  # before the watch: it shows its state in the panel, which is in
        self._start_results_watch()
        self.setWindowIcon(icons.app_icon())

    @property
    def first_run(self) -> FirstRunPage:
        """The welcome page for a first start (no profile yet): built the first time it is needed."""
        if self._first_run is None:
            from desktop_app.ui.first_run import FirstRunPage

            self._first_run = FirstRunPage()
            self._first_run.create_profile.connect(self.open_profiles)
            self._first_run.try_demo.connect(self.start_demo)
            self._first_run.apply_theme(theme.colors().muted)
            self.pages.insertWidget(0, self._first_run)
        return self._first_run

    def _swap_tab(self, placeholder: QWidget, page: QWidget) -> None:
        """Put ``page`` where ``placeholder`` was, same icon, text and tip, without a tab change signal."""
        index, current = self.tabs.indexOf(placeholder), self.tabs.currentIndex()
        icon, text, tip = self.tabs.tabIcon(index), self.tabs.tabText(index), self.tabs.tabToolTip(index)
        self.tabs.blockSignals(True)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, page, icon, text)
        self.tabs.setTabToolTip(index, tip)
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)
        placeholder.deleteLater()
        if current == index:
            self._on_tab_changed(index)

    def _start_results_watch(self) -> None:
        from desktop_app.ui.results_watch import ResultsWatcher

        self.results = ResultsWatcher(self, wait_s=self._results_wait_s())
        self.results.results_arrived.connect(self._results_arrived)
        self.results.state_changed.connect(self._logs_access_changed)
        self._agents: dict[str, list] = {}  # profile → its users (api.logs.Agent), this session
        self._agents_timer = QTimer(self)
        self._agents_timer.setInterval(AGENTS_REFRESH_MS)
        self._agents_timer.timeout.connect(self.refresh_agents)
        self.status_panel.recording_requested.connect(self.results.open_recording)
        self.history_view.recording_requested.connect(self.results.open_recording)
        if self.resolved is not None:
            self._watch_results(self.resolved)

    def _results_wait_s(self) -> float:
        """How long a call may take to appear in the call log: the ``call_results_wait_min``
        preference (1 minute to a day), 30 minutes by default."""
        from desktop_app.call_results import DEFAULT_WAIT_S

        try:
            minutes = self.store.get_pref(RESULTS_WAIT_PREF, DEFAULT_WAIT_S / 60)
            return float(min(max(float(minutes), 1.0), 24 * 60) * 60)
        except (TypeError, ValueError):
            return float(DEFAULT_WAIT_S)
        except Exception:  # an unreadable settings file must not stop the window
            log.exception("could not read %s", RESULTS_WAIT_PREF)
            return float(DEFAULT_WAIT_S)

    def _watch_results(self, resolved: Resolved) -> None:
        """Look for the results of this profile's calls in its call log (with its API token)."""
        if not self.built:
            return  # finish_building starts watching the profile resolved by then
        from desktop_app.credentials import LogsAccess, resolve_logs_access

        name = resolved.profile.name
        demo = self.demo_session
        on_demo = name == DEMO_PROFILE_NAME and demo is not None and demo.running
        find: Callable[[], LogsAccess]
        if on_demo:
            server = demo.server  # type: ignore[union-attr]  # the sandbox plays the logs API too
            access = LogsAccess(server.config.logs_token, server.logs_url, "default", name)
            find = lambda: access  # noqa: E731
        else:
            profile = None if name == ENVIRONMENT_ENTRY else name
            env, store, secrets = self.env, self.store, self.secrets
            find = lambda: resolve_logs_access(profile, env=env, store=store, secrets=secrets)  # noqa: E731
        self.results.use(
            find,
            self.history_for(resolved),
            name,
            self.active_campaigns_dir(),
            unsaved_profile=name in (DEMO_PROFILE_NAME, ENVIRONMENT_ENTRY),
            min_interval_s=DEMO_RESULTS_INTERVAL_S if on_demo else None,  # the local sandbox
        )

    def _logs_access_changed(self) -> None:
        self.status_panel.set_result_watching(self.results.watching, self.results.note)
        profile = self.results.profile
        if self.results.access is None:
            self._agents_timer.stop()
            self.form.set_agents([], self.results.note)
        elif profile in self._agents:
            self.form.set_agents(self._agents[profile])
        else:
            self.refresh_agents()

    def refresh_agents(self) -> Task | None:
        """Read the company's users (for the agent picker) on a worker, with the profile's API token."""
        profile = self.results.profile
        task = self.results.read_agents()
        if task is not None:
            self._agents_timer.start()  # and again every few minutes while this profile is in use
            task.succeeded.connect(lambda agents: self._agents_read(profile, agents))
        return task

    def _agents_read(self, profile: str, agents: list) -> None:
        self._agents[profile] = agents
        if self.results.profile == profile:
            self.form.set_agents(agents)

    def _results_arrived(self, results: dict) -> None:
        self.status_panel.update_call_results(results)
        self.history_view.refresh()
        if self._campaigns_view is not None:
            self._campaigns_view.results_changed()
            self._campaigns_view.refresh_campaigns()

    @property
    def status_panel(self) -> StatusPanel:
        self._build_status_panel()
        assert self._status_panel is not None
        return self._status_panel

    @property
    def history_view(self) -> HistoryView:
        self._build_history_view()
        assert self._history_view is not None
        return self._history_view

    @property
    def built(self) -> bool:
        """Everything is built (the first paint shows only the Dial form)."""
        return self._built

    def when_painted(self, work: Callable[[], None]) -> None:
        """Run ``work`` once the window has first painted (at once after that; 250 ms if hidden)."""
        self._when_painted(work)

    def _build_menus(self) -> None:
        from PySide6.QtGui import QKeySequence  # the menus come after the first paint, and with them these

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Profiles…", "Ctrl+,", self.open_profiles, "profile")
        self._action(file_menu, "&Export history…", None, self.history_view.choose_export, "export")
        self.demo_action = self._action(file_menu, "Start &demo (sandbox)", None, self.start_demo, "demo")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", "Ctrl+Q", self.close, None)

        call_menu = bar.addMenu("&Call")
        self.call_action = self._action(call_menu, "&Place call", "Ctrl+Return", self.place_call, "call")
        self.call_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.cancel_action = self._action(call_menu, "&Cancel call", "Esc", self.cancel_call, "cancel")
        call_menu.addSeparator()
        for kind in CallKind:
            self._action(call_menu, kind.label, MODE_SHORTCUTS[kind], lambda k=kind: self.set_mode(k), None)
        self._action(call_menu, "Go to customer &number", "Ctrl+L", self.focus_number, None)
        self._action(call_menu, "Switch p&rofile", "Ctrl+P", self.focus_profiles, None)
        self._action(call_menu, "Refresh the &agents list", None, self.refresh_agents, None)

        view_menu = bar.addMenu("&View")
        self._action(view_menu, "&Dial", "Ctrl+D", lambda: self.tabs.setCurrentIndex(0), "call")
        self._action(view_menu, "&History", "Ctrl+H", lambda: self.tabs.setCurrentIndex(1), "history")
        self._action(view_menu, "&Campaigns", "Ctrl+K", lambda: self.tabs.setCurrentIndex(2), "campaigns")
        self._action(view_menu, "&Refresh history", "F5", self.history_view.refresh, None)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", "F1", self.show_shortcuts, "help")
        self._action(help_menu, "&Demo numbers", None, self.show_demo_numbers, "demo")
        self._action(help_menu, "Open &log folder", None, self.open_log_folder, "folder")
        self._action(help_menu, "&About OpDial", None, self.show_about, None)

    def _action(
        self, menu: QMenu, text: str, shortcut: str | None, slot: Callable[[], object], icon_name: str | None
    ) -> QAction:
        from PySide6.QtGui import QAction, QKeySequence

        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if icon_name:
            action.setIcon(icons.icon(icon_name))
        action.setToolTip(text.replace("&", "").rstrip("…"))
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        self.addAction(action)  # shortcuts work even with the menu bar hidden (macOS, tests)
        return action

    def apply_theme(self) -> None:
        colors = theme.colors()
        self.sandbox_banner.setStyleSheet(
            f"QFrame#sandboxBanner {{ background: {colors.sandbox_bg}; border-radius: 6px; }}"
            f" QFrame#sandboxBanner QLabel {{ color: {colors.sandbox_fg}; font-weight: bold; }}"
            f" QFrame#sandboxBanner QToolButton {{ color: {colors.sandbox_fg}; background: #ffe082;"
            f" border: 1px solid {colors.sandbox_fg}; border-radius: 4px; padding: 3px 8px; }}"
        )
        self.try_button.setIcon(icons.icon("demo", colors.sandbox_fg))
        self.profile_problem.setStyleSheet(
            f"background: {colors.warning_bg}; color: {colors.warning_fg}; border-radius: 6px; padding: 6px;"
        )
        self.link_bar.setStyleSheet(f"background: {colors.alt_base}; border: 1px solid {colors.accent};")
        self.profiles_button.setIcon(icons.icon("profile"))
        self.tabs.setTabIcon(0, icons.icon("call"))
        self.tabs.setTabIcon(1, icons.icon("history"))
        self.tabs.setTabIcon(2, icons.icon("campaigns"))
        self.form.apply_theme()
        if self._status_panel is not None:
            self._status_panel.apply_theme()
        if self._history_view is not None:
            self._history_view.apply_theme()
        if self._first_run is not None:
            self._first_run.apply_theme(colors.muted)
        self._paint_badge()

    # ------------------------------------------------------------------------------------------
    # profiles
    # ------------------------------------------------------------------------------------------

    def _env_has_credentials(self) -> bool:
        return any(
            (self.env.get(n) or "").strip() for n in (profiles.ENV_API_KEY, profiles.ENV_API_URL)
        )

    def profile_entries(self) -> list[str]:
        entries = []
        if self.demo_session is not None and self.demo_session.running:
            entries.append(DEMO_PROFILE_NAME)
        names = self.store.names()
        entries += names
        if not names and self._env_has_credentials():
            entries.append(ENVIRONMENT_ENTRY)
        return entries

    def _initial_choice(self, entries: list[str]) -> str | None:
        if not entries:
            return None
        wanted = (self.env.get(profiles.ENV_PROFILE) or "").strip()
        for candidate in (wanted, self.store.default_name(), self.store.get_pref("last_profile")):
            if candidate and candidate in entries:
                return candidate
        return entries[0]

    def reload_profiles(self, select: str | None = None) -> None:
        """Refill the switcher; show the first-run page when there is nothing to dial with."""
        entries = self.profile_entries()
        current = select if select in entries else None
        if current is None and self.resolved is not None and self.resolved.profile.name in entries:
            current = self.resolved.profile.name
        current = current or self._initial_choice(entries)
        self.profile_combo.blockSignals(True)
        self.profile_combo.clear()
        for name in entries:
            self.profile_combo.addItem(name)
        self.profile_combo.blockSignals(False)
        if current is None:
            self.resolved, self.resolving = None, False
            self._resolve_generation += 1  # an answer still on its way is for a profile now gone
            self.pages.setCurrentWidget(self.first_run)
            self.first_run.create_button.setFocus()
            return
        self.pages.setCurrentWidget(self.main_page)
        self.profile_combo.setCurrentText(current)
        self.use_profile(current)

    def _on_profile_chosen(self, index: int) -> None:
        name = self.profile_combo.itemText(index)
        self.use_profile(name)
        if name not in (DEMO_PROFILE_NAME, ENVIRONMENT_ENTRY):
            self.store.set_pref("last_profile", name)
        self.focus_number()

    def use_profile(self, name: str) -> None:
        """Prefill the form from the profile's settings at once; read its secrets off the GUI thread.

        A keyring may take seconds to answer (Secret Service waiting for an unlock prompt): until it
        has, Call stays disabled with "Unlocking keyring…" and the window keeps working.
        """
        self.resolved, self.resolve_error = None, None
        self._resolve_generation += 1
        generation = self._resolve_generation
        self._prefill_profile(self.store.get(name))
        if name == DEMO_PROFILE_NAME and self.demo_session is not None:
            self._profile_resolved(generation, name, self.demo_session.start())
            return
        self.resolving = True
        self.form.set_blocked(UNLOCKING_KEYRING, waiting=True)
        self._paint_badge(name)
        profile_name = None if name == ENVIRONMENT_ENTRY else name
        env, store = self.env, self.store

        def read_secrets() -> None:
            if generation != self._resolve_generation:
                return  # another profile was chosen before this one's read even started
            secrets = self.secrets  # here, after the paint: the keyring's module loads with it
            task = self.runner.start(
                "read the profile's secrets",
                lambda _cancel: _resolve_quietly(profile_name, env, store, secrets),
            )
            task.succeeded.connect(lambda result: self._profile_resolved(generation, name, result))
            task.failed.connect(
                lambda error: self._profile_resolved(generation, name, ConfigError(_keyring_failure(error)))
            )

        self._when_painted(read_secrets)

    def _when_painted(self, work: Callable[[], object]) -> None:
        """Run ``work`` once the window has first painted (at once after that)."""
        if self._painted:
            work()
        else:
            self._after_paint.append(work)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            QTimer.singleShot(0, self._run_after_paint)  # after this paint has reached the screen

    def _run_after_paint(self) -> None:
        if self._painted:
            return
        self._painted = True
        if not self._open_history():
            return  # nothing else runs: the window cannot work without its history
        self._next_after_paint()

    def _next_after_paint(self) -> None:
        """One piece of the work waiting for the paint per turn of the event loop, the next queued only
        once this one is done: input, repaints and timers get in between (zero-timers queued together
        would all run in one pass, back to back)."""
        if not self._after_paint:
            return
        work = self._after_paint.pop(0)

        def step() -> None:
            waiting = None
            try:
                waiting = work()
            finally:
                if isinstance(waiting, Task):  # it goes on on a worker: the next piece waits for it
                    waiting.finished.connect(self._next_after_paint)
                else:
                    self._next_after_paint()

        QTimer.singleShot(0, self, step)

    def _show_data_of(self, resolved: Resolved | None) -> None:
        """History and Campaigns show the demo's own data while on the demo, the real data otherwise."""
        history = self.history_for(resolved)
        if self._history_view is not None and self._history_view.history is not history:
            self.history_view.history = history
            self.history_view.refresh()
        if self._campaigns_view is not None:
            self._campaigns_view.refresh_campaigns()

    def _prefill_profile(self, profile: Profile | None) -> None:
        if profile is None:
            return
        defaults = (profile.default_region, profile.user_id, profile.caller_id, profile.region, profile.group)
        if defaults == self._prefilled:
            return  # already in the form: what the agent typed since stays
        self._prefilled = defaults
        self._history_region = profile.default_region
        if self._history_view is not None:
            self._history_view.default_region = profile.default_region
        self.form.set_profile_defaults(
            region=profile.default_region,
            user_id=profile.user_id,
            caller_id=profile.caller_id,
            routing_region=profile.region,
            group=profile.group,
        )

    def _profile_resolved(self, generation: int, name: str, result: Resolved | ConfigError) -> None:
        if generation != self._resolve_generation or self._closing:
            return  # the agent picked another profile meanwhile: this answer is for the old one
        self.resolving = False
        if isinstance(result, ConfigError):
            self.resolved, self.resolve_error = None, str(result)
        else:
            self.resolved, self.resolve_error = result, None
            self._prefill_profile(result.profile)  # the environment may override the settings
            self._watch_results(result)
        # The whole reason is in the notice at the top; beneath Call a long one would be said twice
        # and, in a window of the smallest size, clipped.
        problem = PROFILE_PROBLEM_ABOVE if self.resolve_error else "Choose a profile."
        self.form.set_blocked(None if self.resolved else problem)
        self.profile_problem.setText(
            f"{self.resolve_error}  (Profiles… to fix it)" if self.resolve_error else ""
        )
        self.profile_problem.setVisible(bool(self.resolve_error))
        self._paint_badge(name)
        self._update_banner()
        self._show_data_of(self.resolved)
        self.profile_changed.emit(name)
        if self._call_when_ready:
            self._call_when_ready = False
            self.place_call()

    def resolve_profile(self) -> Resolved:
        """The active profile and account, for views that place calls (campaigns)."""
        if self.resolving:
            raise ConfigError(f"{UNLOCKING_KEYRING} Try again in a moment.")
        if self.resolved is None:
            raise ConfigError(self.resolve_error or "Choose a profile first.")
        return self.resolved

    def _paint_badge(self, name: str | None = None) -> None:
        name = name or self.profile_combo.currentText() or "No profile"
        if self.resolved is not None:
            color = theme.badge_color_for(name, self.resolved.profile.color)
        else:
            stored = self.store.get(name)
            color = theme.badge_color_for(name, stored.color if stored else None)
        text = "SANDBOX" if self._is_sandbox() else name
        self.badge.setText(f"  {text}  ")
        self.badge.setStyleSheet(
            f"background: {color}; color: white; font-weight: bold; border-radius: 10px; padding: 4px 8px;"
        )
        self.badge.setToolTip(f"Dialling from: {name}")
        self.badge.setAccessibleDescription(f"Dialling from {name}")

    def _is_sandbox(self) -> bool:
        if self.resolved is None:
            return False
        if self.resolved.profile.name == DEMO_PROFILE_NAME:
            return True
        from urllib.parse import urlsplit

        return is_loopback_host(urlsplit(self.resolved.account.api_url).hostname or "")

    def _update_banner(self) -> None:
        demo = self.resolved is not None and self.resolved.profile.name == DEMO_PROFILE_NAME
        sandbox = self._is_sandbox()
        self.sandbox_banner.setVisible(sandbox)
        self.try_button.setVisible(demo)
        if demo:
            self._fill_try_menu()
            self.sandbox_label.setText(f"SANDBOX — no real calls. {DEMO_INTRO}")
        elif sandbox:
            self.sandbox_label.setText("SANDBOX — no real calls: this profile's API URL is on this computer.")

    def open_profiles(self) -> None:
        current = self.profile_combo.currentText()
        from desktop_app.ui.profiles_dialog import ProfilesDialog  # first use only: start-up stays light

        on_demo = current == DEMO_PROFILE_NAME and self.resolved is not None
        demo_profile = self.resolved.profile if on_demo and self.resolved is not None else None
        agents = self._agents if self.built else {}
        dialog = ProfilesDialog(
            self.store, self.secrets, self, select=current, demo_profile=demo_profile, agents=agents
        )
        # While on the demo, a profile saved in the dialog is listed, but the demo stays chosen.
        dialog.profiles_changed.connect(lambda name: self.reload_profiles(current if on_demo else name))
        self.profiles_dialog = dialog  # reachable by tests and the launcher
        dialog.exec()
        self.profiles_dialog = None
        chosen = dialog.editing or current
        if on_demo and chosen != current and not self._leave_demo_for(chosen):
            chosen = current
        self.reload_profiles(chosen)
        self.focus_number()

    def _leave_demo_for(self, name: str) -> bool:
        """Ask before leaving the sandbox for a real profile (default: stay in the demo)."""
        from PySide6.QtWidgets import QMessageBox

        box = message_box(
            QMessageBox.Icon.Question,
            "Leave the demo?",
            f"Switch from the demo to “{name}”?",
            self,
            informative=f"The demo places no real calls. Calls from “{name}” are real.",
        )
        switch = box.addButton(f"Switch to {name}", QMessageBox.ButtonRole.AcceptRole)
        stay = box.addButton("Stay in the demo", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        box.setObjectName("leaveDemo")
        box.exec()
        return box.clickedButton() is switch

    def focus_profiles(self) -> None:
        self.profile_combo.setFocus()
        self.profile_combo.showPopup()

    # ------------------------------------------------------------------------------------------
    # demo
    # ------------------------------------------------------------------------------------------

    def start_demo(self) -> None:
        """Start the in-process sandbox and switch to the demo profile (memory only)."""
        if self.demo_session is None:
            self.demo_session = DemoSession()
        self.demo_session.start()
        self._sync_demo_action()
        self.reload_profiles(DEMO_PROFILE_NAME)
        self.focus_number()

    def stop_demo(self) -> None:
        if self.demo_session is not None:
            self.demo_session.stop()
        self._sync_demo_action()

    def _sync_demo_action(self) -> None:
        if self.built:
            self.demo_action.setEnabled(not (self.demo_session is not None and self.demo_session.running))

    def _try_number(self, number: str) -> None:
        self.tabs.setCurrentIndex(0)
        self.form.customer.set_text(number)
        self.form.customer.edit.setFocus()

    # ------------------------------------------------------------------------------------------
    # calls
    # ------------------------------------------------------------------------------------------

    def set_mode(self, kind: CallKind) -> None:
        self.tabs.setCurrentIndex(0)
        self.form.set_kind(kind)

    def focus_number(self) -> None:
        if self.pages.currentWidget() is self.main_page:
            self.tabs.setCurrentIndex(0)
            self.form.customer.edit.setFocus()
            self.form.customer.edit.selectAll()

    def place_call(self) -> None:
        """Place the call in the form if it is valid and none is in flight (Ctrl+Return).

        While the profile's secrets are still being read, the call waits for them."""
        if self.resolving:
            self._call_when_ready = True
            return
        if self.pages.currentWidget() is self.main_page:
            self.tabs.setCurrentIndex(0)
            self.form.submit()

    @property
    def busy(self) -> bool:
        return self.current_task is not None

    def retry_unknown(self, shown: ShownResult) -> None:
        """Re-send a call whose outcome is unknown with its own reference_id: if the first send got
        through, MyOperator answers "already taken" and the call is shown as accepted, not placed twice."""
        if self.resolved is None or self.resolved.account != shown.account:
            self.statusBar().showMessage(
                "Switch back to the profile this call was made with to retry it.", 8000
            )
            return
        self._start_call(shown.outcome.request, resending=True)

    def _start_call(self, request: CallRequest, *, resending: bool = False) -> None:
        resolved = self.resolved
        if resolved is None or self.current_task is not None or self._closing:
            self.form.set_busy(self.current_task is not None)
            return
        if not resending:  # a re-send is the safe answer already; anything else may be a repeat
            chosen = self._guard(request, resolved)
            if chosen is None:
                self.form.set_busy(False)
                self.focus_number()
                return
            request, resending = chosen
        self.form.set_busy(True)  # the same progress for Call and Try again safely
        self.link_bar.setVisible(False)
        self.status_panel.show_busy(request.to, request.kind)
        history, client = self.history_for(resolved), self._client_for(resolved)
        profile_name = resolved.profile.name
        log.info(
            "%s %s call %s",
            "re-sending" if resending else "placing",
            request.kind.value,
            request.reference_id,
        )

        def work(cancel: threading.Event) -> tuple[Outcome, str | None]:
            outcome = client.place_call(request, cancel, resending=resending)
            try:
                history.record(outcome, profile_name, source="window")
            except Exception as error:  # the call went out: its outcome must still be shown
                log.exception("could not record call %s in history", request.reference_id)
                return outcome, _storage_words(error)
            return outcome, None

        self._job += 1
        job = self._job
        task = self.runner.start(f"call {request.reference_id}", work)
        task.succeeded.connect(lambda result: self._call_finished(result[0], resolved, job, result[1]))
        task.failed.connect(lambda details: self._call_crashed(details, request, resolved))
        self.current_task = task

    def last_call(self, kind: CallKind, to: str) -> call_guard.LastCall | None:
        """The latest call to ``to`` in this mode: this session's, or history's (also after a restart)."""
        from desktop_app.ui import call_guard

        mine = self._last_calls.get((kind, to))
        try:
            entry = self.active_history.last_call(kind, to)
        except Exception:  # a damaged history must not stop calls; the session's memory still guards
            log.exception("could not read history for the repeat guard")
            entry = None
        if entry is None or (mine is not None and entry.reference_id == mine.request.reference_id):
            return mine  # this session's own record of that call is the exact one
        stored = call_guard.LastCall.from_entry(entry)  # e.g. before a restart, or from the CLI
        return stored if mine is None or stored.when > mine.when else mine

    def _guard(self, request: CallRequest, resolved: Resolved) -> tuple[CallRequest, bool] | None:
        """Ask before a possible second call: ``(request, resending)`` to send, or None to send nothing."""
        from desktop_app.ui import call_guard

        last = self.last_call(request.kind, request.to)
        if last is None:
            return request, False
        if last.unknown or (last.accepted and self.clock() - last.when < call_guard.REPEAT_WINDOW_S):
            self.form.set_busy(True, "Waiting for your answer…")  # nothing goes out while it asks
        if last.unknown:
            choice = call_guard.ask_unknown(self, last)
            if choice is call_guard.Choice.RESEND:
                return self._resend_target(last, resolved)
            return (request, False) if choice is call_guard.Choice.NEW_CALL else None
        if last.accepted and self.clock() - last.when < call_guard.REPEAT_WINDOW_S:
            choice = call_guard.ask_repeat(self, last, self.clock())
            return (request, False) if choice is call_guard.Choice.NEW_CALL else None
        return request, False

    def _resend_target(
        self, last: call_guard.LastCall, resolved: Resolved
    ) -> tuple[CallRequest, bool] | None:
        same = (
            resolved.account == last.account if last.account else resolved.profile.name == last.profile_name
        )
        if not same:
            self.statusBar().showMessage(
                f"That call was made with the profile {last.profile_name}: switch to it to try again safely.",
                10000,
            )
            return None
        return last.request, True

    def _client_for(self, resolved: Resolved) -> ObdClient:
        """One client per account, reused: its TLS set-up and connections are not free."""
        client = self._clients.get(resolved.account)
        if client is None:
            client = self._clients[resolved.account] = self.client_factory(resolved)
        return client

    def _close_clients(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _call_finished(
        self, outcome: Outcome, resolved: Resolved, job: int | None = None, history_problem: str | None = None
    ) -> None:
        from desktop_app.ui import call_guard
        from desktop_app.ui.status_panel import ShownResult

        request = outcome.request
        self._last_calls[(request.kind, request.to)] = call_guard.LastCall(
            self.clock(), outcome.status, request, resolved.profile.name, resolved.account
        )
        agent_name = None
        if self.demo_session is not None and resolved.profile.name == DEMO_PROFILE_NAME:
            agent_name = self.demo_session.agent_name(request.user_id)
        shown = ShownResult(outcome, resolved.account, resolved.profile.name, agent_name=agent_name)
        if self.built and resolved is self.resolved:
            shown.watched, shown.result_note = self.results.watching, self.results.note
        if job is not None and job != self._job:  # a late answer to an older call: listed, not shown
            self.status_panel.remember(shown)
            return
        self.current_task = None
        self.form.set_busy(False)
        self.status_panel.show_result(shown)
        self._show_history_problem(history_problem)
        if history_problem is None:  # otherwise the status bar keeps saying history is not saved
            if outcome.accepted:
                self.statusBar().showMessage(f"Queued: {request.to}", 8000)
            elif outcome.problem is not None:  # never leave an older "Queued" beside a newer failure
                self.statusBar().showMessage(f"{outcome.problem.title}: {request.to}", 8000)
        self.history_view.refresh()
        self.call_finished.emit(outcome)
        if self.form.customer.edit.isVisible() and not self._closing:
            self.form.customer.edit.setFocus()
            self.form.customer.edit.selectAll()
            # Typing a new number replaces the old one, even after a click elsewhere and back.
            self.form.customer.replace_on_focus = True

    def _show_history_problem(self, problem: str | None) -> None:
        """Say plainly, and keep saying, that history is not being saved (the outcome is still shown)."""
        self.history_problem = problem
        self.status_panel.show_storage_problem(problem)
        if problem is not None:
            self.statusBar().showMessage(f"History is not being saved: {problem}")

    def _call_crashed(
        self, details: str, request: CallRequest | None = None, resolved: Resolved | None = None
    ) -> None:
        if request is not None and resolved is not None:  # it may have gone out: unknown, not forgotten
            from desktop_app.ui import call_guard

            self._last_calls[(request.kind, request.to)] = call_guard.LastCall(
                self.clock(), "failed", request, resolved.profile.name, resolved.account
            )
        self.current_task = None
        self.form.set_busy(False)
        self.status_panel.show_idle("The call could not be placed because of an unexpected error.")
        last_line = details.strip().splitlines()[-1]
        self.status_panel.body.setText(
            f"The outcome is unknown; check History before calling again.\n\n{last_line}"
        )
        self.status_panel.body.setVisible(True)
        self.call_finished.emit(None)

    def cancel_call(self) -> None:
        """Esc: stop waiting. The client aborts the attempt in flight and sends no retry; what was
        already sent may be queued, so the outcome is then unknown (Try again safely)."""
        if self.current_task is None:
            self.link_bar.setVisible(False)
            return
        self.current_task.cancel()
        self.form.set_busy(True, "Cancelling…")
        self.form.cancel_button.setEnabled(False)
        self.status_panel.show_cancelling()

    # ------------------------------------------------------------------------------------------
    # hooks for history, links and the launcher
    # ------------------------------------------------------------------------------------------

    def dial_again(self, entry: HistoryEntry) -> None:
        """Fill the form from a history entry. Call then asks first if that call is unknown (Try again
        safely re-sends it under its reference_id) or was queued moments ago."""
        self.tabs.setCurrentIndex(0)
        kind = entry.call_kind
        self.form.set_kind(kind)
        self.form.customer.set_text(entry.customer)
        if kind is CallKind.USER and entry.agent:
            self.form.agent_user_id.setText(entry.agent)
        if kind is CallKind.ANONYMOUS and entry.agent:
            self.form.agent_number.set_text(entry.agent)
        self.form.caller_id.setText(entry.caller_id)
        self.form.region.setText(entry.region)
        self.form.group.setText(entry.route_group)
        self.form.max_duration.setValue(entry.max_call_duration or 0)
        self.form.call_button.setFocus()
        if entry.unknown:
            self.statusBar().showMessage(
                "Form filled from history. That call's outcome is unknown: Call offers Try again safely.",
                10000,
            )
            return
        self.statusBar().showMessage("Form filled from history: check it, then press Call.", 8000)

    def prefill(self, intake: object, confirm: bool = True) -> None:
        """Fill the form from a ``links.LinkIntake``; with ``confirm=False`` place the call at once.

        The launcher decides about consent (confirm, or a finished countdown); this only shows.
        """
        self.show_and_raise()
        if self.pages.currentWidget() is not self.main_page:
            self.statusBar().showMessage("Set up a profile first; the number is kept in the form.", 8000)
        self.tabs.setCurrentIndex(0)
        kind = getattr(intake, "kind", None)
        if kind is not None:
            self.form.set_kind(kind)
        number = intake.number  # type: ignore[attr-defined]
        self.form.customer.set_text(number.e164)
        agent = getattr(intake, "agent", None)
        if agent is not None:
            self.form.agent_number.set_text(agent.e164)
        note = getattr(intake, "note", None)
        source = getattr(intake, "source", "text")
        text = f"From a {source} link: {number.international} ({number.country_name})"
        text += f". {note}" if note else ""
        text += ". Check it, then press Enter to call or Esc to dismiss." if confirm else ". Calling…"
        self.link_bar.setText(text)
        self.link_bar.setVisible(True)
        if not confirm:
            self.place_call()
        elif self.form.ready:
            self.form.call_button.setFocus()  # Enter/Space on it calls
        else:
            self.form.customer.edit.setFocus()

    def show_intake_error(self, message: str) -> None:
        self.show_and_raise()
        self.link_bar.setText(f"Not dialled: {message}")
        self.link_bar.setVisible(True)

    def show_and_raise(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def _fill_try_menu(self) -> None:
        if self.try_menu is None:
            from PySide6.QtWidgets import QMenu

            self.try_menu = QMenu(self.try_button)
            self.try_button.setMenu(self.try_menu)
            for number, text in try_these():
                action = self.try_menu.addAction(text)
                action.triggered.connect(lambda _=False, n=number: self._try_number(n))

    def _on_tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.history_page:
            self.history_view.refresh()
        elif self.tabs.widget(index) is self.campaigns_page:
            _ = self.campaigns_view

    @property
    def history(self) -> History:
        """The call history, opened on first use (just after the first paint, at the latest)."""
        if self._history is None:
            from desktop_app.history import History

            self._history = History()
        return self._history

    def _open_history(self) -> bool:
        from desktop_app.storage import StorageError

        try:
            _ = self.history  # opens it
        except StorageError as error:
            log.error("cannot open the history: %s", error)
            self.storage_failed.emit(error)
            return False
        return True

    def close_history(self) -> None:
        if self._history is not None:
            self._history.close()

    def history_for(self, resolved: Resolved | None) -> History:
        """The demo keeps its calls in its own history; every other profile uses the real one."""
        demo = self.demo_session
        if demo is not None and resolved is not None and resolved.profile.name == DEMO_PROFILE_NAME:
            return demo.history
        return self.history

    @property
    def active_history(self) -> History:
        return self.history_for(self.resolved)

    def active_campaigns_dir(self) -> Path | None:
        """Where the Campaigns tab keeps journals: the demo's own folder, or None for the real one."""
        demo = self.demo_session
        on_demo = self.resolved is not None and self.resolved.profile.name == DEMO_PROFILE_NAME
        return demo.campaigns_dir if demo is not None and on_demo else None

    @property
    def campaigns_view(self) -> CampaignsView:
        if self._campaigns_view is None:
            from desktop_app.ui import campaigns_view  # built on first use, so imported then too

            self._campaigns_view = campaigns_view.CampaignsView(
                resolve_profile=self.resolve_profile,
                parent=self.campaigns_page,
                campaigns_dir=self.active_campaigns_dir,
            )
            self.campaigns_page.layout().addWidget(self._campaigns_view)
        return self._campaigns_view

    # ------------------------------------------------------------------------------------------
    # help
    # ------------------------------------------------------------------------------------------

    def shortcuts_text(self) -> str:
        """The fixed list, plus any shortcut another part added to the window (e.g. the launcher)."""
        from PySide6.QtGui import QKeySequence

        listed = {k.split(" ")[0] for keys, _what in SHORTCUTS for k in keys.split(" / ")}
        lines = [f"{keys}\t{what}" for keys, what in SHORTCUTS]
        for action in self.actions():
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys and keys not in listed:
                lines.append(f"{keys}\t{action.text().replace('&', '').rstrip('…')}")
                listed.add(keys)
        return "\n".join(lines)

    def show_shortcuts(self) -> None:
        from desktop_app.ui import help_dialog  # loaded on first F1, not at start-up

        help_dialog.show_help(self, self.shortcuts_text())

    def show_demo_numbers(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        lines = "\n".join(text for _number, text in try_these())
        running = self.demo_session is not None and self.demo_session.running
        lead = DEMO_INTRO if running else "Start the demo (File ▸ Start demo) to use these numbers."
        box = message_box(QMessageBox.Icon.Information, "Demo numbers", f"{lead}\n\n{lines}", self)
        box.setObjectName("demoNumbers")
        box.exec()

    def open_log_folder(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from desktop_app.logging_setup import log_file

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_file().parent)))

    def show_about(self) -> None:
        from desktop_app.ui import about_dialog  # loaded when first opened, not at start-up

        about_dialog.show_about(self, self.secrets)

    # ------------------------------------------------------------------------------------------
    # shutdown
    # ------------------------------------------------------------------------------------------

    def shutdown(self, timeout_s: float = CLOSE_WAIT_S) -> bool:
        """Cancel and finish calls in flight (their outcomes are recorded), then stop the demo."""
        self._closing = True
        in_flight = bool(self.runner.in_flight())
        if in_flight:
            log.info("waiting for %d call(s) in flight before closing", len(self.runner.in_flight()))
            self.status_panel.show_cancelling()
        finished = self.runner.shutdown(timeout_s, grace_s=timeout_s / 2)  # an answer on its way wins
        if self._history_view is not None:
            self._history_view.runner.shutdown(timeout_s)  # a page or an export still being read
        if self.built:
            self.results.shutdown(timeout_s)
        QCoreApplication.sendPostedEvents()  # deliver the last results while the widgets exist
        if finished:
            self._close_clients()
        if self._campaigns_view is not None:  # pauses a running campaign
            finished = self._campaigns_view.shutdown() is not False and finished
        self.stop_demo()
        return finished

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_layout()
        self.shutdown()
        super().closeEvent(event)

    # Window size and position and the Dial page's split, kept in the settings file between runs.
    # (The tab is not: OpDial always opens on Dial with the focus in the customer number.)
    _LAYOUT_PREFS = ("window_geometry", "dial_splitter")

    def _save_layout(self) -> None:
        try:
            self.store.set_pref("window_geometry", bytes(self.saveGeometry().toBase64()).decode())
            self.store.set_pref("dial_splitter", bytes(self.dial_page.saveState().toBase64()).decode())
        except Exception:  # never stop a close over a preference
            log.exception("could not save the window layout")

    def restore_layout(self) -> None:
        """Size, position and split as the agent left them (a damaged value is ignored)."""
        try:
            geometry, split = (self.store.get_pref(key) for key in self._LAYOUT_PREFS)
        except Exception:
            log.exception("could not read the window layout")
            return
        if isinstance(geometry, str):
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode()))
        if isinstance(split, str):
            self.dial_page.restoreState(QByteArray.fromBase64(split.encode()))
