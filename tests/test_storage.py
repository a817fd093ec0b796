"""OpDial's files are the user's alone, damaged files are said, kept and recovered, and a folder that
cannot be written (or a full disk) gets words and exit 2 — with real files, real processes and, for the
full disk, a real tiny file system (skipped where mounting is not permitted)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app import cli, config, storage
from desktop_app.campaigns.checker import export_rejected_csv
from desktop_app.campaigns.journal import Journal
from desktop_app.credentials import Profile, ProfileStore
from desktop_app.history import History
from desktop_app.logging_setup import setup_logging, shutdown_logging
from tests import strict_json
from tests.campaign_helpers import make_campaign, numbers

POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
REPO = Path(__file__).resolve().parents[1]
CUSTOMER = "+919876543210"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (022): without OpDial's own modes every file would be world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture(autouse=True)
def _fresh_notices_and_logging() -> Iterator[None]:
    storage.take_notices()
    yield
    shutdown_logging()
    storage.take_notices()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def make_profile(name: str = "Acme") -> Profile:
    return Profile(name=name, company_id="c-1", public_ivr_id="ivr-1")


# -- 1. files are the user's alone ----------------------------------------------------------------


@POSIX_ONLY
def test_every_file_and_folder_of_a_realistic_run_is_private(
    capsys, loose_umask, sandbox, sandbox_env, isolated_data_dir, tmp_path
) -> None:
    store = ProfileStore()
    store.save(make_profile())
    store.set_pref("window", {"w": 1})
    assert run(capsys, "call", "ivr", "--to", CUSTOMER)[0] == 0  # history + a log line
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Name,Phone\nA,+919876500001\nB,12\n", encoding="utf-8")
    code, out, _ = run(
        capsys, "--json", "campaign", "run", str(contacts), "--rate", "0", "--calling-window", "any"
    )
    assert code == 0
    campaign_id = strict_json.loads(out)["id"]
    exports = tmp_path / "exports"
    exports.mkdir()
    history_csv, results_csv, left_out_csv = exports / "h.csv", exports / "r.csv", exports / "left.csv"
    assert run(capsys, "history", "--export", str(history_csv))[0] == 0
    assert run(capsys, "campaign", "export", campaign_id, "--out", str(results_csv))[0] == 0
    with Journal.open(campaign_id) as journal:
        export_rejected_csv(journal.rejected_rows(), left_out_csv)
    with History() as history:  # -wal/-shm exist only while the database is open
        history.clear()
        wal = config.history_path().with_name("history.sqlite3-wal")
        assert wal.exists() and mode(wal) == 0o600
        assert mode(wal.with_name("history.sqlite3-shm")) == 0o600

    files = [p for p in isolated_data_dir.rglob("*") if p.is_file()]
    folders = [isolated_data_dir, *(p for p in isolated_data_dir.rglob("*") if p.is_dir())]
    names = {p.name for p in files}
    assert {"settings.json", "settings.json.backup", "settings.json.lock", "history.sqlite3"} <= names
    assert {"opdial.log", f"{campaign_id}.sqlite3", f"{campaign_id}.lock"} <= names
    assert {p: oct(mode(p)) for p in files if mode(p) != 0o600} == {}
    assert {p: oct(mode(p)) for p in folders if mode(p) != 0o700} == {}
    assert [oct(mode(p)) for p in (history_csv, results_csv, left_out_csv)] == ["0o600"] * 3


@POSIX_ONLY
def test_rotated_logs_stay_private(loose_umask, isolated_data_dir, monkeypatch) -> None:
    import logging

    from desktop_app import logging_setup

    monkeypatch.setattr(logging_setup, "MAX_BYTES", 200)
    setup_logging()
    for i in range(20):
        logging.getLogger("opdial.test").info("line %d %s", i, "x" * 50)
    logs = sorted((isolated_data_dir / "logs").iterdir())
    assert [p.name for p in logs] == ["opdial.log", "opdial.log.1", "opdial.log.2", "opdial.log.3"]
    assert [oct(mode(p)) for p in logs] == ["0o600"] * 4


@POSIX_ONLY
def test_loose_files_and_folders_left_by_an_older_version_are_tightened_at_start(
    loose_umask, isolated_data_dir
) -> None:
    older = {
        "config/settings.json": '{"profiles": []}',
        "data/history.sqlite3": "",
        "data/campaigns/20260101-old.lock": "",
        "logs/opdial.log.1": "old log",
    }
    for name, text in older.items():
        path = isolated_data_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)
    for folder in ("config", "data", "data/campaigns", "logs"):
        (isolated_data_dir / folder).chmod(0o755)

    ProfileStore()
    History().close()
    config.campaigns_dir()
    setup_logging()

    assert {n: oct(mode(isolated_data_dir / n)) for n in older} == {n: "0o600" for n in older}
    for folder in ("config", "data", "data/campaigns", "logs"):
        assert oct(mode(isolated_data_dir / folder)) == "0o700", folder


# -- 2. damaged files are said, kept and recovered ------------------------------------------------


def test_damaged_settings_are_kept_and_the_last_good_copy_is_restored(capsys) -> None:
    store = ProfileStore()
    store.save(make_profile("Acme"))
    store.save(make_profile("Beta"))
    garbage = '{"profiles": [{"name": "Acme"'
    store.path.write_text(garbage, encoding="utf-8")

    code, out, err = run(capsys, "profile", "list")

    assert code == 0 and "Acme" in out and "Beta" in out  # the profiles did not vanish
    [kept] = store.path.parent.glob("settings.json.damaged-*")
    assert kept.read_text(encoding="utf-8") == garbage
    assert "settings file" in err and "damaged" in err and str(kept) in err and "restored" in err
    assert ProfileStore().names() == ["Acme", "Beta"] and ProfileStore().load_warning is None


def test_damaged_history_is_moved_aside_and_a_fresh_one_started(capsys, sandbox, sandbox_env) -> None:
    path = config.history_path()
    path.write_bytes(b"this is not a database at all" * 100)

    code, out, err = run(capsys, "history")
    assert code == 0 and "No calls yet." in out
    [kept] = path.parent.glob("history.sqlite3.damaged-*")
    assert kept.read_bytes().startswith(b"this is not a database")
    assert "call history" in err and "damaged" in err and str(kept) in err

    assert run(capsys, "call", "ivr", "--to", CUSTOMER)[0] == 0
    with History() as history:
        assert history.count() == 1


def test_a_damaged_campaign_is_listed_as_damaged_and_status_says_so(capsys) -> None:
    good = make_campaign(numbers(2))
    bad = make_campaign(numbers(2, first=10))
    bad.write_bytes(b"garbage " * 500)

    code, out, err = run(capsys, "campaign", "list")
    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert set(lines) == {good.stem, bad.stem}
    assert "damaged" in lines[bad.stem] and "damaged" not in lines[good.stem]

    code, out, err = run(capsys, "campaign", "status", bad.stem)
    assert code == 2 and "Traceback" not in err
    assert f"Campaign {bad.stem} is damaged" in err and ".damaged-" in err
    [kept] = bad.parent.glob(f"{bad.name}.damaged-*")
    assert kept.read_bytes().startswith(b"garbage")
    assert run(capsys, "campaign", "status", good.stem)[0] == 0


# -- 2. a folder that cannot be written, a full disk ----------------------------------------------


@pytest.fixture
def data_dir_is_a_file(isolated_data_dir, monkeypatch) -> Path:
    """As root, chmod does not stop writes: a regular file where the data folder should be does."""
    isolated_data_dir.parent.mkdir(parents=True, exist_ok=True)
    isolated_data_dir.write_text("not a folder", encoding="utf-8")
    return isolated_data_dir


def test_an_unwritable_data_folder_exits_2_with_words(capsys, data_dir_is_a_file) -> None:
    code, _, err = run(capsys, "history")
    assert code == 2 and "Traceback" not in err
    assert "cannot create or write the folder" in err and str(data_dir_is_a_file) in err
    assert "a file is in the way" in err
    assert "logging to the terminal instead" in err  # logging fell back to stderr


def test_commands_that_need_no_storage_still_work_without_a_data_folder(
    capsys, data_dir_is_a_file, sandbox, sandbox_env
) -> None:
    code, out, _ = run(capsys, "number", "098765 43210")
    assert code == 0 and "+919876543210" in out
    code, out, _ = run(capsys, "--json", "preview", "call", "ivr", "--to", CUSTOMER)
    assert code == 0 and strict_json.loads(out)["request"]["body"]
    assert sandbox.accepted_calls == []  # a preview sends nothing


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KB file system (tmpfs), filled up. Needs mount rights (root); skipped otherwise."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        shutdown_logging()
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill(disk: Path) -> None:
    try:
        with open(disk / "filler", "wb") as handle:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
    except OSError as exc:
        assert exc.errno == 28  # ENOSPC: the disk is full now


def test_a_full_disk_exits_2_with_words_and_keeps_the_settings(capsys, tiny_disk, monkeypatch) -> None:
    monkeypatch.setenv("OPDIAL_DATA_DIR", str(tiny_disk / "opdial"))
    ProfileStore().save(make_profile("Acme"))
    fill(tiny_disk)

    with pytest.raises(storage.StorageError, match="the disk is full"):
        ProfileStore().save(make_profile("Beta"))
    assert ProfileStore().names() == ["Acme"]  # nothing lost, nothing half-written

    code, _, err = run(capsys, "history")
    assert code == 2 and "Traceback" not in err
    assert "the disk is full" in err and "history.sqlite3" in err


# -- 3. two processes writing settings ------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from desktop_app.credentials import Profile, ProfileStore

    who, count = sys.argv[1], int(sys.argv[2])
    sys.stdin.readline()  # start together
    for i in range(count):
        store = ProfileStore()
        if i % 2:
            store.set_pref(f"{who}-{i}", i)
        else:
            store.save(Profile(name=f"{who}-{i}", company_id="c", public_ivr_id="i"))
    """
)


