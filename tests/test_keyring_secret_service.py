"""The real keyring round trip through the Secret Service (gnome-keyring on a private D-Bus).

`python3 scripts/dev.py test` (and CI) runs pytest inside a throwaway D-Bus session with an
unlocked gnome-keyring and sets OPDIAL_SECRET_SERVICE=1: then these tests must run, not skip.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import SecretService

from desktop_app import APP_ID
from desktop_app.credentials import Profile, ProfileStore, SecretStore, resolve
from tests.conftest import secret_service_required

pytestmark = pytest.mark.secret_service

API_KEY = "ss-test-api-key-4c1d8e"
SECRET_TOKEN = "ss-test-secret-token-93fa27"


@pytest.fixture
def backend() -> SecretService.Keyring:
    try:
        SecretService.Keyring.priority  # noqa: B018 - raises with the reason when unavailable
    except Exception as exc:
        if secret_service_required():
            pytest.fail(f"OPDIAL_SECRET_SERVICE=1 but the Secret Service is not usable: {exc}")
        pytest.skip(f"no Secret Service here ({exc}); run via `python3 scripts/dev.py test`")
    return SecretService.Keyring()


@pytest.fixture
def profile_name(backend: SecretService.Keyring) -> Iterator[str]:
    """A unique profile name, its keyring items removed afterwards whatever happens."""
    name = f"opdial-test-{uuid.uuid4().hex[:8]}"
    yield name
    for kind in ("api_key", "secret_token"):
        for who in (name, f"{name}-renamed"):
            with contextlib.suppress(Exception):
                backend.delete_password(APP_ID, f"{who}/{kind}")


def test_secret_service_is_recognised_as_secure(backend: SecretService.Keyring) -> None:
    status = SecretStore(backend).status()
    assert status.usable
    assert status.backend_name.startswith("Secret Service")


def test_the_default_keyring_is_the_secret_service_not_the_plaintext_file(
    backend: SecretService.Keyring,
) -> None:
    # keyring's default here is a chainer over Secret Service and keyrings.alt's plaintext file.
    default = SecretStore()
    assert default.status().usable
    assert isinstance(default.backend, SecretService.Keyring)


def test_secrets_round_trip_through_the_secret_service(
    backend: SecretService.Keyring, profile_name: str
) -> None:
    SecretStore(backend).set_secrets(profile_name, API_KEY, SECRET_TOKEN)
    # A fresh store and the raw backend both see the items under the app's service name.
    fresh = SecretStore(SecretService.Keyring())
    assert fresh.get_secrets(profile_name).api_key == API_KEY
    assert fresh.get_secret_token(profile_name) == SECRET_TOKEN
    assert backend.get_password(APP_ID, f"{profile_name}/api_key") == API_KEY
    assert backend.get_password(APP_ID, f"{profile_name}/secret_token") == SECRET_TOKEN

    fresh.rename(profile_name, f"{profile_name}-renamed")
    assert fresh.get_api_key(f"{profile_name}-renamed") == API_KEY
    assert not fresh.has_secrets(profile_name)

    fresh.delete_secrets(f"{profile_name}-renamed")
    assert backend.get_password(APP_ID, f"{profile_name}-renamed/api_key") is None


def test_a_profile_resolves_with_secrets_from_the_secret_service(
    backend: SecretService.Keyring, profile_name: str, isolated_data_dir: Path
) -> None:
    store = ProfileStore()
    store.save(Profile(profile_name, "acme-co", "acme-ivr", "a1b2c3d4e5f60718"))
    secrets = SecretStore(backend)
    secrets.set_secrets(profile_name, API_KEY, SECRET_TOKEN)

    resolved = resolve(env={}, store=store, secrets=secrets)

    assert (resolved.account.api_key, resolved.account.secret_token) == (API_KEY, SECRET_TOKEN)
    assert resolved.sources["api_key"] == resolved.sources["secret_token"] == "keyring"
    for path in isolated_data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert API_KEY.encode() not in data and SECRET_TOKEN.encode() not in data
