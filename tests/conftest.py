"""Shared fixtures: a fresh data dir per test, no stray OPDIAL_* variables, a real sandbox server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OPDIAL_VARS = (
    "OPDIAL_API_KEY",
    "OPDIAL_SECRET_TOKEN",
    "OPDIAL_COMPANY_ID",
    "OPDIAL_PUBLIC_IVR_ID",
    "OPDIAL_USER_ID",
    "OPDIAL_API_URL",
    "OPDIAL_PROFILE",
)


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "opdial-data"
    monkeypatch.setenv("OPDIAL_DATA_DIR", str(data))
    for name in OPDIAL_VARS:
        monkeypatch.delenv(name, raising=False)
    return data


@pytest.fixture
def sandbox() -> Iterator:
    """The real sandbox server on a free loopback port."""
    from desktop_app.sandbox.server import SandboxServer

    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox_env(sandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The sandbox's OPDIAL_* variables, set in the environment (automation with no profile)."""
    from desktop_app.sandbox.server import environment

    values = environment(sandbox)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def secret_service_required() -> bool:
    return os.environ.get("OPDIAL_SECRET_SERVICE") == "1"


@pytest.fixture
def secret_service() -> Iterator:
    """The real Secret Service, made the process's keyring for the test.

    ``scripts/dev.py test`` (and so CI) runs inside a private D-Bus session with a fresh, unlocked
    gnome-keyring and sets OPDIAL_SECRET_SERVICE=1: there a missing service fails the test instead of
    skipping it, so CI always exercises the real backend.
    """
    import keyring
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    try:
        _ = backend.priority  # raises when no Secret Service answers on the session bus
        backend.set_password("co.opdial.test-probe", "probe", "probe-value")
        backend.delete_password("co.opdial.test-probe", "probe")
    except Exception as error:  # any failure means: not usable here
        message = f"no usable Secret Service on the session bus: {error}"
        if secret_service_required():
            pytest.fail(message)
        pytest.skip(message)
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
