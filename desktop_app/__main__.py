"""``python -m desktop_app`` and the ``opdial`` gui-script: the window."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--self-check" in args:
        # Before any GUI start-up: a check of this copy (frozen or source), fine on a headless box.
        from desktop_app.selfcheck import console_stream, has_display, run_self_check

        if not os.environ.get("QT_QPA_PLATFORM") and not has_display():
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return run_self_check(console_stream())

    _import_the_qt_free_core_first()
    from desktop_app.ui.app import run_gui

    _add_startup_probe()
    return run_gui(args)


def _import_the_qt_free_core_first() -> None:
    """The Qt-free modules the first paint needs, imported before PySide6: once loaded, PySide6
    reads the source of every module imported after it (looking for ``from __feature__``), ~0.1 ms
    a module, ~2 ms in all before the window could show (issue 12)."""
    # credentials brings config, storage, api.models, json and platformdirs with it
    from desktop_app import credentials, instance_lock, numbers_countries, startup_probe  # noqa: F401


def _add_startup_probe() -> None:
    """``OPDIAL_EXIT_AFTER_SHOWN=1`` (bench/packaging_budget.py): report when the window is shown, quit."""
    from desktop_app.startup_probe import install_startup_probe, startup_probe_requested

    if startup_probe_requested():
        from desktop_app.ui.app import STARTUP_HOOKS

        STARTUP_HOOKS.append(lambda app, _window, _options: install_startup_probe(app))


if __name__ == "__main__":
    sys.exit(main())
