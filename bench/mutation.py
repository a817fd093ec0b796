"""Mutation check (not a test): break one security promise at a time and make sure a test notices.

    python3 bench/mutation.py                  # every mutant, each against its own test files
    python3 bench/mutation.py --all-tests      # each mutant against the whole suite (slow)
    python3 bench/mutation.py --only tls-verify-off --only redirects-followed
    python3 bench/mutation.py --list           # the mutants, and whether their text is found

Each mutant is a small textual replacement (exact old text → new text) in one source file. The
script copies the working tree (tracked and untracked files, not ignored ones) to a temporary
folder, checks the unmutated copy passes the tests involved, then for each mutant writes the
mutated file, runs its tests there with this repo's .venv (as ``scripts/dev.py test`` does: inside
a private D-Bus and gnome-keyring on Linux) and puts the file back. The working tree is never
touched.

Results: "killed" (a test failed: good), "SURVIVED" (every test passed: a promise no test pins),
"NOT APPLIED" (the old text is not in the file, or not exactly once: the mutant is out of date
with the code and must be fixed), "ERROR" (pytest could not run the tests). The exit status is 0
only when every mutant was killed.

Mutants are data (``MUTANTS``): when the code they target changes, change their text here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IS_WINDOWS = os.name == "nt"
PYTEST_ARGS = ("-x", "-q", "-p", "no:cacheprovider")
KILLED_EXIT_CODES = {1: "killed", 2: "killed (collection error)"}  # pytest's "tests failed" codes


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # relative to the repo root
    old: str  # must occur exactly once (or at least once with replace_all)
    new: str
    tests: tuple[str, ...]  # test files (or node ids) that must kill it
    replace_all: bool = False
    why: str = ""  # the promise it breaks


TRANSPORT = "tests/test_transport_security.py"
CLIENT_TESTS = "tests/test_api_client.py"
TRANSPORT_FAULTS = "tests/test_transport.py"  # proxies, trickling servers, gzip bombs
STORAGE = "tests/test_storage.py"  # file and folder modes, damaged files

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "tls-verify-off",
        "desktop_app/api/client.py",
        '"verify": _ssl_context(),',
        '"verify": False,',
        (TRANSPORT, CLIENT_TESTS),
        why="a certificate that fails verification ends the call as 'tls'",
    ),
    Mutant(
        "tls-hostname-unchecked",
        "desktop_app/api/client.py",
        "    context.load_default_certs()\n",
        "    context.load_default_certs()\n    context.check_hostname = False\n",
        (TRANSPORT,),
        why="a trusted certificate for another name is refused",
    ),
    Mutant(
        "redirects-followed",
        "desktop_app/api/client.py",
        '"follow_redirects": False,',
        '"follow_redirects": True,',
        (TRANSPORT,),
        why="a redirect is not followed; its target never sees the secrets",
    ),
    Mutant(
        "response-cap-removed",
        "desktop_app/api/client.py",
        "MAX_RESPONSE_BYTES = 1_000_000",
        "MAX_RESPONSE_BYTES = 10**12",
        (TRANSPORT, CLIENT_TESTS),
        why="an answer over 1 MB is not accepted (nor held in memory)",
    ),
    Mutant(
        # Only the compressed bytes are counted: a small gzip inflates without bound.
        "inflated-size-unbounded",
        "desktop_app/api/client.py",
        "        if len(self.data) + len(piece) > self._limit:\n            raise _TooLarge\n",
        "        pass\n",
        (TRANSPORT_FAULTS,),
        why="a gzip bomb stops at the cap without being inflated in memory",
    ),
    Mutant(
        "attempt-deadline-removed",
        "desktop_app/api/client.py",
        "                if cancel.is_set() or time.monotonic() >= deadline:\n",
        "                if cancel.is_set():\n",
        (TRANSPORT_FAULTS,),
        why="a server that trickles one byte at a time is cut at the attempt's deadline",
    ),
    Mutant(
        "cancel-waits-for-the-server",
        "desktop_app/api/client.py",
        "                if cancel.is_set() or time.monotonic() >= deadline:\n",
        "                if time.monotonic() >= deadline:\n",
        (TRANSPORT_FAULTS,),
        why="Esc / Ctrl+C cut the attempt in flight instead of waiting for the server",
    ),
    Mutant(
        "retry-after-cap-removed",
        "desktop_app/api/client.py",
        "return problem.retry_after if problem.retry_after <= self.max_retry_after_s else None",
        "return problem.retry_after",
        (CLIENT_TESTS, "tests/test_campaign_runner.py"),
        why="a Retry-After over the cap is reported instead of blocking",
    ),
    Mutant(
        "campaign-retry-after-cap-removed",
        "desktop_app/campaigns/runner.py",
        "elif problem.retry_after is not None and problem.retry_after > MAX_RETRY_AFTER_S:",
        "elif False:",
        ("tests/test_campaign_faults.py",),
        why="a campaign told to wait beyond 15 minutes pauses instead of hanging",
    ),
    Mutant(
        # No direct mounts: plain http and loopback follow HTTP_PROXY like everything else.
        "proxy-used-for-loopback",
        "desktop_app/api/client.py",
        '"mounts": _DIRECT,',
        '"mounts": {},',
        (TRANSPORT_FAULTS,),
        why="a plain-http loopback URL never goes through a proxy",
    ),
    Mutant(
        # Only the exact secret is masked: no JSON/URL/base64/hex forms, no fragments.
        "redaction-forms-removed",
        "desktop_app/api/redaction.py",
        "    needles = texts | _encoded_forms(secret)\n"
        "    for form in texts:\n"
        "        needles |= _fragments(form)\n",
        "    needles = {secret}\n",
        ("tests/test_redaction.py",),
        why="a secret echoed JSON-, URL-encoded, base64, hex or in fragments is masked too",
    ),
    Mutant(
        "formula-defusing-removed",
        "desktop_app/csv_cells.py",
        """return "'" + text if risky else value""",
        "return value",
        ("tests/test_history.py", "tests/test_campaign_export.py"),
        why="a CSV export cannot run a cell as a spreadsheet formula",
    ),
    Mutant(
        # mkstemp makes the file 0600 and os.replace keeps it; loosen it before the swap.
        "settings-file-mode-loosened",
        "desktop_app/credentials.py",
        "        os.replace(tmp, path)\n",
        "        os.chmod(tmp, 0o644)\n        os.replace(tmp, path)\n",
        ("tests/test_credentials.py", STORAGE),
        why="settings.json is the user's alone (0600)",
    ),
    Mutant(
        # History, journals, locks, logs and exports are all made through storage's FILE_MODE.
        "file-modes-loosened",
        "desktop_app/storage.py",
        "FILE_MODE = 0o600",
        "FILE_MODE = 0o644",
        (STORAGE,),
        why="every file OpDial writes is 0600",
    ),
    Mutant(
        "folder-modes-loosened",
        "desktop_app/storage.py",
        "DIR_MODE = 0o700",
        "DIR_MODE = 0o755",
        (STORAGE,),
        why="the config, data and log folders are 0700",
    ),
)


@dataclass
class Result:
    mutant: Mutant
    status: str
    seconds: float = 0.0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status.startswith("killed")


# -- the copy ----------------------------------------------------------------------------------------


def venv_python() -> Path:
    python = ROOT / ".venv" / ("Scripts/python.exe" if IS_WINDOWS else "bin/python")
    if not python.exists():
        raise SystemExit("no .venv here: run `python3 scripts/dev.py lint` first (it makes it)")
    return python


def copy_tree(destination: Path) -> None:
    """The working tree as it is now (uncommitted edits included), without ignored files."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is listed too
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    if not IS_WINDOWS:  # scripts/dev.py's in-bus runner looks for .venv beside itself
        (destination / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)


