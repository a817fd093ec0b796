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


def secret_service_required() -> bool:
    return os.environ.get("OPDIAL_SECRET_SERVICE") == "1"
