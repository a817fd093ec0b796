"""Windows link registration: the HKCU layout, ownership rules and Default Apps, through the registry layer.

The in-memory registry runs the same code as the real one on every OS; where ``winreg`` exists the
same scenario runs against the real registry under a scratch key.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from desktop_app.platform import SCHEMES, handles_phone_links
from desktop_app.platform.windows import (
    InMemoryRegistry,
    WindowsLinkHandler,
    command_line,
    default_apps_uri,
    nsis_include,
    nsis_registry_lines,
    nsis_unregister_lines,
)

EXE = [r"C:\Users\Asha Rao\AppData\Local\Programs\OpDial\opdial.exe"]
OUR_COMMAND = r'"C:\Users\Asha Rao\AppData\Local\Programs\OpDial\opdial.exe" "%1"'
OTHER_COMMAND = r'"C:\Program Files\Softphone\softphone.exe" -url "%1"'


@pytest.fixture
def registry() -> InMemoryRegistry:
    return InMemoryRegistry()


@pytest.fixture
def handler(registry: InMemoryRegistry) -> WindowsLinkHandler:
    return WindowsLinkHandler(registry)


def test_the_command_quotes_the_exe_and_the_link() -> None:
    assert command_line(EXE) == OUR_COMMAND
    assert command_line(["C:\\Py\\pythonw.exe", "-m", "desktop_app"]).endswith('"-m" "desktop_app" "%1"')


def test_register_writes_url_protocol_keys_progids_capabilities_and_registered_applications(
    handler: WindowsLinkHandler, registry: InMemoryRegistry
) -> None:
    handler.register(EXE)
    keys = registry.dump()
    for scheme in SCHEMES:
        assert keys[rf"Software\Classes\{scheme}"] == {"": f"URL:{scheme}", "URL Protocol": ""}
        assert keys[rf"Software\Classes\{scheme}\DefaultIcon"] == {"": f'"{EXE[0]}",0'}
        assert keys[rf"Software\Classes\{scheme}\shell\open\command"] == {"": OUR_COMMAND}
        progid = rf"Software\Classes\OpDial.{scheme}"
        assert keys[progid]["URL Protocol"] == ""
        assert keys[progid + r"\shell\open\command"] == {"": OUR_COMMAND}
        assert keys[progid + r"\Application"]["ApplicationName"] == "OpDial"
    capabilities = keys[r"Software\OpDial\Capabilities"]
    assert capabilities["ApplicationName"] == "OpDial"
    assert capabilities["ApplicationDescription"]
    assert keys[r"Software\OpDial\Capabilities\URLAssociations"] == {
        "tel": "OpDial.tel",
        "callto": "OpDial.callto",
        "opdial": "OpDial.opdial",
    }
    assert keys[r"Software\RegisteredApplications"] == {"OpDial": r"Software\OpDial\Capabilities"}


def test_after_register_with_no_user_choice_opdial_handles_every_scheme(handler: WindowsLinkHandler) -> None:
    assert not any(s.handled_by_us for s in handler.status())
    handler.register(EXE)
    statuses = handler.status()
    assert [s.scheme for s in statuses] == list(SCHEMES)
    assert all(s.handled_by_us and s.current_handler == "OpDial" for s in statuses)
    assert handles_phone_links(statuses)


def test_another_apps_tel_key_is_neither_overwritten_nor_deleted(
    handler: WindowsLinkHandler, registry: InMemoryRegistry
) -> None:
    registry.set(r"Software\Classes\tel\shell\open\command", "", OTHER_COMMAND)
    result = handler.register(EXE)
    assert registry.get("HKCU", r"Software\Classes\tel\shell\open\command") == OTHER_COMMAND
    assert any("tel: is handled by another app" in note for note in result.notes)
    assert any("ms-settings:defaultapps" in note for note in result.notes)  # how to choose OpDial
    tel = handler.scheme_status("tel")
    assert (tel.handled_by_us, tel.current_handler) == (False, "softphone.exe")

    handler.unregister()
    assert registry.get("HKCU", r"Software\Classes\tel\shell\open\command") == OTHER_COMMAND
    assert registry.get("HKCU", r"Software\Classes\callto\shell\open\command") is None


def test_the_users_default_apps_choice_decides(
    handler: WindowsLinkHandler, registry: InMemoryRegistry
) -> None:
    handler.register(EXE)
    choice = r"Software\Microsoft\Windows\Shell\Associations\UrlAssociations\{}\UserChoice"
    registry.put("HKCU", choice.format("tel"), "ProgId", "TelApp.Url")
    registry.put("HKLM", r"Software\Classes\TelApp.Url\Application", "ApplicationName", "Tel App")
    registry.put("HKCU", choice.format("callto"), "ProgId", "OpDial.callto")
    by_scheme = {s.scheme: s for s in handler.status()}
    assert (by_scheme["tel"].handled_by_us, by_scheme["tel"].current_handler) == (
        False,
        "Tel App (TelApp.Url)",
    )
    assert by_scheme["callto"].handled_by_us


def test_machine_wide_handler_is_reported_when_the_user_has_none(
    handler: WindowsLinkHandler, registry: InMemoryRegistry
) -> None:
    registry.put("HKLM", r"Software\Classes\callto\shell\open\command", "", OTHER_COMMAND)
    assert handler.scheme_status("callto").current_handler == "softphone.exe"


def test_register_again_with_a_new_path_moves_our_own_keys(
    handler: WindowsLinkHandler, registry: InMemoryRegistry
) -> None:
    handler.register(EXE)
    handler.register([r"D:\OpDial\opdial.exe"])
    assert registry.get("HKCU", r"Software\Classes\tel\shell\open\command") == r'"D:\OpDial\opdial.exe" "%1"'
    assert all(s.handled_by_us for s in handler.status())


def test_unregister_removes_exactly_what_register_wrote(
    handler: WindowsLinkHandler, registry: InMemoryRegistry
) -> None:
    registry.put("HKCU", r"Software\RegisteredApplications", "Other", r"Software\Other\Capabilities")
    before = registry.dump()
    handler.register(EXE)
    handler.unregister()
    assert registry.dump() == before


@pytest.mark.parametrize(
    ("build", "uri"),
    [
        (19045, "ms-settings:defaultapps?registeredAppUser=OpDial"),
        (17763, "ms-settings:defaultapps?registeredAppUser=OpDial"),
        (17134, "ms-settings:defaultapps"),
        (9600, "ms-settings:defaultapps"),
    ],
)
def test_default_apps_page_depends_on_the_windows_build(build: int, uri: str) -> None:
    assert default_apps_uri(build) == uri


def test_nsis_lines_write_the_same_layout_as_register(registry: InMemoryRegistry) -> None:
    WindowsLinkHandler(registry).register([r"$INSTDIR\opdial.exe"])
    lines = nsis_registry_lines()
    for key, values in registry.dump().items():
        for name, value in values.items():
            quote = "'" if '"' in value else '"'
            assert f'WriteRegStr HKCU "{key}" "{name}" {quote}{value}{quote}' in lines
    # Scheme keys only when free or already ours, as register does.
    assert 'StrCmp $0 "" opdial_links_tel_reg_do' in lines


def test_nsis_uninstall_lines_remove_only_our_keys() -> None:
    lines = nsis_unregister_lines()
    assert 'DeleteRegKey HKCU "Software\\Classes\\OpDial.tel"' in lines
    assert 'DeleteRegValue HKCU "Software\\RegisteredApplications" "OpDial"' in lines
    # tel itself is deleted only after checking that its command is ours.
    check = lines.index('StrCmp $0 \'"$INSTDIR\\opdial.exe" "%1"\' opdial_links_tel_unreg_do')
    assert check < lines.index('DeleteRegKey HKCU "Software\\Classes\\tel"')


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis (Debian package nsis) not installed")
def test_nsis_include_compiles_with_makensis(tmp_path: Path) -> None:
    (tmp_path / "links.nsh").write_text(nsis_include(), encoding="utf-8")
    (tmp_path / "test.nsi").write_text(
        "\n".join(
            [
                "Unicode true",
                '!include "links.nsh"',
                'OutFile "test-setup.exe"',
                "RequestExecutionLevel user",
                'InstallDir "$LOCALAPPDATA\\Programs\\OpDial"',
                'Section "Install"',
                "  !insertmacro OPDIAL_REGISTER_LINKS",
                "SectionEnd",
                'Section "un.Uninstall"',
                "  !insertmacro OPDIAL_UNREGISTER_LINKS",
                "SectionEnd",
                'Section "-writer"',
                '  WriteUninstaller "$INSTDIR\\uninstall.exe"',
                "SectionEnd",
            ]
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        ["makensis", "-V2", "-WX", "test.nsi"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(sys.platform != "win32", reason="the real registry exists only on Windows")
def test_the_same_scenario_against_the_real_registry() -> None:
    from desktop_app.platform.windows import WinRegistry

    scratch = rf"Software\OpDialTests\{uuid.uuid4().hex}"
    real = WinRegistry(prefix=scratch)
    try:
        handler = WindowsLinkHandler(real, notify=lambda: None)
        real.set(r"Software\Classes\tel\shell\open\command", "", OTHER_COMMAND)
        handler.register(EXE)
        assert real.get("HKCU", r"Software\Classes\callto\shell\open\command") == OUR_COMMAND
        assert real.get("HKCU", r"Software\Classes\tel\shell\open\command") == OTHER_COMMAND
        assert handler.scheme_status("callto").handled_by_us
        handler.unregister()
        assert real.get("HKCU", r"Software\Classes\callto\shell\open\command") is None
        assert real.get("HKCU", r"Software\Classes\OpDial.tel\shell\open\command") is None
        assert real.get("HKCU", r"Software\Classes\tel\shell\open\command") == OTHER_COMMAND
    finally:
        WinRegistry().delete_key(scratch)


@pytest.mark.skipif(sys.platform != "win32", reason="the real registry exists only on Windows")
def test_windows_own_light_or_dark_setting_is_read_from_the_real_registry() -> None:
    from desktop_app.platform.windows import PERSONALIZE_KEY, WinRegistry, apps_use_dark_theme

    real = WinRegistry()
    stored = real.get("HKCU", PERSONALIZE_KEY, "AppsUseLightTheme")  # a DWORD; absent on old Windows
    assert apps_use_dark_theme(real) is (None if stored is None else stored == "0")
