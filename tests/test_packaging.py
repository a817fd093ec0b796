"""Packaging inputs, checked without building: the macOS Info.plist entries, the Windows version
resource, the NSIS includes, the icons, and that installer.nsi compiles (when makensis exists).

The full build (PyInstaller → ``--self-check`` on the frozen app → makensis against the built tree)
is .ci/packaging-smoke; sizes and start-up times are bench/packaging_budget.py.
"""

from __future__ import annotations

import importlib.util
import os
import plistlib
import py_compile
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import desktop_app
from desktop_app.platform import SCHEMES
from desktop_app.platform.macos import plist_url_types
from desktop_app.platform.windows import nsis_include

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"


def load(name: str) -> ModuleType:
    """packaging/ is not a Python package (it would shadow the ``packaging`` library): load by path."""
    spec = importlib.util.spec_from_file_location(f"opdial_packaging_{name}", PACKAGING / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build_info = load("opdial_build")
make_icons = load("make_icons")
META = build_info.app_metadata()


# --- one source for name, id and version ------------------------------------------------------------


def test_metadata_is_read_from_the_package_without_importing_it() -> None:
    assert META.name == desktop_app.APP_NAME
    assert META.app_id == desktop_app.APP_ID
    assert META.org == desktop_app.APP_ORG
    assert META.version == desktop_app.__version__


def test_metadata_follows_a_changed_version(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text('APP_NAME = "OpDial"\nAPP_ID = "co.example.X"\n__version__ = "2.3.4rc1"\n')
    meta = build_info.app_metadata(init)
    assert (meta.app_id, meta.version) == ("co.example.X", "2.3.4rc1")
    assert build_info.info_plist(meta)["CFBundleShortVersionString"] == "2.3.4"
    assert build_info.windows_version_strings(meta)["FileVersion"] == "2.3.4.1"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("1.2.3.4.5", (1, 2, 3, 4)),
        ("1.2.3rc1", (1, 2, 3, 1)),
        ("1.2.3+local.7", (1, 2, 3, 0)),
    ],
)
def test_version_becomes_four_numbers_for_windows(version: str, expected: tuple[int, ...]) -> None:
    assert build_info.version_tuple(version) == expected


def test_a_version_without_numbers_is_refused() -> None:
    with pytest.raises(ValueError, match="no numbers"):
        build_info.version_tuple("dev")


# --- macOS Info.plist --------------------------------------------------------------------------------


def test_info_plist_identifies_the_bundle() -> None:
    plist = build_info.info_plist(META)
    assert plist["CFBundleIdentifier"] == desktop_app.APP_ID
    assert plist["CFBundleName"] == desktop_app.APP_NAME
    assert plist["CFBundleVersion"] == desktop_app.__version__
    assert plist["CFBundleShortVersionString"] == build_info.short_version(desktop_app.__version__)
    assert plist["NSHighResolutionCapable"] is True


def test_info_plist_declares_tel_callto_and_opdial_links() -> None:
    url_types = build_info.info_plist(META)["CFBundleURLTypes"]
    assert url_types == plist_url_types()  # the launcher's own layer, not a copy
    declared = [scheme for entry in url_types for scheme in entry["CFBundleURLSchemes"]]
    assert declared == list(SCHEMES) == ["tel", "callto", "opdial"]
    assert all(entry["CFBundleTypeRole"] == "Viewer" for entry in url_types)
    assert all(entry["CFBundleURLName"].startswith(desktop_app.APP_ID) for entry in url_types)


def test_info_plist_entries_serialise_as_a_property_list() -> None:
    plist = build_info.info_plist(META)
    assert plistlib.loads(plistlib.dumps(plist)) == plist


def test_entitlements_enable_only_what_a_frozen_python_needs() -> None:
    entitlements = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert entitlements == {"com.apple.security.cs.allow-unsigned-executable-memory": True}


# --- Windows version resource ----------------------------------------------------------------------


def test_windows_version_strings() -> None:
    strings = build_info.windows_version_strings(META)
    dotted = ".".join(map(str, build_info.version_tuple(desktop_app.__version__)))
    assert strings["FileVersion"] == dotted
    assert strings["ProductVersion"] == desktop_app.__version__
    assert strings["ProductName"] == desktop_app.APP_NAME
    assert strings["OriginalFilename"] == "opdial.exe"
    assert strings["CompanyName"] == desktop_app.APP_ORG


