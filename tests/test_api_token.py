"""The API token of the logs and users API: a second, optional secret per profile, in the real OS
keyring (Secret Service here) like the others, overridable by OPDIAL_API_TOKEN, never in a file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.api.models import DEFAULT_LOGS_URL
from desktop_app.credentials import (
    ENV_API_TOKEN,
    ENV_LOGS_API_URL,
    NO_API_TOKEN,
    ConfigError,
    Profile,
    ProfileStore,
    SecretStore,
    resolve_logs_access,
)

TOKEN = "k3v9Qz7LwX2pR8mT4nB6yH1cJ5dF0gSa"  # 32 characters, made up for the test


@pytest.fixture
def secrets(secret_service) -> Iterator[SecretStore]:
    store = SecretStore(secret_service)
    yield store
    for name in ("Acme Sales", "Acme India"):  # the real keyring outlives the test
        store.delete_secrets(name)


@pytest.fixture
def store() -> ProfileStore:
    store = ProfileStore()
    store.save(Profile(name="Acme Sales", company_id="c1", public_ivr_id="ivr1"))
    return store


def test_the_token_is_stored_read_replaced_and_removed_in_the_keyring(store, secrets):
    assert secrets.get_api_token("Acme Sales") == ""
    secrets.set_api_token("Acme Sales", f"  {TOKEN}\n")
    assert secrets.get_api_token("Acme Sales") == TOKEN
    secrets.set_api_token("Acme Sales", "")  # empty removes it
    assert secrets.get_api_token("Acme Sales") == ""


def test_deleting_a_profiles_secrets_removes_its_token_and_renaming_moves_it(store, secrets):
    secrets.set_secrets("Acme Sales", "key-1", "secret-1")
    secrets.set_api_token("Acme Sales", TOKEN)
    secrets.rename("Acme Sales", "Acme India")
    assert secrets.get_api_token("Acme India") == TOKEN and secrets.get_api_token("Acme Sales") == ""
    secrets.delete_secrets("Acme India")
    assert secrets.get_api_token("Acme India") == ""


def test_access_comes_from_the_keyring_or_the_environment_which_wins(store, secrets):
    secrets.set_api_token("Acme Sales", TOKEN)
    from_keyring = resolve_logs_access("Acme Sales", env={}, store=store, secrets=secrets)
    assert (from_keyring.token, from_keyring.token_source, from_keyring.url) == (
        TOKEN,
        "keyring",
        DEFAULT_LOGS_URL,
    )
    assert TOKEN not in repr(from_keyring)
    env = {ENV_API_TOKEN: "from-the-environment", ENV_LOGS_API_URL: "http://127.0.0.1:8123"}
    from_env = resolve_logs_access("Acme Sales", env=env, store=store, secrets=secrets)
    assert (from_env.token, from_env.token_source, from_env.url) == (
        "from-the-environment",
        "env",
        env[ENV_LOGS_API_URL],
    )


def test_without_a_token_the_message_says_what_it_is_for(store, secrets):
    with pytest.raises(ConfigError) as refused:
        resolve_logs_access("Acme Sales", env={}, store=store, secrets=secrets)
    assert (
        str(refused.value) == NO_API_TOKEN == "Add the API token in Profiles to see agents and call results."
    )


def test_the_logs_url_follows_the_https_or_loopback_rule(store, secrets):
    secrets.set_api_token("Acme Sales", TOKEN)
    for unsafe in ("http://logs.example.com", "ftp://127.0.0.1"):
        with pytest.raises(ConfigError):
            resolve_logs_access("Acme Sales", env={ENV_LOGS_API_URL: unsafe}, store=store, secrets=secrets)
    store.save(
        Profile(
            name="Acme Sales", company_id="c1", public_ivr_id="ivr1", logs_api_url="https://logs.example.com"
        )
    )
    assert (
        resolve_logs_access("Acme Sales", env={}, store=store, secrets=secrets).url
        == "https://logs.example.com"
    )


def test_the_token_never_reaches_the_settings_or_any_other_file(store, secrets, isolated_data_dir: Path):
    secrets.set_api_token("Acme Sales", TOKEN)
    store.set_pref("last_profile", "Acme Sales")
    with pytest.raises(ConfigError):
        store.set_pref("api_token", TOKEN)  # a secret-looking preference is refused
    with pytest.raises(ConfigError):
        store.save(Profile(name="Acme Sales", company_id="c1", public_ivr_id="ivr1", extra={"token": TOKEN}))
    leaked = [p for p in isolated_data_dir.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert leaked == []
