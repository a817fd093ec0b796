"""scripts/dev.py: the Linux set-up advice (Qt platform-plugin failures) and pip's progress.

The failure samples are Qt's own words, captured from PySide6 6.11 (``qt.qpa.plugin`` lines).
No test starts a real window: the subprocess tests run a child that prints a captured failure, and
one runs the real ``dev.py demo`` with no display, where Qt gives up before opening anything.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_dev():
    spec = importlib.util.spec_from_file_location("opdial_dev_script", ROOT / "scripts" / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = _load_dev()

# Libraries missing (no "could not connect to display"): Qt names only libxcb-cursor0.
MISSING_LIBS_STDERR = """\
qt.qpa.plugin: From 6.5.0, xcb-cursor0 or libxcb-cursor0 is needed to load the Qt xcb platform plugin.
qt.qpa.plugin: Could not load the Qt platform plugin "xcb" in "" even though it was found.
This application failed to start because no Qt platform plugin could be initialized. \
Reinstalling the application may fix this problem.

Available platform plugins are: minimal, linuxfb, offscreen, xcb, wayland-egl, wayland, eglfs, vnc.
"""
# No display at all: Qt prints the same libxcb-cursor0 hint, which is misleading here.
NO_DISPLAY_STDERR = "qt.qpa.xcb: could not connect to display \n" + MISSING_LIBS_STDERR

OS_RELEASES = {
    "debian": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
    "ubuntu": 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n',
    "mint": 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n',
    "fedora": "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=41\n",
    "rocky": 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n',
    "arch": 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\n',
}
EXPECTED_FAMILY = {
    "debian": "debian",
    "ubuntu": "debian",
    "mint": "debian",
    "fedora": "fedora",
    "rocky": "fedora",
    "arch": None,
}


def fake_os_release(tmp_path: Path, name: str) -> dict[str, str]:
    path = tmp_path / "os-release"
    path.write_text(OS_RELEASES[name], encoding="utf-8")
    return dev.read_os_release([tmp_path / "missing", path])


# -- recognising Qt's message -------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        'qt.qpa.plugin: Could not load the Qt platform plugin "xcb" in "" even though it was found.',
        "qt.qpa.plugin: From 6.5.0, xcb-cursor0 or libxcb-cursor0 is needed to load the Qt xcb platform "
        "plugin.",
        "This application failed to start because no Qt platform plugin could be initialized.",
    ],
)
def test_each_of_qts_platform_plugin_messages_is_recognised(line):
    assert dev.is_qt_plugin_failure(line)
    assert dev.qt_failure_advice(line, {"ID": "debian"}) is not None


def test_other_failures_get_no_install_advice():
    traceback = 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad profile\n'
    assert not dev.is_qt_plugin_failure(traceback)
    assert dev.qt_failure_advice(traceback, {"ID": "debian"}) is None
    assert dev.qt_failure_advice("", {"ID": "fedora"}) is None


def test_no_display_is_told_apart_from_missing_libraries():
    advice = dev.qt_failure_advice(NO_DISPLAY_STDERR, {"ID": "debian"})
    assert advice is not None
    assert "no display" in advice
    assert "apt install" not in advice


# -- distribution → install line -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OS_RELEASES))
def test_os_release_id_and_id_like_choose_the_family(tmp_path, name):
    assert dev.distro_family(fake_os_release(tmp_path, name)) == EXPECTED_FAMILY[name]


def test_os_release_values_lose_their_quotes(tmp_path):
    info = fake_os_release(tmp_path, "mint")
    assert info == {"NAME": "Linux Mint", "ID": "linuxmint", "ID_LIKE": "ubuntu debian"}
    assert dev.read_os_release([tmp_path / "nowhere"]) == {}


def test_debian_advice_prints_the_whole_apt_line_not_just_libxcb_cursor(tmp_path):
    advice = dev.qt_failure_advice(MISSING_LIBS_STDERR, fake_os_release(tmp_path, "ubuntu"))
    apt_line = dev.install_line("debian")
    assert f"    {apt_line}\n" in advice
    assert apt_line.startswith("sudo apt install ")
    for package in ("libxcb-cursor0", "libxcb-icccm4", "libxkbcommon-x11-0", "libegl1", "gnome-keyring"):
        assert f" {package}" in apt_line
    assert "dnf" not in advice


def test_fedora_advice_uses_fedoras_package_names(tmp_path):
    advice = dev.qt_failure_advice(MISSING_LIBS_STDERR, fake_os_release(tmp_path, "rocky"))
    dnf_line = dev.install_line("fedora")
    assert f"    {dnf_line}\n" in advice
    packages = dnf_line.removeprefix("sudo dnf install ").split()
    for package in (
        "xcb-util-cursor",
        "xcb-util-wm",
        "xcb-util-keysyms",
        "xcb-util-image",
        "xcb-util-renderutil",
        "libxkbcommon-x11",
        "mesa-libEGL",
        "fontconfig",
        "gnome-keyring",
        "dbus-daemon",
    ):
        assert package in packages
    assert not [p for p in packages if p.startswith("libxcb-")], "Debian names on Fedora"
    assert "apt" not in advice


def test_unknown_distribution_gets_both_lines_and_its_name(tmp_path):
    advice = dev.qt_failure_advice(MISSING_LIBS_STDERR, fake_os_release(tmp_path, "arch"))
    assert dev.install_line("debian") in advice
    assert dev.install_line("fedora") in advice
    assert "Arch Linux" in advice


def test_libraries_ldd_cannot_find_are_named():
    ldd = (
        "\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)\n"
        "\tlibxcb-cursor.so.0 => not found\n"
        "\tlibxkbcommon-x11.so.0 => not found\n"
    )
    missing = dev.missing_libraries(ldd)
    assert missing == ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"]
    advice = dev.qt_failure_advice(MISSING_LIBS_STDERR, {"ID": "debian"}, missing)
    assert "Missing right now: libxcb-cursor.so.0, libxkbcommon-x11.so.0." in advice


def test_debian_set_is_the_one_ci_installs():
    """The README and the advice promise the tested set: every runtime library CI installs."""
    ci = (ROOT / ".ci" / "linux-packages").read_text(encoding="utf-8")
    ci_packages = set(re.findall(r"\b(lib(?:xcb|xkbcommon|egl|gl|glib|fontconfig|dbus)[\w.+-]*)", ci))
    ours = set(dev.SYSTEM_PACKAGES["debian"][1])
    assert ci_packages - ours == set()
    assert {p for p in ours if p.startswith("lib")} - ci_packages == set()
    assert {"dbus", "gnome-keyring"} <= ours


def test_readme_quick_start_carries_the_same_lines():
    text = (ROOT / "README.md").read_text(encoding="utf-8").replace("\\\n  ", "")
    for family in dev.SYSTEM_PACKAGES:
        assert dev.install_line(family) in text


# -- the demo's failure path, in a real subprocess --------------------------------------------------


def _child_printing(tmp_path: Path, stderr_text: str, code: int) -> list[str]:
    sample = tmp_path / "stderr.txt"
    sample.write_text(stderr_text, encoding="utf-8")
    script = f"import sys; sys.stderr.write(open({str(sample)!r}).read()); sys.exit({code})"
    return [sys.executable, "-c", script]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the advice is for Linux")
def test_demo_path_passes_qts_words_through_then_prints_the_install_line(tmp_path, capfd):
    os_release = fake_os_release(tmp_path, "fedora")
    code = dev.run_app(_child_printing(tmp_path, MISSING_LIBS_STDERR, 134), os_release=os_release)
    assert code == 134
    err = capfd.readouterr().err
    assert err.startswith(MISSING_LIBS_STDERR)  # Qt's own message first, untouched
    assert dev.install_line("fedora") in err.split(MISSING_LIBS_STDERR, 1)[1]


def test_demo_path_says_nothing_more_when_the_app_ends_normally(tmp_path, capfd):
    code = dev.run_app(_child_printing(tmp_path, MISSING_LIBS_STDERR, 0), os_release={"ID": "debian"})
    assert code == 0
    assert "sudo" not in capfd.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb is Linux's platform plugin")
def test_real_demo_command_without_a_display_explains_it(tmp_path):
    """`dev.py demo` for real, with no display: Qt gives up before any window exists."""
    if not dev.venv_python().exists():
        pytest.skip("no .venv in the repo: this test would create one")
    if dev._xcb_plugin_missing_libraries(dev.venv_python()):
        pytest.skip("Qt's xcb libraries are missing here: Qt fails on those before looking for a display")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dev.py"), "demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,  # a first run may install into .venv
    )
    assert result.returncode != 0
    assert "could not connect to display" in result.stderr  # Qt's words, passed through
    assert "no display to show it on" in result.stderr


def test_system_packages_command_prints_this_machines_line():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dev.py"), "system-packages"], capture_output=True, text=True
    )
    assert result.returncode == 0
    family = dev.distro_family(dev.read_os_release())
    expected = [dev.install_line(family)] if family else [dev.install_line(f) for f in dev.SYSTEM_PACKAGES]
    assert result.stdout.splitlines() == expected


# -- pip's progress -----------------------------------------------------------------------------------


def test_pip_output_is_condensed_to_progress_lines():
    pip_lines = [
        "Looking in links: /opt/wheels\n",
        "WARNING: Location 'file:///x/' is ignored: it is neither a file nor a directory.\n",
        "Collecting PySide6-Essentials<6.12,>=6.8\n",
        "  Downloading PySide6_Essentials-6.11.3-cp39-abi3-manylinux_2_28_x86_64.whl (96.0 MB)\n",
        *[f"Progress {n * 8_000_000} of 96000000\n" for n in range(13)],
        "Requirement already satisfied: packaging in ./.venv/lib/python3.11/site-packages\n",
        "Installing collected packages: shiboken6, PySide6-Essentials\n",
        "Successfully installed PySide6-Essentials-6.11.3 shiboken6-6.11.3\n",
    ]
    out = io.StringIO()
    everything = dev.condense_pip_output(iter(pip_lines), out)
    assert everything == pip_lines  # all kept, for the error report if pip fails
    shown = out.getvalue().splitlines()
    assert shown == [
        "    Collecting PySide6-Essentials<6.12,>=6.8",
        "    Downloading PySide6_Essentials-6.11.3-cp39-abi3-manylinux_2_28_x86_64.whl (96.0 MB)",
        "      25%",
        "      50%",
        "      75%",
        "      100%",
        "    Installing collected packages: shiboken6, PySide6-Essentials",
        "    Successfully installed PySide6-Essentials-6.11.3 shiboken6-6.11.3",
    ]