def test_command(copy: Path, tests: list[str]) -> list[str]:
    python = str(venv_python())
    args = [*tests, *PYTEST_ARGS]
    if sys.platform.startswith("linux") and shutil.which("dbus-run-session") and shutil.which(
        "gnome-keyring-daemon"
    ):
        return ["dbus-run-session", "--", python, str(copy / "scripts" / "dev.py"), "_test-in-bus", *args]
    return [python, "-m", "pytest", *args]


def test_env(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The copy's desktop_app, not the editable install's (which points at the working tree).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(copy), env.get("PYTHONPATH")]))
    env["OPDIAL_IN_TEST_BUS"] = "1"
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def check_imports_from(copy: Path) -> None:
    """Guard: if the tests imported the working tree's code, every mutant would survive silently."""
    probe = subprocess.run(
        [str(venv_python()), "-c", "import desktop_app; print(desktop_app.__file__)"],
        cwd=copy, env=test_env(copy), capture_output=True, text=True, check=True,
    )  # fmt: skip
    where = Path(probe.stdout.strip()).resolve()
    if copy.resolve() not in where.parents:
        raise SystemExit(f"the copy imports desktop_app from {where}, not from {copy}: cannot mutate")


def run_tests(copy: Path, tests: list[str], timeout: float) -> tuple[int | None, str, float]:
    """pytest's exit code (None on timeout), its output, and the seconds it took."""
    started = time.monotonic()
    # A session of its own, so a timeout ends the bus, the keyring daemon and pytest together.
    process = subprocess.Popen(
        test_command(copy, tests), cwd=copy, env=test_env(copy), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=not IS_WINDOWS,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if IS_WINDOWS:
            process.kill()
        else:
            os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return None, output, time.monotonic() - started
    return process.returncode, output, time.monotonic() - started


# -- mutants -----------------------------------------------------------------------------------------


def not_applied_reason(mutant: Mutant, copy: Path) -> str | None:
    path = copy / mutant.file
    if not path.is_file():
        return f"{mutant.file} does not exist"
    found = path.read_text(encoding="utf-8").count(mutant.old)
    if found == 0:
        return "old text not found"
    if found > 1 and not mutant.replace_all:
        return f"old text found {found} times, expected once"
    return None


def run_mutant(mutant: Mutant, copy: Path, tests: list[str], timeout: float) -> Result:
    reason = not_applied_reason(mutant, copy)
    if reason:
        return Result(mutant, "NOT APPLIED", detail=reason)
    path = copy / mutant.file
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
    try:
        code, output, seconds = run_tests(copy, tests, timeout)
    finally:
        path.write_text(original, encoding="utf-8")
    if code is None:
        return Result(mutant, "killed (timeout)", seconds, f"no result after {timeout:.0f} s")
    if code == 0:
        return Result(mutant, "SURVIVED", seconds, "every test passed with the mutant in place")
    if code in KILLED_EXIT_CODES:
        return Result(mutant, KILLED_EXIT_CODES[code], seconds, first_failure(output))
    return Result(mutant, "ERROR", seconds, f"pytest exit {code}: {tail(output)}")


def first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" ", 1)[1][:120]
    return ""


