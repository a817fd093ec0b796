"""Packaging budgets (figures, not tests): size of the build and start-up to a shown window.

    python bench/packaging_budget.py [--dist dist] [--runs 7] [--rebuild]

Figures printed, against the targets of the packaging issue:
- onedir size (target <= 110 MB) and compressed archive size (target <= 45 MB), judged on the
  archive ``packaging/build.py`` makes on this OS (zip on Windows, tar.xz elsewhere; both shown);
- start-up of the frozen app to a shown main window vs a bare frozen PySide6 "hello window" built
  by the same spec with the same trimming (target ratio <= 1.3);
- start-up from source (``python -m desktop_app``) vs the bare hello window from source
  (``python bench/hello_window.py``) (target ratio <= 1.25), on a first run (no profile) and for
  an agent (a saved profile and 3,000 calls in history).

Start-up is measured from just before the process is spawned to the ``OPDIAL_SHOWN <time>`` line
the process prints at its main window's first paint (``OPDIAL_EXIT_AFTER_SHOWN=1``; both read the
same wall clock). Runs alternate between the two programs, after one warm-up each, and the median
is reported. The builds go to ``--dist`` (default ``dist``; rebuilt when missing, older than
the code, or with ``--rebuild``). Offscreen when there is no display. Uses a scratch OPDIAL_DATA_DIR.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "opdial.spec"
HELLO = ROOT / "bench" / "hello_window.py"
MB = 1_000_000
IS_WINDOWS = sys.platform == "win32"

TARGET_ONEDIR_MB = 110
TARGET_ARCHIVE_MB = 45
TARGET_FROZEN_RATIO = 1.3
TARGET_SOURCE_RATIO = 1.25


def exe(onedir: Path, name: str) -> Path:
    return onedir / (f"{name}.exe" if IS_WINDOWS else name)


def build(dist: Path, work: Path, entry: Path | None) -> None:
    env = dict(os.environ)
    env.pop("OPDIAL_BENCH_ENTRY", None)
    if entry is not None:
        env["OPDIAL_BENCH_ENTRY"] = str(entry)
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    cmd += ["--distpath", str(dist), "--workpath", str(work / (entry.stem if entry else "opdial")), str(SPEC)]
    print(f"building {entry.name if entry else 'opdial'} ...", flush=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def is_stale(executable: Path) -> bool:
    """Missing, or older than the code or spec it is built from."""
    if not executable.exists():
        return True
    built = executable.stat().st_mtime
    sources = [SPEC, HELLO, *(ROOT / "desktop_app").rglob("*.py"), *(ROOT / "resources").rglob("*")]
    return any(source.stat().st_mtime > built for source in sources)


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def archive_sizes(onedir: Path) -> dict[str, int]:
    sizes = {}
    with tempfile.TemporaryDirectory() as scratch:
        zip_path = Path(scratch) / "onedir.zip"
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for file in sorted(onedir.rglob("*")):
                zf.write(file, file.relative_to(onedir.parent))
        sizes["zip (deflate 9)"] = zip_path.stat().st_size
        xz_path = Path(scratch) / "onedir.tar.xz"
        with tarfile.open(xz_path, "w:xz", preset=6) as tf:
            tf.add(onedir, arcname=onedir.name)
        sizes["tar.xz"] = xz_path.stat().st_size
    return sizes


def time_to_shown(cmd: list[str], env: dict[str, str]) -> float:
    start = time.time()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    for line in proc.stdout.splitlines():
        if line.startswith("OPDIAL_SHOWN "):
            return float(line.split()[1]) - start
    raise RuntimeError(f"{cmd[0]} never showed its window (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def compare(label: str, app_cmd: list[str], hello_cmd: list[str], runs: int, env: dict[str, str]) -> float:
    time_to_shown(app_cmd, env), time_to_shown(hello_cmd, env)  # warm-up: disk cache, first-run files
    app_times, hello_times = [], []
    for _ in range(runs):
        app_times.append(time_to_shown(app_cmd, env))
        hello_times.append(time_to_shown(hello_cmd, env))
    app_ms, hello_ms = statistics.median(app_times) * 1000, statistics.median(hello_times) * 1000
    ratio = app_ms / hello_ms
    print(
        f"{label}: OpDial {app_ms:.0f} ms, hello window {hello_ms:.0f} ms (medians of {runs}) → {ratio:.2f}×"
    )
    return ratio


AGENT_DATA = """
import sqlite3
from desktop_app.credentials import Profile, ProfileStore
from desktop_app.history import History
ProfileStore().save(Profile(name="Acme Sales", company_id="c1", public_ivr_id="ivr1", user_id="u1"))
rows = [("2026-01-01T09:00:00+00:00", "Acme Sales", "user", f"+9190000{i:05d}", f"opd-b-{i}", "accepted")
        for i in range(3000)]
