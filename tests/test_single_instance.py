"""One OpDial per user: hand-over between real processes, and recovery from a crashed primary."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.ui.single_instance import SingleInstance, default_server_name

REPO = Path(__file__).resolve().parents[1]

SECOND_LAUNCH = """
import sys
from desktop_app.ui.single_instance import SingleInstance
handed_over = SingleInstance(sys.argv[1]).try_hand_over(sys.argv[2])
print("handed-over" if handed_over else "no-primary", flush=True)
sys.exit(0 if handed_over else 1)
"""

PRIMARY = """
import sys
from PySide6.QtCore import QCoreApplication
from desktop_app.ui.single_instance import SingleInstance
app = QCoreApplication([])
instance = SingleInstance(sys.argv[1])
if not instance.listen():
    print("not-primary", flush=True)
    sys.exit(3)
def received(message):
    print("got:" + message, flush=True)
    if message == "quit":
        app.quit()
instance.message_received.connect(received)
print("ready", flush=True)
app.exec()
"""


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}


@pytest.fixture
def name() -> str:
    return f"opdial-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def primary_process(name: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(python(PRIMARY, name), stdout=subprocess.PIPE, text=True, env=env())
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    yield process
    process.kill()
    process.wait(timeout=10)


def second_launch(name: str, payload: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        python(SECOND_LAUNCH, name, payload), capture_output=True, text=True, env=env(), timeout=30
    )


def test_the_server_name_is_per_user_and_socket_safe() -> None:
    assert default_server_name("asha", data_dir="") == "co.opdial.OpDial-asha"
    assert default_server_name(r"CORP\asha rao", data_dir="") == "co.opdial.OpDial-CORP_asha_rao"


def test_a_separate_data_folder_is_a_separate_instance(isolated_data_dir: Path) -> None:
    mine = default_server_name("asha")  # conftest sets OPDIAL_DATA_DIR for every test
    assert mine.startswith("co.opdial.OpDial-asha-") and mine != default_server_name("asha", data_dir="")
    assert mine == default_server_name("asha", data_dir=str(isolated_data_dir))
    assert mine != default_server_name("asha", data_dir=str(isolated_data_dir / "other"))


def test_a_second_process_hands_its_link_to_the_primary_in_this_process(qtbot, name: str) -> None:
    primary = SingleInstance(name)
    assert primary.listen()
    try:
        link = "tel:+91%2098765%2043210"
        with qtbot.waitSignal(primary.message_received, timeout=20000) as received:
            process = subprocess.Popen(
                python(SECOND_LAUNCH, name, link), stdout=subprocess.PIPE, text=True, env=env()
            )
        assert received.args == [link]
        out, _ = process.communicate(timeout=20)
        assert (process.returncode, out.strip()) == (0, "handed-over")
    finally:
        primary.close()


def test_hand_over_between_two_real_processes(primary_process: subprocess.Popen[str], name: str) -> None:
    done = second_launch(name, "callto://+14155550123")
    assert (done.returncode, done.stdout.strip()) == (0, "handed-over")
    assert primary_process.stdout is not None
    assert primary_process.stdout.readline().strip() == "got:callto://+14155550123"

    # A plain second launch (no argument) hands over the empty string: "show yourself".
    assert second_launch(name, "").returncode == 0
    assert primary_process.stdout.readline().strip() == "got:"

    assert second_launch(name, "quit").returncode == 0
    assert primary_process.wait(timeout=10) == 0


def test_without_a_primary_the_launch_is_told_to_become_primary(name: str) -> None:
    done = second_launch(name, "tel:+442079460000")
    assert (done.returncode, done.stdout.strip()) == (1, "no-primary")


def test_a_live_primary_is_never_displaced(primary_process: subprocess.Popen[str], name: str) -> None:
    contender = SingleInstance(name)
    assert contender.primary_is_running()
    assert not contender.listen()
    assert second_launch(name, "still-there").returncode == 0
    assert primary_process.stdout is not None
    assert primary_process.stdout.readline().strip() == "got:still-there"


def test_stale_socket_after_a_crash_is_recovered(qtbot, name: str) -> None:
    crashed = subprocess.Popen(python(PRIMARY, name), stdout=subprocess.PIPE, text=True, env=env())
    assert crashed.stdout is not None
    assert crashed.stdout.readline().strip() == "ready"
    crashed.kill()  # SIGKILL on POSIX: no clean-up, the socket file stays behind
    crashed.wait(timeout=10)
    crashed.stdout.close()
    if sys.platform != "win32":
        assert (Path(tempfile.gettempdir()) / name).exists(), "the crash should leave the socket file"

    successor = SingleInstance(name)
    assert not successor.try_hand_over("tel:+919876543210")
    assert successor.listen()
    try:
        with qtbot.waitSignal(successor.message_received, timeout=20000) as received:
            process = subprocess.Popen(python(SECOND_LAUNCH, name, "after-crash"), env=env())
        assert received.args == ["after-crash"]
        assert process.wait(timeout=20) == 0
    finally:
        successor.close()


def test_unicode_and_newlines_survive_the_hand_over(qtbot, name: str) -> None:
    primary = SingleInstance(name)
    assert primary.listen()
    try:
        payload = "opdial:dial?to=+919876543210&note=पहला\nline"
        with qtbot.waitSignal(primary.message_received, timeout=20000) as received:
            process = subprocess.Popen(python(SECOND_LAUNCH, name, payload), env=env())
        assert received.args == [payload]
        assert process.wait(timeout=20) == 0
    finally:
        primary.close()