def tail(output: str, lines: int = 5) -> str:
    return " | ".join(output.strip().splitlines()[-lines:])


# -- the run -----------------------------------------------------------------------------------------


def print_table(results: list[Result]) -> None:
    print("\n| mutant | file | result | seconds | detail |")
    print("|---|---|---|---:|---|")
    for r in results:
        seconds = f"{r.seconds:.1f}" if r.seconds else "–"
        print(f"| {r.mutant.name} | {r.mutant.file} | {r.status} | {seconds} | {r.detail} |")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this mutant (repeatable)")
    parser.add_argument("--all-tests", action="store_true", help="run the whole suite against each mutant")
    parser.add_argument("--list", action="store_true", help="list the mutants and whether they apply")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per test run (default 900)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (its path is printed)")
    return parser.parse_args(argv)


def selected(names: list[str] | None) -> list[Mutant]:
    if not names:
        return list(MUTANTS)
    known = {m.name: m for m in MUTANTS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown mutant(s): {', '.join(unknown)}; --list shows them")
    return [known[n] for n in names]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mutants = selected(args.only)
    if args.list:
        for m in mutants:
            reason = not_applied_reason(m, ROOT)
            print(f"{m.name:34} {m.file:32} {'NOT APPLIED: ' + reason if reason else 'applies'}")
            print(f"{'':34} breaks: {m.why}; tests: {' '.join(m.tests)}")
        return 0
    copy = Path(tempfile.mkdtemp(prefix="opdial-mutation-"))
    try:
        copy_tree(copy)
        check_imports_from(copy)
        return run_all(mutants, copy, args)
    finally:
        if args.keep:
            print(f"copy kept at {copy}")
        else:
            shutil.rmtree(copy, ignore_errors=True)


def run_all(mutants: list[Mutant], copy: Path, args: argparse.Namespace) -> int:
    def tests_for(mutant: Mutant) -> list[str]:
        return [] if args.all_tests else list(mutant.tests)  # no path: pytest's testpaths (all)

    # The unmutated code must pass every test involved, or "killed" would mean nothing.
    baseline_tests = [] if args.all_tests else sorted({t for m in mutants for t in m.tests})
    print(f"baseline: {' '.join(baseline_tests) or 'the whole suite'} on the unmutated copy ...", flush=True)
    code, output, seconds = run_tests(copy, baseline_tests, args.timeout)
    if code != 0:
        print(f"baseline failed (exit {code}, {seconds:.0f} s): fix the tests first.\n{output[-3000:]}")
        return 2
    print(f"baseline passed in {seconds:.1f} s", flush=True)
    results = []
    for mutant in mutants:
        print(f"mutant {mutant.name} ...", end=" ", flush=True)
        result = run_mutant(mutant, copy, tests_for(mutant), args.timeout)
        print(f"{result.status} ({result.seconds:.1f} s)", flush=True)
        results.append(result)
    print_table(results)
    bad = [r for r in results if not r.ok]
    killed = len(results) - len(bad)
    summary = f"\n{killed}/{len(results)} killed"
    print(summary + (f"; not killed: {', '.join(r.mutant.name for r in bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
