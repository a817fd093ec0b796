"""``opdial``: build the application, the window, and hand it what came on the command line.

The pieces are separate so the launcher can plug in without rewriting them:

- ``parse_args(argv)``: ``--demo``, ``--theme``, ``--profile``, and one optional link/number.
- ``create_app(argv)``: the ``QApplication`` with name, theme, and (``finish_app``, which
  ``run_gui`` runs just after the first paint) icon, logging and crash dialog.
- ``create_window(options)``: the ``MainWindow``.
- ``set_intake_handler(fn)``: how a link or number reaches the window (default: parse it with
  ``links.parse_intake`` and ``window.prefill(intake, confirm=True)``, never dial by itself).
- ``STARTUP_HOOKS``: callables ``(app, window, options)`` run after the window exists and before
  the command-line link is delivered. A hook may return False to stop the start-up (e.g. the
  argument was handed to an already running instance).
- The launcher (``ui/launcher.py``: single instance, tray, macOS open events): the instance lock is
  claimed before the app (``hand_over`` only when another OpDial holds it), ``install_early`` on
  macOS, then ``attach`` just after the first paint (before it, for a window starting in the tray).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop_app import APP_NAME, APP_ORG, __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)


@dataclass
class Options:
    """What the command line asked for (``parse_args``)."""

    demo: bool = False
    theme: str | None = None
    profile: str | None = None
    link: str | None = None
    tray: bool = False
    dial_clipboard: bool = False
    extra: tuple[str, ...] = ()


def parse_args(argv: list[str]) -> Options:
    if not argv:  # the usual start: argparse (and the gettext/locale it loads) is not needed
        return Options()
    parser = argparse.ArgumentParser(prog="opdial", description="OpDial: place calls through MyOperator.")
    parser.add_argument("--demo", action="store_true", help="use a local sandbox and a demo profile")
    parser.add_argument(
        "--theme", choices=("auto", "light", "dark"), help="colour scheme (default: the OS's)"
    )
    parser.add_argument("--profile", help="profile to select at start")
    parser.add_argument("--tray", action="store_true", help="start minimised to the tray")
    parser.add_argument("--dial-clipboard", action="store_true", help="dial the number on the clipboard")
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="check this installation (Qt, keyring, numbers, the window) and exit; 0 when all is well",
    )  # handled in desktop_app.__main__ before any GUI start-up; listed here for --help
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("link", nargs="?", help="a number or tel:/callto:/opdial: link to prefill")
    args, extra = parser.parse_known_args(argv)
    return Options(
        demo=args.demo,
        theme=args.theme,
        profile=args.profile,
        link=args.link,
        tray=args.tray,
        dial_clipboard=args.dial_clipboard,
        extra=tuple(extra),
    )


GIL_SWITCH_INTERVAL_S = 0.0005


def keep_the_gui_thread_responsive() -> None:
    """Let the GUI thread take the GIL back within 0.5 ms instead of Python's default 5 ms.

    Painting a table calls into Python hundreds of times; while a worker checks 100,000 numbers,
    each of those calls waited up to 5 ms for the GIL (a 400 ms stall for one repaint). Workers
    lose little: they switch more often only while the GUI thread actually wants to run.
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def settle_after_start() -> None:
    """Keep start-up's objects (modules, classes, the window's wrappers) out of the garbage
    collector's full passes from now on, and end the pause ``__main__`` began (see
    ``desktop_app.collector``). A full pass holds the GIL: a 100,000-row list import ran three of
    them, up to 48 ms each, before start-up's objects were frozen (measured by bench/responsiveness.py).
    """
    from desktop_app import collector

    collector.end_start_pause()


def create_app(argv: list[str], options: Options | None = None, *, finish: bool = True) -> QApplication:
    """The application. ``finish=False`` leaves icon, logging and crash dialog to ``finish_app``."""
    from desktop_app.ui import theme

    keep_the_gui_thread_responsive()
    app = QApplication.instance() or QApplication([APP_NAME, *(options.extra if options else ())])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_ORG)
    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("opdial")
    theme.install(app, options.theme if options else None)
    if finish:
        finish_app(app)
    return app  # type: ignore[return-value]


