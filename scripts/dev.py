#!/usr/bin/env python3
"""Developer entry point: one command for the demo, one for the tests, on any OS.

    python3 scripts/dev.py demo     # the app on the built-in sandbox (no real calls)
    python3 scripts/dev.py test     # the whole test suite (extra args go to pytest)
    python3 scripts/dev.py lint     # ruff
    python3 scripts/dev.py system-packages   # Linux: the install line for what Qt 6 needs

It makes ``.venv`` in the repo on first use and installs the project into it (editable, with
the test extras), showing pip's progress. On Linux the tests run inside a private D-Bus session
with a fresh, unlocked gnome-keyring, so the keyring tests use a real Secret Service without
touching yours. When the demo's window cannot start because Qt's system libraries are missing,
it prints the line that installs them for this distribution.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
IS_WINDOWS = os.name == "nt"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if IS_WINDOWS else "bin/python")


def ensure_venv(extras: str = "test") -> Path:
    python = venv_python()
    if not python.exists():
        print(f"Creating {VENV.name} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    # Reinstall only when the project's metadata changed since the last install.
    stamp = VENV / f".installed-{extras}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print("Installing OpDial and its dependencies into .venv ...", flush=True)
        print("  step 1/2: updating pip", flush=True)
        _pip(python, "install", "--upgrade", "pip")
        print("  step 2/2: OpDial and its dependencies (PySide6 is a large download)", flush=True)
        _pip(python, "install", "-e", f"{ROOT}[{extras}]")
        stamp.write_text(digest)
        print("  done", flush=True)
    return python


# pip's lines worth showing while it works; the rest is kept and shown only if pip fails.
_PIP_SHOWN = ("Collecting ", "Downloading ", "Building ", "Installing collected packages", "Successfully ")
_PIP_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)$")
_PIP_RAW_PROGRESS_SINCE = (24, 1)  # first pip with --progress-bar raw ("Progress N of M" lines)


def _pip_version(python: Path) -> tuple[int, ...]:
    out = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True).stdout
    match = re.match(r"pip (\d+)\.(\d+)", out)
    return (int(match.group(1)), int(match.group(2))) if match else (0,)


def _pip(python: Path, *args: str) -> None:
    """pip with its progress condensed to a few lines; its whole output only if it fails."""
    extra = ["--progress-bar", "raw"] if _pip_version(python) >= _PIP_RAW_PROGRESS_SINCE else []
    process = subprocess.Popen(
        [str(python), "-m", "pip", *args, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert process.stdout is not None
    everything = condense_pip_output(process.stdout, sys.stdout)
    returncode = process.wait()
    if returncode != 0:
        sys.stderr.write("".join(everything))
        raise SystemExit(f"pip {' '.join(args)} failed (exit {returncode})")


def condense_pip_output(lines: Iterable[str], out: TextIO) -> list[str]:
    """Echo pip's progress in short lines (a download's percentage in quarters); return every line."""
    everything: list[str] = []
    quarter = -1
    for line in lines:
        everything.append(line)
        text = line.strip()
        progress = _PIP_PROGRESS.match(text)
        if progress:
            done, total = int(progress.group(1)), int(progress.group(2)) or 1
            if done * 4 // total > quarter:  # 0%, 25%, 50%, 75%, 100%: progress without a flood
                quarter = done * 4 // total
                out.write(f"      {quarter * 25}%\n")
                out.flush()
            continue
        if text.startswith(_PIP_SHOWN):
            quarter = 0  # a download's 0% goes without saying
            out.write(f"    {_shorten(text)}\n")
            out.flush()
    return everything


def _shorten(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run(cmd: list[str], env: dict[str, str] | None = None) -> int:
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


# ---------------------------------------------------------------------------------------------
# The demo, and what to do when Qt cannot open a window
# ---------------------------------------------------------------------------------------------

# What Qt 6's xcb platform plugin needs at run time, plus the keyring (gnome-keyring on D-Bus).
# Debian/Ubuntu: the runtime part of the set CI installs and tests with (.ci/linux-packages).
# Fedora: the same libraries' packages
# (libxcb holds randr/shape/xinerama/xkb there; dbus-daemon holds dbus-run-session).
SYSTEM_PACKAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "debian": (
        "sudo apt install",
        (
            "libegl1", "libgl1", "libglib2.0-0", "libfontconfig1", "libdbus-1-3",
            "libxkbcommon0", "libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1",
            "libxcb-image0", "libxcb-render-util0", "libxcb-randr0", "libxcb-shape0", "libxcb-xinerama0",
            "libxcb-xkb1", "dbus", "gnome-keyring",
        ),
    ),
    "fedora": (
        "sudo dnf install",
        (
            "mesa-libEGL", "mesa-libGL", "glib2", "fontconfig", "dbus-libs",
            "libxkbcommon", "libxkbcommon-x11", "libxcb", "xcb-util-cursor", "xcb-util-wm",
            "xcb-util-keysyms", "xcb-util-image", "xcb-util-renderutil", "dbus-daemon", "gnome-keyring",
        ),
    ),
}  # fmt: skip
_FAMILY_OF_ID = {
    "debian": "debian", "ubuntu": "debian",
    "fedora": "fedora", "rhel": "fedora", "centos": "fedora",
}  # fmt: skip
OS_RELEASE_FILES = (Path("/etc/os-release"), Path("/usr/lib/os-release"))

# Qt's own words when the platform plugin fails. Qt names only libxcb-cursor0 whatever is missing,
# and says so even when the real cause is that there is no display at all.
QT_PLUGIN_FAILURE = (
    'Could not load the Qt platform plugin "xcb"',
    "xcb-cursor0 or libxcb-cursor0 is needed",
    "no Qt platform plugin could be initialized",
)
QT_NO_DISPLAY = "could not connect to display"


def install_line(family: str) -> str:
    command, packages = SYSTEM_PACKAGES[family]
    return f"{command} {' '.join(packages)}"


def read_os_release(paths: Iterable[Path] = OS_RELEASE_FILES) -> dict[str, str]:
    """The KEY=value pairs of the first os-release file found (quotes removed); {} if none."""
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        pairs = {}
        for line in text.splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and key and not key.startswith("#"):
                pairs[key] = value.strip().strip("\"'")
        return pairs
    return {}


def distro_family(os_release: Mapping[str, str]) -> str | None:
    """'debian' or 'fedora' from ID, then ID_LIKE (Mint: "ubuntu debian"; Rocky: "rhel centos fedora")."""
    for name in [os_release.get("ID", ""), *os_release.get("ID_LIKE", "").split()]:
        family = _FAMILY_OF_ID.get(name.lower())
        if family:
            return family
    return None


def is_qt_plugin_failure(stderr: str) -> bool:
    return any(marker in stderr for marker in QT_PLUGIN_FAILURE)


def qt_failure_advice(stderr: str, os_release: Mapping[str, str], missing: Iterable[str] = ()) -> str | None:
    """What to tell a person whose window did not open, or None when Qt did not fail that way."""
    if not is_qt_plugin_failure(stderr) and QT_NO_DISPLAY not in stderr:
        return None
    if QT_NO_DISPLAY in stderr:
        return (
            "OpDial could not open its window: there is no display to show it on (Qt could not connect "
            "to one; its hint about libxcb-cursor0 is misleading here).\n"
            "Run it from a terminal inside your desktop session, or over SSH with X forwarding (ssh -X)."
        )
    family = distro_family(os_release)
    lines = [
        "OpDial could not open its window: Qt's X11 platform plugin (xcb) needs system libraries that "
        "are missing.",
        "Qt names only libxcb-cursor0, but others are often missing too. Install the whole set:",
        "",
    ]
    if family:
        lines.append(f"    {install_line(family)}")
    else:
        name = os_release.get("PRETTY_NAME") or os_release.get("ID") or "this distribution"
        lines += [f"    {install_line(f)}" for f in SYSTEM_PACKAGES]
        lines += ["", f"(Debian/Ubuntu and Fedora names; on {name}, its packages of the same libraries.)"]
    missing = sorted(set(missing))
    if missing:
        lines += ["", f"Missing right now: {', '.join(missing)}."]
    lines += ["", "Then start the demo again: python3 scripts/dev.py demo"]
    return "\n".join(lines)


def missing_libraries(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` reports as 'not found'."""
    return [line.split("=>")[0].strip() for line in ldd_output.splitlines() if "=> not found" in line]


