#!/usr/bin/env python3
"""Developer entry point: one command for the demo, one for the tests, on any OS.

    python3 scripts/dev.py demo     # the app on the built-in sandbox (no real calls)
    python3 scripts/dev.py test     # the whole test suite (extra args go to pytest)
    python3 scripts/dev.py lint     # ruff

It makes ``.venv`` in the repo on first use and installs the project into it (editable, with
the test extras). On Linux the tests run inside a private D-Bus session with a fresh, unlocked
gnome-keyring, so the keyring tests use a real Secret Service without touching yours.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

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
        _pip(python, "install", "--upgrade", "pip")
        _pip(python, "install", "-e", f"{ROOT}[{extras}]")
        stamp.write_text(digest)
    return python


def _pip(python: Path, *args: str) -> None:
    """pip, quiet unless it fails (then its whole output, to see why)."""
    result = subprocess.run([str(python), "-m", "pip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"pip {' '.join(args)} failed (exit {result.returncode})")


def run(cmd: list[str], env: dict[str, str] | None = None) -> int:
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


def demo(args: list[str]) -> int:
    python = ensure_venv()
    return run([str(python), "-m", "desktop_app", "--demo", *args])


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


COMMANDS = {"demo": demo, "test": test, "lint": lint, "_test-in-bus": _test_in_bus}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