db = sqlite3.connect(History().path)
with db:
    db.executemany("INSERT INTO calls (time, profile, kind, customer, reference_id, status)"
                   " VALUES (?, ?, ?, ?, ?, ?)", rows)
db.close()
"""


def make_agent_data(env: dict[str, str]) -> None:
    """An agent's data folder: a saved profile (its secrets are asked for after the paint) and history."""
    subprocess.run([sys.executable, "-c", AGENT_DATA], env=env, cwd=ROOT, check=True)


def verdict(value: float, target: float) -> str:
    return "within target" if value <= target else "OVER target"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    dist = args.dist.resolve()
    onedir, hello_dir = dist / "opdial", dist / "hello_window"
    if args.rebuild or is_stale(exe(onedir, "opdial")):
        build(dist, args.work.resolve(), None)
    if args.rebuild or is_stale(exe(hello_dir, "hello_window")):
        build(dist, args.work.resolve(), HELLO)

    onedir_mb = tree_size(onedir) / MB
    archives = archive_sizes(onedir)
    shipped = "zip (deflate 9)" if IS_WINDOWS else "tar.xz"  # what packaging/build.py makes here
    archive_mb = archives[shipped] / MB
    print(f"platform: {sys.platform}, Python {sys.version.split()[0]}")
    print(f"onedir {onedir}: {onedir_mb:.1f} MB", end=" ")
    print(f"(target <= {TARGET_ONEDIR_MB}): {verdict(onedir_mb, TARGET_ONEDIR_MB)}")
    for kind, size in archives.items():
        print(f"  compressed, {kind}: {size / MB:.1f} MB")
    print(f"compressed archive ({shipped}): {archive_mb:.1f} MB", end=" ")
    print(f"(target <= {TARGET_ARCHIVE_MB}): {verdict(archive_mb, TARGET_ARCHIVE_MB)}")
    print(f"bare hello window onedir: {tree_size(hello_dir) / MB:.1f} MB")

    env = dict(os.environ, OPDIAL_EXIT_AFTER_SHOWN="1")
    # An installed OpDial runs from bytecode (pip and PyInstaller compile it): let the warm-up run
    # write .pyc files, or every timed source run would recompile every module from scratch.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="opdial-bench-") as data:
        env["OPDIAL_DATA_DIR"] = data
        frozen = compare(
            "frozen start-up",
            [str(exe(onedir, "opdial"))],
            [str(exe(hello_dir, "hello_window"))],
            args.runs,
            env,
        )
        source = compare(
            "source start-up",
            [sys.executable, "-m", "desktop_app"],
            [sys.executable, str(HELLO)],
            args.runs,
            env,
        )
    with tempfile.TemporaryDirectory(prefix="opdial-bench-agent-") as data:
        env["OPDIAL_DATA_DIR"] = data
        make_agent_data(env)
        agent = compare(
            "agent start-up from source (a profile, 3,000 calls in history)",
            [sys.executable, "-m", "desktop_app"],
            [sys.executable, str(HELLO)],
            args.runs,
            env,
        )
    print(
        f"frozen ratio {frozen:.2f} (target <= {TARGET_FROZEN_RATIO}): {verdict(frozen, TARGET_FROZEN_RATIO)}"
    )
    print(
        f"source ratio {source:.2f} (target <= {TARGET_SOURCE_RATIO}): {verdict(source, TARGET_SOURCE_RATIO)}"
    )
    print(f"agent ratio {agent:.2f} (target <= {TARGET_SOURCE_RATIO}): {verdict(agent, TARGET_SOURCE_RATIO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
