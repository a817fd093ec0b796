#!/usr/bin/env python3
"""Render the window's main states into docs/screenshots/*.png, offscreen, in light and dark.

    .venv/bin/python scripts/screenshots.py                 # refresh docs/screenshots
    .venv/bin/python scripts/screenshots.py --scale 2 --out /tmp/shots   # check 200% scaling

Everything runs against the in-process demo sandbox with a throwaway data dir and an in-memory
keyring, so it never touches your profiles, history or keyring.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--scale", type=float, default=1.0, help="QT_SCALE_FACTOR, e.g. 2 for 200%%")
    parser.add_argument("--themes", default="light,dark")
    return parser.parse_args()


def main() -> int:
    args = parse()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    os.environ["OPDIAL_DATA_DIR"] = tempfile.mkdtemp(prefix="opdial-shots-")
    for name in [n for n in os.environ if n.startswith("OPDIAL_") and n != "OPDIAL_DATA_DIR"]:
        del os.environ[name]
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from desktop_app.api.models import CallKind
    from desktop_app.credentials import Profile, ProfileStore, SecretStore
    from desktop_app.history import History
    from desktop_app.ui import theme
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.profiles_dialog import ProfilesDialog
    from tests.keyring_double import MemoryKeyring  # never the developer's own keyring

    app = QApplication.instance() or QApplication(["OpDial"])
    store, secrets = ProfileStore(), SecretStore(MemoryKeyring())
    store.save(
        Profile(
            name="Acme Sales",
            company_id="acme-1234",
            public_ivr_id="5f3c9a1b2c3d",
            user_id="a1b2c3d4e5f60718",
            caller_id="+918047000000",
        )
    )
    secrets.set_secrets("Acme Sales", "example-api-key-0000", "example-secret-0000")
    suffix = "" if args.scale == 1 else f"@{args.scale:g}x"
    shots: list[Path] = []

    def save(widget: QWidget, name: str, scheme: str) -> None:
        app.processEvents()
        path = args.out / f"{scheme}-{name}{suffix}.png"
        widget.grab().save(str(path))
        shots.append(path)

    def settle(done, timeout_s: float = 10.0) -> None:
        """Let background work (keyring reads, history pages) arrive before taking the picture."""
        import time

        deadline = time.monotonic() + timeout_s
        while not done() and time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def call(window: MainWindow, number: str, kind: CallKind) -> None:
        window.form.set_kind(kind)
        window.form.customer.set_text(number)
        loop = QEventLoop()
        window.call_finished.connect(loop.quit)
        QTimer.singleShot(15_000, loop.quit)
        window.place_call()
        loop.exec()
        window.call_finished.disconnect(loop.quit)

    for scheme in args.themes.split(","):
        history = History(Path(tempfile.mkdtemp()) / "history.sqlite3")  # each theme starts empty
        theme.install(app, scheme)  # type: ignore[arg-type]
        first = MainWindow(
            store=ProfileStore(Path(tempfile.mkdtemp()) / "s.json"), secrets=secrets, history=history
        )
        first.resize(960, 640)
        first.show()
        save(first, "first-run", scheme)
        first.close()

        window = MainWindow(store=store, secrets=secrets, history=history, demo=True)
        window.resize(1040, 680)
        window.show()
        settle(lambda w=window: w.built and not w.resolving)  # the rest is built just after the paint
        call(window, "+919876543210", CallKind.USER)
        save(window, "user-dial", scheme)
        window.resize(880, 600)  # the smallest window: nothing may clip
        window.status_panel.details_toggle.setChecked(True)
        save(window, "user-dial-smallest", scheme)
        window.status_panel.details_toggle.setChecked(False)
        window.resize(1040, 680)
        window.form.set_kind(CallKind.ANONYMOUS)
        window.form.customer.set_text("098765 43210")
        window.form.agent_number.set_text("+91 98765 0000")  # one digit short: shows the reason
        window.status_panel.show_idle()
        save(window, "anonymous-dial-invalid-agent", scheme)
        call(window, "+442079460000", CallKind.IVR)
        save(window, "ivr-call", scheme)
        call(window, "+919000000403", CallKind.USER)
        window.status_panel.details_toggle.setChecked(True)
        save(window, "error-auth-failed", scheme)
        window.status_panel.details_toggle.setChecked(False)
        window.tabs.setCurrentWidget(window.history_view)
        view = window.history_view
        settle(lambda v=view: v.runner.idle and not v._stale)
        save(window, "history", scheme)
        window.tabs.setCurrentWidget(window.campaigns_page)
        save(window, "campaigns", scheme)
        window.resize(880, 600)
        save(window, "campaigns-smallest", scheme)
        window.resize(1040, 680)

        dialog = ProfilesDialog(store, secrets, window, select="Acme Sales")
        dialog.resize(820, 620)
        dialog.show()
        settle(lambda d=dialog: d.runner.idle and d.keyring_usable is not None)
        save(dialog, "profiles", scheme)
        dialog.close()
        window.close()
        history.close()

    for path in shots:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
