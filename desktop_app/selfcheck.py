"""``opdial --self-check``: prove that this copy of OpDial (frozen or from source) is complete.

It prints the version, the Qt/PySide version, the keyring backend in use, parses a non-Indian
number, loads the icons and builds the main window offscreen, then exits 0 — or 1 with the reasons.
CI runs it on the PyInstaller build, so a module or data file the spec forgot fails the build here
rather than on an agent's desk.

A missing *secure keyring service* (e.g. no Secret Service on a headless CI box) is reported as a
warning, not a failure: that is the machine's state, not the build's. The keyring *backends* for
this OS must be bundled, though, and that is checked.

The start-up probe ``bench/packaging_budget.py`` times the window with lives in
``desktop_app.startup_probe`` (re-exported here).

Imports stay inside functions: the GUI imports this module on every start.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TextIO

from desktop_app.startup_probe import (  # noqa: F401 (re-exported)
    EXIT_AFTER_SHOWN_ENV,
    SHOWN_MARKER,
    install_startup_probe,
    startup_probe_requested,
)

REPORT_FILE_ENV = "OPDIAL_SELF_CHECK_REPORT"
SAMPLE_NUMBER = "+44 20 7946 0000"  # fictional (Ofcom drama range), and deliberately not Indian
SAMPLE_E164 = "+442079460000"


class CheckFailed(Exception):
    """One check's failure, with a reason a person can act on."""


class CheckWarning(Exception):
    """Something the user should know that does not make this copy broken."""


class _Report:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.failures: list[str] = []

    def run(self, label: str, check: Callable[[], str]) -> None:
        try:
            detail = check()
        except CheckFailed as failure:
            self._fail(label, str(failure))
        except CheckWarning as warning:
            print(f"warn  {label}: {warning}", file=self.out)
        except Exception as error:  # anything unexpected is a failure with its type, never a crash
            self._fail(label, f"{type(error).__name__}: {error}")
        else:
            print(f"ok    {label}: {detail}", file=self.out)

    def _fail(self, label: str, reason: str) -> None:
        self.failures.append(f"{label}: {reason}")
        print(f"FAIL  {label}: {reason}", file=self.out)


def run_self_check(out: TextIO = sys.stdout) -> int:
    """Run every check, print one line each, return the process exit code (0 = all passed)."""
    from desktop_app import APP_NAME, __version__

    report = _Report(out)
    print(f"{APP_NAME} {__version__} self-check ({_how_running()})", file=out)
    report.run("version", lambda: __version__)
    report.run("Qt", _qt_versions)
    report.run("keyring backends bundled", _keyring_backends_bundled)
    report.run("keyring", _keyring_in_use)
    report.run("phone numbers", _parse_sample_number)
    report.run("Qt plugins", _qt_plugins)
    report.run("Qt text data", _qt_text_data)
    report.run("icons", _icons)
    report.run("single instance", _local_socket)
    report.run("main window", _build_main_window)
    if report.failures:
        print(f"self-check FAILED ({len(report.failures)}):", file=out)
        for failure in report.failures:
            print(f"  - {failure}", file=out)
        out.flush()
        return 1
    print("self-check passed", file=out)
    out.flush()
    return 0


def console_stream() -> TextIO:
    """Where the report goes: ``OPDIAL_SELF_CHECK_REPORT`` (a file, for build scripts), else stdout.

    A windowed Windows exe has no stdout: it borrows the console of the shell that started it
    (``opdial.exe --self-check`` from cmd or PowerShell) when there is one.
    """
    report_file = os.environ.get(REPORT_FILE_ENV)
    if report_file:
        return open(report_file, "w", encoding="utf-8")  # open until exit
    if sys.stdout is not None:
        return sys.stdout
    if sys.platform == "win32":
        import ctypes

        attach_parent_process = -1
        if ctypes.windll.kernel32.AttachConsole(attach_parent_process):  # type: ignore[attr-defined]
            return open("CONOUT$", "w", encoding="utf-8", errors="replace")  # open until exit
    return open(os.devnull, "w", encoding="utf-8")  # only the exit code can report


def _how_running() -> str:
    if getattr(sys, "frozen", False):
        return f"frozen build in {os.path.dirname(sys.executable)}"
    return f"from source, Python {sys.version.split()[0]}"


def _qt_versions() -> str:
    import PySide6
    from PySide6 import QtCore

    return f"Qt {QtCore.qVersion()}, PySide6 {PySide6.__version__}, platform {_application().platformName()}"


def _application():  # -> QApplication; created on demand, offscreen when there is no display
    from PySide6.QtWidgets import QApplication

    if not os.environ.get("QT_QPA_PLATFORM") and not has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return QApplication.instance() or QApplication([sys.argv[0]])