def finish_app(app: QApplication) -> None:
    """Icon, log file, crash dialog and the OS colour scheme read itself: nothing the first paint
    needs, so they come just after it (no Qt callback of OpDial's runs before then; a start-up
    failure still reaches the terminal)."""
    from desktop_app.logging_setup import setup_logging
    from desktop_app.ui import icons, theme
    from desktop_app.ui.crash import install_excepthook

    theme.follow_os_scheme()
    _quit_on_ctrl_c(app)
    app.setWindowIcon(icons.app_icon())
    path = setup_logging()
    install_excepthook()
    log.info("%s %s starting; log at %s", APP_NAME, __version__, path)


def _quit_on_ctrl_c(app: QApplication) -> None:
    """Ctrl+C in the terminal quits cleanly (the demo sandbox stops, calls in flight finish)."""
    if threading.current_thread() is not threading.main_thread():
        return
    import signal

    signal.signal(signal.SIGINT, lambda *_: app.quit())
    if not hasattr(app, "_opdial_signal_timer"):
        timer = QTimer(app)
        timer.start(300)  # wake the event loop now and then so Python can run the handler
        timer.timeout.connect(lambda: None)
        app._opdial_signal_timer = timer  # type: ignore[attr-defined]


def create_window(options: Options):  # -> MainWindow (imported lazily: keeps --version fast)
    from desktop_app.ui.main_window import MainWindow

    env = dict(os.environ)
    if options.profile:
        env["OPDIAL_PROFILE"] = options.profile
    return MainWindow(env=env, demo=options.demo)


IntakeHandler = Callable[[object, str], None]


def default_intake(window, text: str) -> None:
    """Parse a link/number and prefill the form; the agent confirms with Enter."""
    from desktop_app.links import parse_intake
    from desktop_app.numbers import NumberError

    region = window.form.default_region
    try:
        intake = parse_intake(text, region)
    except NumberError as error:
        window.show_intake_error(error.reason)
        return
    window.prefill(intake, confirm=True)


_intake_handler: IntakeHandler = default_intake
StartupHook = Callable[[QApplication, object, Options], "bool | None"]
STARTUP_HOOKS: list[StartupHook] = []


def set_intake_handler(handler: IntakeHandler) -> None:
    global _intake_handler
    _intake_handler = handler


def deliver_intake(window, text: str) -> None:
    """Every intake path (command line, second instance, macOS open event) comes through here."""
    log.info("intake received (%d characters)", len(text))
    _intake_handler(window, text)


def storage_problem_dialog(message: str) -> QMessageBox:
    """OpDial cannot keep its files: say what and where, instead of no window at all."""
    from PySide6.QtWidgets import QMessageBox

    from desktop_app.ui.widgets import message_box

    box = message_box(
        QMessageBox.Icon.Critical,
        f"{APP_NAME} cannot start",
        message,
        informative=f"{APP_NAME} keeps its settings, call history and log in that folder and cannot work "
        "without it.",
    )
    box.setAccessibleName("OpDial cannot save its data")
    return box


def show_storage_notices(parent: QWidget | None = None) -> QMessageBox | None:
    """Damaged files found at start (set aside and recovered): one dialog that says what happened."""
    from desktop_app.storage import take_notices

    notices = take_notices()
    if not notices:
        return None
    from PySide6.QtWidgets import QMessageBox

    from desktop_app.ui.widgets import message_box

    text = "\n\n".join(notices)
    box = message_box(QMessageBox.Icon.Warning, f"{APP_NAME} repaired damaged files", text, parent)
    box.setAccessibleName("Damaged files were repaired")
    box.open()
    return box


