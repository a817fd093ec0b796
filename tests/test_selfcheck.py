"""``opdial --self-check`` from source, and the start-up probe the packaging budget relies on.

The same check on the frozen build runs in .ci/packaging-smoke.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import desktop_app
from desktop_app import selfcheck

ROOT = Path(__file__).resolve().parents[1]


def run_opdial(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def headless_env(tmp_path: Path) -> dict[str, str]:
    """No display, no session bus, and every per-user folder inside tmp_path."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / "home" / name.lower())
    env["XDG_RUNTIME_DIR"] = str(tmp_path / "run")
    (tmp_path / "run").mkdir(mode=0o700)
    return env


@pytest.mark.slow
def test_self_check_from_source_passes_headless_and_reports_each_part(tmp_path: Path) -> None:
    env = headless_env(tmp_path)
    env.pop("OPDIAL_DATA_DIR")  # the real default folders (inside tmp_path): it must not touch them

    result = run_opdial(["--self-check"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"{desktop_app.APP_NAME} {desktop_app.__version__} self-check (from source" in out
    assert "ok    Qt: Qt 6." in out and "platform offscreen" in out  # chose offscreen by itself
    assert "keyring backends bundled: " in out and "SecretService" in out
    assert "keyring: " in out  # usable or a warning with the fix; never a failure
    assert "ok    phone numbers: +44 20 7946 0000 → +442079460000, United Kingdom" in out
    assert "ok    main window: MainWindow built, not shown ('OpDial', offscreen platform)" in out
    assert out.rstrip().endswith("self-check passed")
    assert "FAIL" not in out
    created = [p for p in (tmp_path / "home").rglob("*") if desktop_app.APP_NAME.lower() in str(p).lower()]
    assert created == []


def test_a_missing_part_fails_the_check_with_the_reason(monkeypatch: pytest.MonkeyPatch, qapp) -> None:
    # A build that forgot a keyring backend cannot be produced from source: name a module that is
    # not there, exactly as the frozen app would see a missing one.
    platform_key = "linux" if sys.platform.startswith("linux") else sys.platform
    monkeypatch.setitem(
        selfcheck._EXPECTED_BACKENDS, platform_key, {"chainer": ("opdial_missing_backend_module",)}
    )
    out = io.StringIO()

    code = selfcheck.run_self_check(out)

    assert code == 1
    report = out.getvalue()
    assert "FAIL  keyring backends bundled: opdial_missing_backend_module is missing" in report
    assert "self-check FAILED (1):" in report
    assert "ok    main window:" in report  # the other checks still ran


def test_the_report_goes_to_stdout_when_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(selfcheck.REPORT_FILE_ENV, raising=False)
    assert selfcheck.console_stream() is sys.stdout


def test_build_scripts_can_send_the_report_to_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A windowed Windows exe has no stdout; build.py reads the report from this file instead.
    report = tmp_path / "self-check.txt"
    monkeypatch.setenv(selfcheck.REPORT_FILE_ENV, str(report))
    with selfcheck.console_stream() as stream:
        stream.write("self-check passed\n")
    assert report.read_text(encoding="utf-8") == "self-check passed\n"


@pytest.mark.slow
def test_exit_after_shown_reports_the_real_window_and_quits(tmp_path: Path) -> None:
    env = headless_env(tmp_path)
    env["OPDIAL_EXIT_AFTER_SHOWN"] = "1"
    env["QT_QPA_PLATFORM"] = "offscreen"  # the GUI itself does not pick offscreen; --self-check does

    result = run_opdial([], env)

    assert result.returncode == 0, result.stderr
    marker = [line for line in result.stdout.splitlines() if line.startswith(selfcheck.SHOWN_MARKER)]
    assert len(marker) == 1
    assert float(marker[0].split()[1]) > 0


def test_the_probe_is_off_unless_asked(monkeypatch: pytest.MonkeyPatch, qapp) -> None:
    monkeypatch.delenv(selfcheck.EXIT_AFTER_SHOWN_ENV, raising=False)
    filters_before = qapp.children()
    selfcheck.install_startup_probe(qapp)
    assert qapp.children() == filters_before
