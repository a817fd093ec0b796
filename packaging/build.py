#!/usr/bin/env python3
"""Build OpDial for the OS this runs on.

    python packaging/build.py                 # icons → dist/opdial/ → self-check → installer/dmg/archive
    python packaging/build.py --nsis          # also compile the Windows installer script (CI on Linux)
    python packaging/build.py --skip-build    # reuse dist/opdial/, only the later steps

Run it with the Python that has OpDial and PyInstaller installed (``pip install -e .[build]``).

- Windows: ``dist/OpDial-<version>-setup.exe`` (NSIS, per user) and a zip of the onedir.
- macOS:   ``dist/OpDial.app`` and ``dist/OpDial-<version>-macos-<arch>.dmg`` (``packaging/dmg.sh``; signing
           and notarisation when their environment variables are set).
- Linux:   ``dist/OpDial-<version>-linux-<arch>.tar.xz`` of the onedir.

Every build ends with ``opdial --self-check`` run on the result (offscreen when there is no display).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import make_icons  # noqa: E402 - packaging/ scripts, found through the line above
import opdial_build  # noqa: E402

IS_WINDOWS = sys.platform == "win32"
IS_MACOS = sys.platform == "darwin"


def frozen_executable(onedir: Path) -> Path:
    return onedir / (f"{opdial_build.EXE_NAME}.exe" if IS_WINDOWS else opdial_build.EXE_NAME)


def run(cmd: list[str], **kwargs) -> None:
    print("+", " ".join(str(part) for part in cmd), flush=True)
    subprocess.run([str(part) for part in cmd], check=True, **kwargs)


def pyinstaller(dist: Path, work: Path, clean: bool) -> Path:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        sys.exit(f"PyInstaller is not installed for {sys.executable}: pip install -e '.[build]'")
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", dist, "--workpath", work]
    run([*cmd, *(["--clean"] if clean else []), HERE / "opdial.spec"], cwd=ROOT)
    return dist / opdial_build.EXE_NAME


def self_check(onedir: Path, work: Path) -> None:
    """Run ``--self-check`` on the build; the report goes through a file because a windowed
    Windows exe has no stdout to print to."""
    env = dict(os.environ)
    if not IS_WINDOWS and not IS_MACOS and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    work.mkdir(parents=True, exist_ok=True)
    report = work / "self-check.txt"
    env["OPDIAL_SELF_CHECK_REPORT"] = str(report)
    print("+", frozen_executable(onedir), "--self-check", flush=True)
    code = subprocess.run([str(frozen_executable(onedir)), "--self-check"], env=env, check=False).returncode
    print(report.read_text(encoding="utf-8") if report.exists() else "(no report written)", flush=True)
    if code != 0:
        sys.exit(f"self-check of the build failed (exit {code})")


def makensis(onedir: Path, out_dir: Path) -> Path:
    tool = shutil.which("makensis")
    if tool is None:
        sys.exit("makensis not found: install NSIS (Windows: choco install nsis; Debian: apt install nsis)")
    meta = opdial_build.app_metadata()
    # -WX: a warning is an error, so a typo in the script cannot slip through CI.
    run([tool, "-WX", "-V2", f"-DDIST_DIR={onedir}", f"-DOUT_DIR={out_dir}", HERE / "installer.nsi"])
    return out_dir / f"{meta.name}-{meta.version}-setup.exe"


def archive(onedir: Path, out_dir: Path) -> Path:
    """The onedir as one file: zip on Windows, tar.xz elsewhere (keeps symlinks and exec bits)."""
    meta = opdial_build.app_metadata()
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform.rstrip("0123456789"))
    stem = f"{meta.name}-{meta.version}-{system}-{platform.machine().lower()}"
    if IS_WINDOWS:
        path = out_dir / f"{stem}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for file in sorted(onedir.rglob("*")):
                zf.write(file, Path(onedir.name) / file.relative_to(onedir))
    else:
        path = out_dir / f"{stem}.tar.xz"
        with tarfile.open(path, "w:xz", preset=6) as tf:
            tf.add(onedir, arcname=onedir.name)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist)")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's work folder")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    parser.add_argument("--skip-build", action="store_true", help="reuse the onedir already in --dist")
    parser.add_argument("--nsis", action="store_true", help="compile the NSIS installer on any OS")
    parser.add_argument("--no-self-check", action="store_true")
    parser.add_argument("--no-package", action="store_true", help="no installer, dmg or archive")
    args = parser.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()

    make_icons.make_icons()
    opdial_build.write_generated()
    onedir = dist / opdial_build.EXE_NAME if args.skip_build else pyinstaller(dist, work, args.clean)
    if not frozen_executable(onedir).exists():
        sys.exit(f"{frozen_executable(onedir)} not found")
    if not args.no_self_check:
        self_check(onedir, work)
    made = [onedir]
    if IS_WINDOWS or args.nsis:
        made.append(makensis(onedir, dist))
    if not args.no_package:
        made.append(archive(onedir, dist))
        if IS_MACOS:
            run(["bash", HERE / "dmg.sh", dist], env={**os.environ, "PYTHON": sys.executable})
    print("\nBuilt:", *(f"  {path}" for path in made), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