def _make_launcher(lock=None):
    """The launcher: single instance, tray, links."""
    from desktop_app.ui.launcher import Launcher

    return Launcher(lock=lock)


def _claim_instance():
    """The instance lock (standard library only), claimed before anything else: (lock, launcher).

    The launcher itself (QtNetwork, tray, links) is loaded only when needed before the first paint:
    to hand this launch to a running OpDial, or on macOS, where a clicked link may arrive as an open
    event before the window exists. Otherwise it comes just after the paint.
    """
    from desktop_app.instance_lock import Claim, InstanceLock

    lock = InstanceLock.in_data_dir()
    if lock.claim() is not Claim.OURS or sys.platform == "darwin":
        return lock, _make_launcher(lock)
    return lock, None


def run_gui(argv: list[str], *, use_launcher: bool = True) -> int:
    """Start OpDial. The window paints its Dial form first; the rest waits for that paint:
    the window's other parts (``MainWindow.finish_building``), then the launcher's server, tray
    and hotkey, then the keyring read. A window that starts hidden in the tray gets all at once."""
    from desktop_app.ui.tray_prefs import may_start_hidden

    options = parse_args(argv)
    lock, launcher = _claim_instance() if use_launcher else (None, None)
    attached: list = []  # the launcher, once attached (after the paint; before it for a hidden start)
    if launcher is not None and launcher.hand_over(options):
        return 0  # a running OpDial took the link; this process is done
    app = create_app(argv, options, finish=False)
    if launcher is not None:
        launcher.install_early(app)  # macOS may deliver a clicked link before the window exists
    from desktop_app.storage import StorageError

    try:
        window = create_window(options)
    except StorageError as error:  # no window without somewhere to keep history and settings
        return _cannot_start(app, error)
    window.storage_failed.connect(lambda error: app.exit(_cannot_start(app, error, window)))
    window.when_painted(lambda: finish_app(app))
    for hook in STARTUP_HOOKS:
        if hook(app, window, options) is False:
            window.shutdown()
            return 0
    window.restore_layout()
    hidden = use_launcher and may_start_hidden(options, window.store)
    if hidden:  # the tray must exist to come back from
        launcher = launcher or _make_launcher(lock)
        try:
            window.finish_building()
        except StorageError as error:
            return _cannot_start(app, error, window)
        if not _attach(launcher, app, window, options, attached):
            return 0
        hidden = launcher.starts_hidden(options)
    if not hidden:
        window.show()
        window.focus_number()
        if use_launcher and (launcher is None or launcher.window is None):
            window.when_painted(lambda: _attach_after_paint(launcher, lock, app, window, options, attached))
    QTimer.singleShot(0, lambda: show_storage_notices(window))
    if options.link:
        link = options.link
        window.when_painted(lambda: deliver_intake(window, link))
    window.when_painted(settle_after_start)  # last: after the rest of the window is built
    code = app.exec()
    window.shutdown()
    for started in attached:
        started.shutdown()
    window.close_history()
    log.info("%s exiting with %s", APP_NAME, code)
    return code


def _cannot_start(app: QApplication, error: Exception, window=None) -> int:
    """No window without somewhere to keep history and settings: say what and where; exit code 2."""
    if window is not None:
        window.hide()
        window.shutdown()
    finish_app(app)  # the log says why (on the terminal, when its folder is the problem)
    log.error("cannot start: %s", error)
    storage_problem_dialog(str(error)).exec()
    return 2


def _attach_after_paint(launcher, lock, app: QApplication, window, options: Options, attached: list) -> None:
    if not _attach(launcher or _make_launcher(lock), app, window, options, attached):
        app.quit()


def _attach(launcher, app: QApplication, window, options: Options, attached: list) -> bool:
    """The launcher's start-up step; False when another OpDial became the primary and took the link."""
    attached.append(launcher)  # shut down at exit either way (it holds the instance lock)
    if launcher.attach(app, window, options):
        return True
    window.shutdown()
    return False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_gui(sys.argv[1:]))