def _xcb_plugin_missing_libraries(python: Path) -> list[str]:
    """Ask ldd which libraries the venv's xcb plugin cannot find (best effort: [] if unsure)."""
    if not shutil.which("ldd"):
        return []
    plugins = sorted(python.parent.parent.glob("lib*/python*/site-packages/PySide6/Qt/plugins/platforms"))
    plugin = plugins[0] / "libqxcb.so" if plugins else None
    if plugin is None or not plugin.exists():
        return []
    result = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=False)
    return missing_libraries(result.stdout)


def run_app(
    cmd: list[str], *, os_release: Mapping[str, str] | None = None, python: Path | None = None
) -> int:
    """Run the app with its stderr passed through; explain a Qt platform-plugin failure after it."""
    process = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True, errors="replace")
    assert process.stderr is not None
    qt_lines: list[str] = []  # only Qt's platform lines are kept: the app may run for hours
    try:
        for line in process.stderr:
            sys.stderr.write(line)
            sys.stderr.flush()
            if line.startswith(("qt.qpa.", "This application failed to start")):
                qt_lines.append(line)
        returncode = process.wait()
    except KeyboardInterrupt:  # Ctrl+C reached the app too: let it close itself
        returncode = process.wait()
    if returncode != 0 and sys.platform.startswith("linux"):
        stderr = "".join(qt_lines)
        missing = _xcb_plugin_missing_libraries(python) if python and is_qt_plugin_failure(stderr) else []
        info = read_os_release() if os_release is None else os_release
        advice = qt_failure_advice(stderr, info, missing)
        if advice:
            sys.stderr.write(f"\n{advice}\n")
    return 128 - returncode if returncode < 0 else returncode  # killed by a signal: as a shell says it