def _evaluate_version_file(text: str) -> dict:
    """Evaluate the version file as PyInstaller does, with constructors that record their arguments."""

    def record(kind: str):
        return lambda *args, **kwargs: {"kind": kind, "args": args, **kwargs}

    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct")
    names += ("VarFileInfo", "VarStruct")
    return eval(text, {"__builtins__": {}}, {name: record(name) for name in names})


def test_windows_version_file_carries_the_numbers_and_strings() -> None:
    info = _evaluate_version_file(build_info.windows_version_file(META))
    numbers = build_info.version_tuple(desktop_app.__version__)
    assert info["ffi"]["filevers"] == numbers
    assert info["ffi"]["prodvers"] == numbers
    table = info["kids"][0]["args"][0][0]
    assert table["args"][0] == "040904B0"  # US English, Unicode
    strings = {struct_["args"][0]: struct_["args"][1] for struct_ in table["args"][1]}
    assert strings == build_info.windows_version_strings(META)


@pytest.mark.skipif(sys.platform != "win32", reason="PyInstaller's version-resource tools need Windows")
def test_windows_version_file_round_trips_through_pyinstaller(tmp_path: Path) -> None:
    from PyInstaller.utils.win32 import versioninfo
    path = tmp_path / "version.txt"
    path.write_text(build_info.windows_version_file(META), encoding="utf-8")
    info = versioninfo.load_version_info_from_text_file(str(path))
    parsed = versioninfo.VSVersionInfo()
    parsed.fromRaw(info.toRaw())  # the bytes that go into the exe, read back
    assert "ProductVersion" in str(parsed) and desktop_app.__version__ in str(parsed)


# --- NSIS ---------------------------------------------------------------------------------------------


def test_nsis_defines_come_from_the_package() -> None:
    text = build_info.nsis_define_file(build_info.nsis_defines(META))
    assert f'!define APP_VERSION "{desktop_app.__version__}"' in text
    assert f'!define APP_ID "{desktop_app.APP_ID}"' in text
    assert '!define EXE_NAME "opdial.exe"' in text


def test_nsis_defines_refuse_a_value_that_would_break_the_script() -> None:
    with pytest.raises(ValueError, match="NSIS"):
        build_info.nsis_define_file({"APP_NAME": 'Op"Dial'})


def test_installer_registers_links_with_the_launchers_layout() -> None:
    assert build_info.nsis_links_include() == nsis_include(r"$INSTDIR\opdial.exe")
    script = (PACKAGING / "installer.nsi").read_text(encoding="utf-8")
    assert "!insertmacro OPDIAL_REGISTER_LINKS" in script
    assert "!insertmacro OPDIAL_UNREGISTER_LINKS" in script


def test_installer_is_per_user_and_keeps_user_data_unless_asked() -> None:
    script = (PACKAGING / "installer.nsi").read_text(encoding="utf-8")
    assert "RequestExecutionLevel user" in script
    assert "HKLM" not in script
    assert 'InstallDir "$LOCALAPPDATA\\Programs\\${APP_NAME}"' in script
    assert "$SMPROGRAMS\\${APP_NAME}.lnk" in script
    # The data folders are only removed after a yes; a silent uninstall answers no.
    ask = script.index("MessageBox MB_YESNO")
    assert "/SD IDNO IDNO keep_user_data" in script[ask:]
    assert script.index('RMDir /r "$APPDATA\\${APP_NAME}"') > ask


def test_write_generated_writes_every_include(tmp_path: Path) -> None:
    paths = build_info.write_generated(META, tmp_path)
    assert {path.name for path in paths.values()} == {
        "version_info.txt",
        "opdial-defines.nsh",
        "opdial-links.nsh",
    }
    assert all(path.read_text(encoding="utf-8") for path in paths.values())


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis (NSIS) is not installed")
def test_installer_script_compiles_with_makensis(tmp_path: Path, qapp) -> None:
    """Against a stand-in program folder: the real built tree is compiled in .ci/packaging-smoke."""
    workdir = tmp_path / "packaging"
    workdir.mkdir()
    shutil.copy(PACKAGING / "installer.nsi", workdir / "installer.nsi")
    build_info.write_generated(META, workdir / "generated")
    make_icons.make_icons(out_dir=workdir / "generated")
    fake_dist = tmp_path / "dist" / "opdial"
    (fake_dist / "_internal").mkdir(parents=True)
    (fake_dist / "opdial.exe").write_bytes(b"MZ stand-in")
    result = subprocess.run(
        ["makensis", "-WX", "-V2", f"-DDIST_DIR={fake_dist}", f"-DOUT_DIR={tmp_path}", "installer.nsi"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / f"OpDial-{desktop_app.__version__}-setup.exe").stat().st_size > 0


# --- icons ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def icons(tmp_path_factory: pytest.TempPathFactory, qapp) -> dict[str, Path]:
    return make_icons.make_icons(out_dir=tmp_path_factory.mktemp("icons"))


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_ico_holds_every_size_as_png(icons: dict[str, Path]) -> None:
    data = icons["ico"].read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, len(make_icons.ICO_SIZES))
    sizes = []
    for index in range(count):
        width, _height, _c, _r, _planes, _bpp, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        png_width, png_height = _png_size(data[offset : offset + length])
        assert png_width == png_height == (width or 256)
        sizes.append(png_width)
    assert sizes == sorted(make_icons.ICO_SIZES)