def test_two_processes_racing_settings_updates_lose_nothing(isolated_data_dir) -> None:
    count = 40
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, who, str(count)], stdin=subprocess.PIPE, env=env, text=True
        )
        for who in ("window", "cli")
    ]
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]

    store = ProfileStore()
    expected_profiles = {f"{who}-{i}" for who in ("window", "cli") for i in range(0, count, 2)}
    assert set(store.names()) == expected_profiles
    for who in ("window", "cli"):
        for i in range(1, count, 2):
            assert store.get_pref(f"{who}-{i}") == i, (who, i)


# -- 4. a keyring backend that fails to start -----------------------------------------------------

BROKEN_BACKEND = textwrap.dedent(
    """
    from keyring.backend import KeyringBackend

    class Keyring(KeyringBackend):
        priority = 10

        def __init__(self):
            raise RuntimeError("the keyring daemon exploded")

        def get_password(self, service, username):
            raise AssertionError("never reached")

        def set_password(self, service, username, password):
            raise AssertionError("never reached")

        def delete_password(self, service, username):
            raise AssertionError("never reached")
    """
)


def test_a_keyring_backend_that_fails_to_start_gets_words_not_a_traceback(
    tmp_path, isolated_data_dir, sandbox
) -> None:
    (tmp_path / "broken_keyring.py").write_text(BROKEN_BACKEND, encoding="utf-8")
    ProfileStore().save(replace_url(make_profile("Acme"), sandbox.url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPDIAL_")}
    env.update(
        OPDIAL_DATA_DIR=str(isolated_data_dir),
        PYTHON_KEYRING_BACKEND="broken_keyring.Keyring",
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]),
    )
    expected_codes = {"call": 2, "profile": 0}  # `profile show` shows the profile and why no secrets
    for argv in (["call", "ivr", "--to", CUSTOMER], ["profile", "show", "Acme"]):
        done = subprocess.run(
            [sys.executable, "-m", "desktop_app.cli", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        said = done.stdout + done.stderr
        assert done.returncode == expected_codes[argv[0]], said
        assert "Traceback" not in said
        assert "keyring could not be started" in said and "exploded" in said
    assert sandbox.accepted_calls == []


def replace_url(profile: Profile, url: str) -> Profile:
    profile.api_url = url
    return profile


def test_a_damaged_journal_read_by_two_threads_at_once_is_set_aside_once_and_never_restarted_empty(
    tmp_path,
) -> None:
    """The campaign list and the opened campaign may read the same damaged journal together."""
    import threading

    from desktop_app.campaigns.journal import DamagedJournalError, Journal

    path = tmp_path / "20261206-120000-abcd.sqlite3"
    errors: list[BaseException] = []
    for _round in range(20):
        path.write_bytes(b"garbage " * 500)
        start = threading.Barrier(2)

        def read(start: threading.Barrier = start) -> None:
            start.wait()
            try:
                Journal.open(path.stem, tmp_path).close()
            except BaseException as error:  # collected and checked below
                errors.append(error)

        threads = [threading.Thread(target=read) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not path.exists()  # no empty journal was started in its place
    assert len(errors) == 40 and all(isinstance(e, DamagedJournalError) for e in errors), errors[:3]
