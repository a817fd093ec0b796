"""The real keyring round trip through the OS's own store: the login Keychain on macOS, Credential
Manager on Windows. Skipped elsewhere (Linux has test_keyring_secret_service.py); on those two
systems it never skips — the tests workflow runs it on their GitHub runners, where the runner
user's store is open, so a failure there is a real one.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import Iterator

import pytest
from keyring.backend import KeyringBackend

from desktop_app import APP_ID
from desktop_app.credentials import SecretStore

pytestmark = pytest.mark.skipif(
    sys.platform not in ("darwin", "win32"), reason="the Keychain and Credential Manager exist only there"
)

API_KEY = "native-test-api-key-6b2f91"
SECRET_TOKEN = "native-test-secret-token-0d7e35"
EXPECTED = {"darwin": "macOS Keychain", "win32": "Windows Credential Manager"}


def native_backend() -> KeyringBackend:
    if sys.platform == "darwin":
        from keyring.backends import macOS

        return macOS.Keyring()
    from keyring.backends import Windows

    return Windows.WinVaultKeyring()


@pytest.fixture
def profile_name() -> Iterator[str]:
    """A unique profile name, its items removed afterwards whatever happens."""
    name = f"opdial-test-{uuid.uuid4().hex[:8]}"
    yield name
    backend = native_backend()
    for who in (name, f"{name}-renamed"):
        for kind in ("api_key", "secret_token"):
            with contextlib.suppress(Exception):
                backend.delete_password(APP_ID, f"{who}/{kind}")


def test_the_default_store_is_the_os_keyring_not_a_plaintext_file() -> None:
    store = SecretStore()
    status = store.status()
    assert status.usable, status.explanation
    assert status.backend_name == EXPECTED[sys.platform]


def test_secrets_round_trip_through_the_os_keyring(profile_name: str) -> None:
    SecretStore().set_secrets(profile_name, API_KEY, SECRET_TOKEN)
    backend = native_backend()  # a fresh handle sees what the store wrote, under the app's name
    assert backend.get_password(APP_ID, f"{profile_name}/api_key") == API_KEY
    assert backend.get_password(APP_ID, f"{profile_name}/secret_token") == SECRET_TOKEN

    fresh = SecretStore(native_backend())
    fresh.rename(profile_name, f"{profile_name}-renamed")
    assert fresh.get_api_key(f"{profile_name}-renamed") == API_KEY
    assert not fresh.has_secrets(profile_name)
    fresh.delete_secrets(f"{profile_name}-renamed")
    assert backend.get_password(APP_ID, f"{profile_name}-renamed/api_key") is None
