"""The real OpDial window on a real X server (Xvfb), driven from outside with xdotool.

Keys go through the X server exactly as an agent's keyboard would: no Qt test hooks. The sandbox
runs as its own process (``opdial-cli --json sandbox``) and its request log counts what was sent.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import strict_json

REPO = Path(__file__).resolve().parents[2]
SETTLE_S = 1.5  # time for the window to handle keys already sent (no assertion depends on speed)


@pytest.fixture
def x_display() -> Iterator[str]:
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        pytest.skip("Xvfb or xdotool not installed")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp", "-screen", "0", "1280x900x24"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 20)
        assert ready, "Xvfb did not start"
        yield ":" + os.read(read_end, 16).decode().strip()
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(timeout=10)


class RequestLog:
    """The sandbox process's --json lines: the banner first, then one line per request."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.lines: list[dict] = []
        self.banner: dict | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        assert self._ready.wait(30), "the sandbox did not start"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            record = strict_json.loads(line)
            if self.banner is None:
                self.banner = record
                self._ready.set()
            else:
                self.lines.append(record)

    def wait_for(self, count: int, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.lines) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.lines) >= count, f"expected {count} requests, saw {self.lines}"


@pytest.fixture
def sandbox_process() -> Iterator[RequestLog]:
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.cli", "--json", "sandbox", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield RequestLog(process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def xdotool(display: str, *args: str) -> str:
    done = subprocess.run(
        ["xdotool", *args], env={**os.environ, "DISPLAY": display}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_double_enter_after_a_queued_call_sends_no_second_request(
    x_display: str, sandbox_process: RequestLog, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        **sandbox_process.banner["environment"],
        "DISPLAY": x_display,
        "QT_QPA_PLATFORM": "xcb",
        "OPDIAL_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "PYTHONPATH": str(REPO),
    }
    (tmp_path / "run").mkdir(mode=0o700)
    app = subprocess.Popen(
        [sys.executable, "-m", "desktop_app"], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        try:
            window = xdotool(x_display, "search", "--sync", "--onlyvisible", "--name", "^OpDial$").split()[0]
        except (AssertionError, subprocess.TimeoutExpired):
            app.kill()
            stderr = app.communicate()[1]
            if "Could not load the Qt platform plugin" in stderr:
                pytest.skip("Qt's xcb plugin cannot load here")
            raise AssertionError(f"no OpDial window appeared: {stderr[-2000:]}") from None
        xdotool(x_display, "windowfocus", "--sync", window)
        time.sleep(SETTLE_S)  # the window puts the focus in the customer number at start

        xdotool(x_display, "type", "--delay", "30", "98765 43210")
        xdotool(x_display, "key", "Return")
        sandbox_process.wait_for(1)
        time.sleep(SETTLE_S)  # the answer reaches the window: "Queued", the number selected

        xdotool(x_display, "key", "--delay", "40", "Return", "Return")  # the double Enter
        time.sleep(SETTLE_S)
        assert len(sandbox_process.lines) == 1, sandbox_process.lines

        # The keys did reach the window: a new number typed now replaces the old one and calls.
        xdotool(x_display, "type", "--delay", "30", "98765 00001")
        xdotool(x_display, "key", "Return")
        sandbox_process.wait_for(2)
        numbers = [line.get("number") for line in sandbox_process.lines]
        assert numbers == ["+919876543210", "+919876500001"], sandbox_process.lines
        assert all(line["accepted"] for line in sandbox_process.lines)
    finally:
        if app.poll() is None:
            app.terminate()
            try:
                app.wait(timeout=20)
            except subprocess.TimeoutExpired:
                app.kill()
