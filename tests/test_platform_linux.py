"""Linux link registration: the .desktop file, xdg-mime defaults, and the fallback without xdg-mime.

Every path lives under a temporary home: HOME, XDG_DATA_HOME and XDG_CONFIG_HOME point into
tmp_path, so the real home is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from desktop_app.platform.linux import (
    DESKTOP_ID,
    XDG_MIME_MISSING,
    LinuxLinkHandler,
    desktop_entry,
    exec_line,
)

needs_xdg_mime = pytest.mark.skipif(shutil.which("xdg-mime") is None, reason="xdg-utils not installed")


def temp_env(tmp_path: Path, path: str = "/usr/local/bin:/usr/bin:/bin") -> dict[str, str]:
    return {
        "PATH": path,
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_DIRS": str(tmp_path / "system-data"),
        "XDG_CONFIG_DIRS": str(tmp_path / "system-config"),
    }


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return temp_env(tmp_path)


@pytest.fixture
def no_xdg_mime_env(tmp_path: Path) -> dict[str, str]:
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    return temp_env(tmp_path, path=str(empty_bin))


def test_desktop_entry_declares_the_three_schemes_and_passes_the_link() -> None:
    entry = desktop_entry(["/opt/opdial/opdial"])
    lines = entry.splitlines()
    assert lines[0] == "[Desktop Entry]"
    assert "Type=Application" in lines
    assert "Name=OpDial" in lines
    assert "Exec=/opt/opdial/opdial %u" in lines
    assert "MimeType=x-scheme-handler/tel;x-scheme-handler/callto;x-scheme-handler/opdial;" in lines
    assert "Terminal=false" in lines


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["/usr/bin/python3", "-m", "desktop_app"], "/usr/bin/python3 -m desktop_app %u"),
        (["/home/asha/My Apps/opdial"], '"/home/asha/My Apps/opdial" %u'),
        (["/opt/100%/opdial"], "/opt/100%%/opdial %u"),
        (['/opt/say "hi"/opdial'], '"/opt/say \\\\"hi\\\\"/opdial" %u'),
    ],
)
def test_exec_arguments_are_quoted_as_the_desktop_entry_spec_requires(
    command: list[str], expected: str
) -> None:
    assert exec_line(command) == expected


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_the_desktop_file_validates(tmp_path: Path) -> None:
    path = tmp_path / DESKTOP_ID
    path.write_text(desktop_entry(["/home/asha/My Apps/opdial"]), encoding="utf-8")
    done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


@needs_xdg_mime
def test_register_writes_the_desktop_file_and_makes_opdial_the_default(env: dict[str, str]) -> None:
    handler = LinuxLinkHandler(env)
    assert not any(s.handled_by_us for s in handler.status())
    result = handler.register(["/opt/opdial/opdial"])
    desktop_file = Path(env["XDG_DATA_HOME"]) / "applications" / DESKTOP_ID
    assert desktop_file.read_text(encoding="utf-8") == desktop_entry(["/opt/opdial/opdial"])
    assert all(s.handled_by_us and s.current_handler == "OpDial" for s in handler.status())
    assert not result.notes


@needs_xdg_mime
def test_another_default_app_is_named_in_the_status(env: dict[str, str]) -> None:
    apps = Path(env["XDG_DATA_HOME"]) / "applications"
    apps.mkdir(parents=True)
    (apps / "softphone.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Softphone\nExec=softphone %u\n"
        "MimeType=x-scheme-handler/tel;\n",
        encoding="utf-8",
    )
    subprocess.run(["xdg-mime", "default", "softphone.desktop", "x-scheme-handler/tel"], env=env, check=True)
    tel = LinuxLinkHandler(env).status()[0]
    assert (tel.scheme, tel.handled_by_us, tel.current_handler) == (
        "tel",
        False,
        "Softphone (softphone.desktop)",
    )


@needs_xdg_mime
def test_unregister_removes_our_file_and_defaults_but_keeps_other_defaults(env: dict[str, str]) -> None:
    handler = LinuxLinkHandler(env)
    mimeapps = Path(env["XDG_CONFIG_HOME"]) / "mimeapps.list"
    mimeapps.parent.mkdir(parents=True)
    mimeapps.write_text("[Default Applications]\ntext/html=firefox.desktop;\n", encoding="utf-8")
    handler.register(["/opt/opdial/opdial"])
    handler.unregister()
    assert not handler.desktop_file.exists()
    assert not handler.icon_file.exists()
    text = mimeapps.read_text(encoding="utf-8")
    assert "opdial.desktop" not in text
    assert "text/html=firefox.desktop;" in text
    assert not any(s.handled_by_us for s in handler.status())


def test_without_xdg_mime_mimeapps_list_is_edited_directly_and_said_so(
    no_xdg_mime_env: dict[str, str],
) -> None:
    handler = LinuxLinkHandler(no_xdg_mime_env)
    mimeapps = Path(no_xdg_mime_env["XDG_CONFIG_HOME"]) / "mimeapps.list"
    mimeapps.parent.mkdir(parents=True)
    mimeapps.write_text(
        "[Added Associations]\nx-scheme-handler/tel=softphone.desktop;\n\n"
        "[Default Applications]\nx-scheme-handler/tel=softphone.desktop;\ntext/html=firefox.desktop;\n",
        encoding="utf-8",
    )
    result = handler.register(["/opt/opdial/opdial"])
    assert XDG_MIME_MISSING in result.notes
    statuses = handler.status()
    assert all(s.handled_by_us for s in statuses)
    assert statuses[0].detail == XDG_MIME_MISSING
    text = mimeapps.read_text(encoding="utf-8")
    assert "[Added Associations]\nx-scheme-handler/tel=softphone.desktop;" in text  # untouched
    assert "x-scheme-handler/tel=opdial.desktop;" in text

    handler.unregister()
    text = mimeapps.read_text(encoding="utf-8")
    assert "opdial.desktop" not in text
    assert "text/html=firefox.desktop;" in text


def test_unregister_when_nothing_was_registered_says_so(no_xdg_mime_env: dict[str, str]) -> None:
    assert LinuxLinkHandler(no_xdg_mime_env).unregister().notes == ["OpDial was not registered."]