def test_icns_elements_are_pngs_of_their_declared_sizes(icons: dict[str, Path]) -> None:
    data = icons["icns"].read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    offset, found = 8, {}
    while offset < len(data):
        kind, length = data[offset : offset + 4], struct.unpack(">I", data[offset + 4 : offset + 8])[0]
        found[kind] = _png_size(data[offset + 8 : offset + length])[0]
        offset += length
    assert found == {kind: size for kind, size in make_icons.ICNS_TYPES}


def test_qt_reads_the_generated_ico(icons: dict[str, Path]) -> None:
    from PySide6.QtGui import QImageReader

    reader = QImageReader(str(icons["ico"]))
    assert reader.imageCount() == len(make_icons.ICO_SIZES)
    assert not reader.read().isNull()


# --- the spec -------------------------------------------------------------------------------------


def test_spec_and_scripts_are_valid_python(tmp_path: Path) -> None:
    for path in (PACKAGING / "opdial.spec", PACKAGING / "build.py", ROOT / "bench" / "packaging_budget.py"):
        py_compile.compile(str(path), cfile=str(tmp_path / f"{path.name}.pyc"), doraise=True)


def test_shell_scripts_parse() -> None:
    for script in (PACKAGING / "dmg.sh", ROOT / ".ci" / "packaging-smoke"):
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_build_script_explains_itself() -> None:
    result = subprocess.run(
        [sys.executable, str(PACKAGING / "build.py"), "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "--nsis" in result.stdout


# --- Linux: Qt's ICU data trimmed to what Qt uses ----------------------------------------------------

icu_trim = load("icu_trim")


@pytest.mark.parametrize(
    ("item", "dropped"),
    [
        ("uprops.icu", False),  # character properties: case mapping
        ("ucase.icu", False),
        ("cnvalias.icu", False),  # code pages
        ("ibm-5348_P100-1997.cnv", False),
        ("root.res", False),
        ("en.res", False),
        ("pool.res", False),
        ("supplementalData.res", False),
        ("zoneinfo64.res", False),
        ("coll/root.res", False),  # the root collation orders Indian scripts too
        ("coll/ucadata.icu", False),
        ("zone/en.res", False),
        ("zone/tzdbNames.res", False),
        ("hi.res", True),  # other locales fall back to root/English
        ("en_IN.res", True),
        ("zh_Hant_TW.res", True),
        ("coll/sv.res", True),
        ("zone/hi.res", True),
        ("curr/en.res", True),  # never asked for by Qt
        ("lang/root.res", True),
        ("brkitr/word.brk", True),
        ("translit/root.res", True),
    ],
)
def test_icu_trim_keeps_what_qt_uses(item: str, dropped: bool) -> None:
    assert icu_trim.is_dropped(item) is dropped


def _venv_icu_data() -> Path | None:
    from PySide6 import __file__ as pyside_init

    found = sorted((Path(pyside_init).parent / "Qt" / "lib").glob("libicudata.so.*"))
    return found[0] if found else None


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux wheels bundle ICU")
def test_trimmed_icu_serves_every_use_qt_makes_of_it(tmp_path: Path) -> None:
    library = _venv_icu_data()
    if library is None or not all(shutil.which(tool) for tool in ("icupkg", "objcopy", "nm", "cc")):
        pytest.skip("needs PySide6's libicudata and icupkg (icu-devtools), objcopy, nm, cc")
    trimmed = icu_trim.trim(library, tmp_path)
    assert trimmed.stat().st_size < library.stat().st_size / 3
    probe = "from desktop_app.selfcheck import _qt_text_data; print(_qt_text_data())"
    env = dict(os.environ, LD_PRELOAD=str(trimmed), QT_QPA_PLATFORM="offscreen")
    command = [sys.executable, "-c", probe]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "collation, case mapping, code pages, time-zone names (India Standard Time)" in result.stdout