def demo(args: list[str]) -> int:
    python = ensure_venv()
    return run_app([str(python), "-m", "desktop_app", "--demo", *args], python=python)


def system_packages(_args: list[str]) -> int:
    """Print the install line for this distribution (or all of them when it is not recognised)."""
    family = distro_family(read_os_release())
    for name in [family] if family else list(SYSTEM_PACKAGES):
        print(install_line(name))
    return 0


def lint(args: list[str]) -> int:
    python = ensure_venv()
    return run([str(python), "-m", "ruff", "check", "desktop_app", "tests", "scripts", "bench", *args])


def _have_secret_service_tools() -> bool:
    return bool(shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon"))


def test(args: list[str]) -> int:
    python = ensure_venv()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    pytest_cmd = [str(python), "-m", "pytest", *args]
    if sys.platform.startswith("linux") and not env.get("OPDIAL_IN_TEST_BUS"):
        if _have_secret_service_tools():
            env["OPDIAL_IN_TEST_BUS"] = "1"
            inner = [str(python), str(Path(__file__).resolve()), "_test-in-bus", *args]
            return run(["dbus-run-session", "--", *inner], env=env)
        print("note: dbus-run-session/gnome-keyring not found: Secret Service tests will be skipped")
    return run(pytest_cmd, env=env)


def _test_in_bus(args: list[str]) -> int:
    """Inside a private session bus: start an unlocked gnome-keyring with a throwaway home."""
    python = venv_python()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="opdial-keyring-") as home:
        env["XDG_DATA_HOME"] = os.path.join(home, "data")
        env["XDG_RUNTIME_DIR"] = env.get("XDG_RUNTIME_DIR") or os.path.join(home, "run")
        os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
        daemon = subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
            input=b"opdial-test-keyring\n",
            capture_output=True,
            env=env,
            check=False,
        )
        for line in daemon.stdout.decode().splitlines():
            if "=" in line:
                key, _, value = line.partition("=")
                env[key] = value
        env["OPDIAL_SECRET_SERVICE"] = "1"  # tests marked secret_service must run, not skip
        return run([str(python), "-m", "pytest", *args], env=env)


COMMANDS = {
    "demo": demo,
    "test": test,
    "lint": lint,
    "system-packages": system_packages,
    "_test-in-bus": _test_in_bus,
}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
