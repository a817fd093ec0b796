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

    from desktop_app import collector

    collector.pause_for_start()  # until the window is up: ui.app.settle_after_start ends it
    _skip_pysides_source_scan()
    from desktop_app.ui.app import run_gui

    _add_startup_probe()
    return run_gui(args)


def _skip_pysides_source_scan() -> None:
    """PySide6 reads the whole source of every module an import statement names after it has
    loaded (its ``__feature__`` hook looks for the word "PySide6" to know which modules may switch
    on snake_case names): ~0.1 ms a module, ~4 ms before the first paint and more after it
    (issue 12). OpDial switches on no feature, so every module gets Qt's default names either way:
    answer "uses PySide6" without reading. Without that hook (another PySide6), nothing changes."""
    import PySide6  # noqa: F401  (installs the hook)

    feature = sys.modules.get("shibokensupport.feature")
    if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
        feature._mod_uses_pyside = _uses_qts_default_names


def _uses_qts_default_names(_module: object) -> bool:
    return True


def _add_startup_probe() -> None:
    """``OPDIAL_EXIT_AFTER_SHOWN=1`` (bench/packaging_budget.py): report when the window is shown, quit."""
    from desktop_app.startup_probe import install_startup_probe, startup_probe_requested

    if startup_probe_requested():
        from desktop_app.ui.app import STARTUP_HOOKS

        STARTUP_HOOKS.append(lambda app, _window, _options: install_startup_probe(app))


if __name__ == "__main__":
    sys.exit(main())
