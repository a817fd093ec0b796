"""``opdial-cli links status|register|unregister`` end to end (Linux handler in a temporary home)."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.cli_links import run_links
from desktop_app.platform.windows import InMemoryRegistry, WindowsLinkHandler
from tests import strict_json

pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="drives the Linux handler")


@pytest.fixture(autouse=True)
def temp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, sub in (("HOME", "home"), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config")):
        monkeypatch.setenv(name, str(tmp_path / sub))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "system-data"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "system-config"))
    for name in ("XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli.main(["links", *args])
    return code, capsys.readouterr().out


def test_status_register_unregister_round_trip(capsys: pytest.CaptureFixture[str], temp_home: Path) -> None:
    code, out = run_cli(capsys, "status", "--json")
    assert code == 0
    assert strict_json.loads(out)["handles_phone_links"] is False

    code, out = run_cli(capsys, "register", "--exec", "/opt/opdial/opdial")
    assert code == 0
    assert "OpDial opens tel: and callto: links." in out
    assert (temp_home / "data" / "applications" / "opdial.desktop").exists()

    code, out = run_cli(capsys, "status", "--json")
    status = strict_json.loads(out)
    assert status["handles_phone_links"] is True
    assert status["schemes"]["tel"] == {
        "handled_by_us": True,
        "current_handler": "OpDial",
        "known": True,
        "detail": status["schemes"]["tel"]["detail"],
    }

    code, out = run_cli(capsys, "unregister")
    assert code == 0
    assert "To make OpDial open them: opdial-cli links register" in out
    assert not (temp_home / "data" / "applications" / "opdial.desktop").exists()


def test_plain_status_names_each_scheme(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "status")
    assert code == 0
    assert out.splitlines()[:3] == ["tel: no handler", "callto: no handler", "opdial: no handler"]


def test_windows_handler_through_the_same_command() -> None:
    out = cli.Output(as_json=True, stdout=io.StringIO(), stderr=io.StringIO())
    handler = WindowsLinkHandler(InMemoryRegistry())
    args = argparse.Namespace(links_action="register", exec_path=r"C:\OpDial\opdial.exe", open_settings=False)
    assert run_links(args, out, platform=handler) == 0
    data = strict_json.loads(out.stdout.getvalue())
    assert data["handles_phone_links"] is True
    assert data["changed"]