def has_display() -> bool:
    """Whether a window could appear: always on Windows/macOS, needs X11/Wayland elsewhere."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# Backends that must be in the build for each OS, by keyring entry-point name and module.
_EXPECTED_BACKENDS = {
    "linux": {"SecretService": ("keyring.backends.SecretService", "secretstorage", "jeepney")},
    "win32": {"Windows": ("keyring.backends.Windows", "win32ctypes.pywin32.win32cred")},
    "darwin": {"macOS": ("keyring.backends.macOS",)},
}


def _keyring_backends_bundled() -> str:
    """The keyring's entry points (its plugin list) and this OS's backend modules must be present."""
    import importlib
    from importlib.metadata import entry_points

    names = sorted(ep.name for ep in entry_points(group="keyring.backends"))
    expected = _EXPECTED_BACKENDS.get("linux" if sys.platform.startswith("linux") else sys.platform, {})
    missing = [name for name in expected if name not in names]
    if missing:
        raise CheckFailed(f"keyring plugin list lacks {', '.join(missing)} (keyring metadata not bundled?)")
    for modules in expected.values():
        for module in modules:
            try:
                importlib.import_module(module)
            except ImportError as error:
                raise CheckFailed(f"{module} is missing: {error}") from error
    return ", ".join(names)


def _keyring_in_use() -> str:
    try:
        from desktop_app.credentials import SecretStore
    except ImportError:  # credentials.py not present in this checkout: ask keyring directly
        import keyring

        backend = keyring.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__qualname__}"
    status = SecretStore().status()
    if not status.usable:
        raise CheckWarning(f"{status.backend_name} — {status.explanation}")
    return status.backend_name


def _parse_sample_number() -> str:
    from desktop_app.numbers import normalise

    parsed = normalise(SAMPLE_NUMBER, "IN")
    if parsed.e164 != SAMPLE_E164 or parsed.region != "GB":
        raise CheckFailed(
            f"{SAMPLE_NUMBER!r} parsed as {parsed.e164} ({parsed.region}), not {SAMPLE_E164} (GB)"
        )
    if "Europe/London" not in parsed.time_zones:  # phonenumbers' time-zone data, loaded lazily
        raise CheckFailed(f"time zones for {SAMPLE_E164} not found: {parsed.time_zones}")
    return f"{SAMPLE_NUMBER} → {parsed.e164}, {parsed.country_name}, {parsed.international}"


def _qt_plugins() -> str:
    from PySide6.QtGui import QImageReader

    _application()
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    missing = {"svg", "png", "ico"} - formats
    if missing:
        raise CheckFailed(f"image format plugins missing: {', '.join(sorted(missing))}")
    return f"image formats {', '.join(sorted(formats & {'svg', 'png', 'ico', 'icns', 'jpeg'}))}"


def _qt_text_data() -> str:
    """What QtCore asks ICU for, which Linux builds bundle trimmed (packaging/icu_trim.py)."""
    if not sys.platform.startswith("linux"):
        return "from the operating system"
    from PySide6.QtCore import QByteArray, QCollator, QLocale, QStringDecoder, QTimeZone

    if QCollator(QLocale("en_IN")).compare("apple", "Banana") >= 0:
        raise CheckFailed("collation does not work (ICU collation data missing?)")
    if QLocale("tr_TR").toUpper("i") != "\u0130":
        raise CheckFailed("locale-aware case mapping does not work (ICU data missing?)")
    if not QStringDecoder("windows-1252").isValid():
        raise CheckFailed("code-page converters missing (ICU converter data)")
    zone = QTimeZone(QByteArray(b"Asia/Kolkata"))
    long_name = QTimeZone.NameType.LongName
    name = zone.displayName(QTimeZone.TimeType.StandardTime, long_name, QLocale("en_US"))
    if not name:
        raise CheckFailed("time-zone names missing (ICU zone data)")
    return f"collation, case mapping, code pages, time-zone names ({name})"


def _icons() -> str:
    from PySide6.QtSvg import QSvgRenderer

    from desktop_app.ui.icons import icons_dir

    _application()
    path = icons_dir() / "opdial.svg"
    if not path.is_file():
        raise CheckFailed(f"app icon missing: {path} (resources/ not bundled?)")
    if not QSvgRenderer(str(path)).isValid():
        raise CheckFailed(f"app icon cannot be drawn: {path}")
    count = len(list(icons_dir().glob("*.svg")))
    return f"{count} SVG icons in {icons_dir()}"


def _local_socket() -> str:
    """QtNetwork's local sockets carry a second launch's link to the running window."""
    from PySide6.QtNetwork import QLocalServer

    server = QLocalServer()
    name = f"opdial-selfcheck-{os.getpid()}"
    if not server.listen(name):
        raise CheckFailed(f"cannot listen on a local socket: {server.errorString()}")
    server.close()
    return "QLocalServer works"


def _build_main_window() -> str:
    """Build (not show) the real main window, in a throwaway data folder so no user file changes."""
    import tempfile

    app = _application()
    saved = os.environ.get("OPDIAL_DATA_DIR")
    with tempfile.TemporaryDirectory(prefix="opdial-selfcheck-", ignore_cleanup_errors=True) as scratch:
        if saved is None:
            os.environ["OPDIAL_DATA_DIR"] = scratch
        try:
            window = _new_main_window()
            title, kind = window.windowTitle(), type(window).__name__
            _dispose(window)
            app.processEvents()
        finally:
            if saved is None:
                os.environ.pop("OPDIAL_DATA_DIR", None)
    return f"{kind} built, not shown ({title!r}, {app.platformName()} platform)"


def _new_main_window():  # -> QMainWindow
    try:
        from desktop_app.ui.app import Options, create_window
    except ImportError as error:
        if error.name not in ("desktop_app.ui.app", "desktop_app.ui.main_window"):
            raise
        # An early checkout without the window: a plain QMainWindow still proves QtWidgets works.
        from PySide6.QtWidgets import QMainWindow

        window = QMainWindow()
        window.setWindowTitle("OpDial")
        return window
    return create_window(Options())


def _dispose(window) -> None:
    """Stop the window's workers and close its files (Windows cannot delete open files)."""
    shutdown = getattr(window, "shutdown", None)
    if callable(shutdown):
        shutdown()
    history = getattr(window, "history", None)
    if history is not None and callable(getattr(history, "close", None)):
        history.close()
    window.close()
    window.deleteLater()
