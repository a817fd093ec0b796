"""Profiles in the settings file, secrets only in a secure keyring, environment overrides."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend
from keyrings.alt.file import PlaintextKeyring

from desktop_app import APP_ID
from desktop_app.api.client import ObdClient
from desktop_app.api.models import DEFAULT_API_URL, CallKind, CallRequest
from desktop_app.credentials import (
    BADGE_COLORS,
    ConfigError,
    KeyringUnavailable,
    Profile,
    ProfileStore,
    SecretStore,
    resolve,
    validate_api_url,
)
from desktop_app.history import History
from tests.keyring_double import MemoryKeyring

API_KEY = "test-api-key-7f3a9c"
SECRET_TOKEN = "test-secret-token-51be02"


class LockedKeyring(MemoryKeyring):
    """Test double: a keyring that refuses while locked (a real locked keyring would prompt)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    set_password = get_password  # type: ignore[assignment]


def acme(**changes: object) -> Profile:
    values: dict[str, object] = {
        "name": "Acme",
        "company_id": "acme-co",
        "public_ivr_id": "acme-ivr",
        "user_id": "a1b2c3d4e5f60718",
    }
    values.update(changes)
    return Profile(**values)  # type: ignore[arg-type]


def files_containing(root: Path, *needles: str) -> list[Path]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(n.encode() in data for n in needles):
                hits.append(path)
    return hits


@pytest.fixture
def store() -> ProfileStore:
    return ProfileStore()


@pytest.fixture
def memory() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def secrets(memory: MemoryKeyring) -> SecretStore:
    return SecretStore(memory)


# -- profiles -------------------------------------------------------------------------------


def test_profiles_round_trip_through_the_settings_file(store: ProfileStore) -> None:
    saved = store.save(acme(caller_id="+914012345678", link_countdown_s=5, extra={"note": "night shift"}))
    again = ProfileStore().get("Acme")
    assert again == saved
    assert again.caller_id == "+914012345678"
    assert again.link_countdown_s == 5
    assert again.extra == {"note": "night shift"}
    assert again.api_url == DEFAULT_API_URL
    assert [p.name for p in ProfileStore().list()] == ["Acme"]


def test_settings_live_under_the_data_dir(store: ProfileStore, isolated_data_dir: Path) -> None:
    store.save(acme())
    assert store.path.is_relative_to(isolated_data_dir)
    assert json.loads(store.path.read_text())["profiles"][0]["company_id"] == "acme-co"


def test_each_new_profile_gets_a_distinct_badge_colour(store: ProfileStore) -> None:
    colours = [store.save(acme(name=f"P{i}")).color for i in range(4)]
    assert len(set(colours)) == 4
    assert set(colours) <= set(BADGE_COLORS)
    assert store.save(acme(name="Mine", color="#123456")).color == "#123456"


def test_from_dict_tolerates_missing_unknown_and_wrong_keys() -> None:
    profile = Profile.from_dict(
        {"name": " Beta ", "company_id": 42, "link_countdown_s": "soon", "future_option": True}
    )
    assert profile.name == "Beta"
    assert profile.company_id == "42"
    assert profile.default_region == "IN"
    assert profile.api_url == DEFAULT_API_URL
    assert profile.link_countdown_s == 0
    assert profile.extra == {"future_option": True}
    with pytest.raises(ValueError):
        Profile.from_dict({"company_id": "x"})


def test_rename_keeps_position_and_default(store: ProfileStore) -> None:
    store.save(acme())
    store.save(acme(name="Beta"))
    store.set_default("Acme")
    store.save(acme(name="Acme Corp"), rename_from="Acme")
    assert store.names() == ["Acme Corp", "Beta"]
    assert store.default_name() == "Acme Corp"


def test_renaming_onto_another_profile_is_refused(store: ProfileStore) -> None:
    store.save(acme())
    store.save(acme(name="Beta"))
    with pytest.raises(ConfigError, match="already exists"):
        store.save(acme(name="Beta"), rename_from="Acme")


def test_remove_forgets_the_default(store: ProfileStore) -> None:
    store.save(acme())
    store.set_default("Acme")
    assert store.remove("Acme") is True
    assert store.remove("Acme") is False
    assert store.default_name() is None
    with pytest.raises(ConfigError, match="no profile named 'Ghost'"):
        store.set_default("Ghost")


@pytest.mark.parametrize(
    ("name", "complaint"), [("  ", "needs a name"), ("x" * 65, "too long"), ("a\nb", "control")]
)
def test_bad_profile_names_are_refused(store: ProfileStore, name: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        store.save(acme(name=name))


def test_a_profile_cannot_carry_secrets_in_its_extras(store: ProfileStore) -> None:
    with pytest.raises(ConfigError, match="keyring"):
        store.save(acme(extra={"secret_token": SECRET_TOKEN}))
    with pytest.raises(ConfigError, match="keyring"):
        store.set_pref("api_key", API_KEY)
    assert not store.path.exists()


def test_preferences_share_the_settings_file(store: ProfileStore) -> None:
    store.set_pref("dnc_list", "/srv/dnc.csv")
    store.set_pref("window", {"width": 900, "height": 640})
    again = ProfileStore()
    assert again.get_pref("dnc_list") == "/srv/dnc.csv"
    assert again.get_pref("window") == {"width": 900, "height": 640}
    assert again.get_pref("missing", "fallback") == "fallback"
    with pytest.raises(TypeError):
        store.set_pref("bad", object())


def test_writes_are_atomic_and_leave_no_temporary_files(store: ProfileStore) -> None:
    for i in range(5):
        store.save(acme(name=f"P{i}"))
    names = sorted(p.name for p in store.path.parent.iterdir())
    assert names == ["settings.json", "settings.json.backup", "settings.json.lock"]


def test_a_corrupt_settings_file_without_a_good_copy_is_kept_aside_and_the_store_starts_empty(
    store: ProfileStore,
) -> None:
    store.path.write_text('{"profiles": [{"name": "Acme"', encoding="utf-8")
    damaged = ProfileStore()
    assert damaged.list() == []
    assert damaged.load_warning and "damaged" in damaged.load_warning
    [kept] = store.path.parent.glob("settings.json.damaged-*")
    assert kept.read_text(encoding="utf-8") == '{"profiles": [{"name": "Acme"'
    assert str(kept) in damaged.load_warning
    damaged.save(acme())
    assert ProfileStore().names() == ["Acme"]
    assert ProfileStore().load_warning is None


def test_unreadable_profile_entries_are_skipped_not_fatal(store: ProfileStore) -> None:
    store.path.write_text(json.dumps({"profiles": [{"company_id": "no-name"}, "junk", {"name": "Ok"}]}))
    survivor = ProfileStore()
    assert survivor.names() == ["Ok"]
    assert survivor.load_warning and "Skipped" in survivor.load_warning


def test_profile_api_url_must_be_safe(store: ProfileStore) -> None:
    with pytest.raises(ConfigError, match="plain http"):
        store.save(acme(api_url="http://obd.example.com/api"))
    assert store.save(acme(api_url="http://127.0.0.1:8080/obd")).api_url == "http://127.0.0.1:8080/obd"


# -- the API URL rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        DEFAULT_API_URL,
        "https://example.com:8443/obd",
        "http://127.0.0.1:8080/obd",
        "http://127.9.9.9/obd",
        "http://localhost:9000/",
        "http://[::1]:9000/obd",
        "  https://example.com/obd  ",
    ],
)
def test_https_anywhere_and_plain_http_to_this_computer_are_allowed(url: str) -> None:
    assert validate_api_url(url) == url.strip()


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://obd-api.myoperator.co/obd-api-v1", "only allowed to this computer"),
        ("http://192.168.1.10/obd", "only allowed to this computer"),
        ("http://127.0.0.1.example.com/", "only allowed to this computer"),
        ("ftp://example.com/", "not a web address"),
        ("obd-api.myoperator.co", "not a web address"),
        ("", "empty"),
        ("https://user:pw@example.com/", "user name or password"),
    ],
)
def test_unsafe_or_malformed_api_urls_are_refused(url: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        validate_api_url(url)


# -- secrets --------------------------------------------------------------------------------


def test_secrets_round_trip_under_the_app_service_name(secrets: SecretStore, memory: MemoryKeyring) -> None:
    secrets.set_secrets("Acme", API_KEY, SECRET_TOKEN)
    assert memory.items == {(APP_ID, "Acme/api_key"): API_KEY, (APP_ID, "Acme/secret_token"): SECRET_TOKEN}
    stored = secrets.get_secrets("Acme")
    assert (stored.api_key, stored.secret_token) == (API_KEY, SECRET_TOKEN)
    assert API_KEY not in repr(stored)
    assert secrets.get_api_key("Acme") == API_KEY
    assert secrets.get_secret_token("Acme") == SECRET_TOKEN
    assert secrets.has_secrets("Acme")


def test_secrets_can_be_renamed_and_deleted(secrets: SecretStore, memory: MemoryKeyring) -> None:
    secrets.set_secrets("Acme", API_KEY, SECRET_TOKEN)
    secrets.rename("Acme", "Acme Corp")
    assert not secrets.has_secrets("Acme")
    assert secrets.get_api_key("Acme Corp") == API_KEY
    secrets.delete_secrets("Acme Corp")
    secrets.delete_secrets("Acme Corp")  # deleting twice is harmless
    assert memory.items == {}


def test_empty_secrets_are_refused_with_a_plain_message(secrets: SecretStore) -> None:
    with pytest.raises(ConfigError, match="Enter the secret token"):
        secrets.set_secrets("Acme", API_KEY, "  ")


def test_a_usable_keyring_reports_itself(secrets: SecretStore) -> None:
    status = secrets.status()
    assert status.usable
    assert status.backend_name == secrets.backend_name()


@pytest.mark.parametrize(
    ("backend", "shown_as"),
    [
        (fail.Keyring(), "no keyring backend"),
        (null.Keyring(), "keyring disabled"),
        (PlaintextKeyring(), "PlaintextKeyring"),
    ],
    ids=["fail", "null", "plaintext"],
)
def test_an_unusable_keyring_refuses_clearly_and_writes_nothing(
    backend: KeyringBackend,
    shown_as: str,
    tmp_path: Path,
    isolated_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))  # where PlaintextKeyring would write
    store = SecretStore(backend)
    status = store.status()
    assert not status.usable
    assert shown_as in status.backend_name
    assert "No secure keyring is available on this computer" in status.explanation
    assert "OPDIAL_API_KEY" in status.explanation and "OPDIAL_SECRET_TOKEN" in status.explanation
    with pytest.raises(KeyringUnavailable, match="No secure keyring") as refused:
        store.set_secrets("Acme", API_KEY, SECRET_TOKEN)
    assert API_KEY not in str(refused.value)
    with pytest.raises(KeyringUnavailable):
        store.get_secrets("Acme")
    with pytest.raises(KeyringUnavailable):
        store.delete_secrets("Acme")
    assert not (tmp_path / "xdg-data").exists()
    assert files_containing(tmp_path, API_KEY, SECRET_TOKEN) == []


def test_plaintext_is_refused_even_when_it_is_the_only_backend_offered() -> None:
    # keyrings.alt's PlaintextKeyring claims priority 0.5 (> 0): priority alone must not decide.
    assert PlaintextKeyring.priority > 0
    status = SecretStore(PlaintextKeyring()).status()
    assert not status.usable
    assert "unencrypted" in status.explanation


def test_a_chainer_uses_only_its_secure_members() -> None:
    memory = MemoryKeyring()

    class Chain(ChainerBackend):
        backends = (PlaintextKeyring(), memory)  # type: ignore[assignment]

    class PlaintextOnlyChain(ChainerBackend):
        backends = (PlaintextKeyring(),)  # type: ignore[assignment]

    SecretStore(Chain()).set_secrets("Acme", API_KEY, SECRET_TOKEN)
    assert memory.items[(APP_ID, "Acme/api_key")] == API_KEY
    assert not SecretStore(PlaintextOnlyChain()).status().usable


def test_keyring_errors_become_keyring_unavailable_with_the_reason() -> None:
    store = SecretStore(LockedKeyring())
    with pytest.raises(KeyringUnavailable, match="locked"):
        store.get_secrets("Acme")
    with pytest.raises(KeyringUnavailable, match="unlock"):
        store.set_secrets("Acme", API_KEY, SECRET_TOKEN)


# -- resolve --------------------------------------------------------------------------------


def test_resolve_combines_profile_and_keyring(store: ProfileStore, secrets: SecretStore) -> None:
    store.save(acme())
    secrets.set_secrets("Acme", API_KEY, SECRET_TOKEN)
    resolved = resolve(env={}, store=store, secrets=secrets)
    assert resolved.profile.name == "Acme"
    account = resolved.account
    assert (account.company_id, account.public_ivr_id) == ("acme-co", "acme-ivr")
    assert (account.api_key, account.secret_token, account.api_url) == (
        API_KEY,
        SECRET_TOKEN,
        DEFAULT_API_URL,
    )
    assert resolved.sources == {
        "company_id": "profile",
        "public_ivr_id": "profile",
        "user_id": "profile",
        "api_url": "profile",
        "api_key": "keyring",
        "secret_token": "keyring",
    }
    assert API_KEY not in repr(resolved)


def test_environment_overrides_profile_values(store: ProfileStore, secrets: SecretStore) -> None:
    store.save(acme())
    secrets.set_secrets("Acme", API_KEY, SECRET_TOKEN)
    env = {
        "OPDIAL_COMPANY_ID": "env-co",
        "OPDIAL_PUBLIC_IVR_ID": "env-ivr",
        "OPDIAL_USER_ID": "env-agent",
        "OPDIAL_API_URL": "http://127.0.0.1:9/obd",
        "OPDIAL_SECRET_TOKEN": "env-token-abc",
    }
    resolved = resolve(env=env, store=store, secrets=secrets)
    assert resolved.account.company_id == "env-co"
    assert resolved.account.public_ivr_id == "env-ivr"
    assert resolved.account.api_url == "http://127.0.0.1:9/obd"
    assert resolved.account.secret_token == "env-token-abc"
    assert resolved.account.api_key == API_KEY  # not overridden: still from the keyring
    assert resolved.profile.user_id == "env-agent"
    assert resolved.sources["secret_token"] == "env"
    assert resolved.sources["api_key"] == "keyring"
    assert store.get("Acme") == acme(color=store.get("Acme").color)  # the stored profile is unchanged


def test_the_api_url_option_overrides_everything(store: ProfileStore, secrets: SecretStore) -> None:
    store.save(acme(api_url="https://profile.example.com/obd"))
    secrets.set_secrets("Acme", API_KEY, SECRET_TOKEN)
    env = {"OPDIAL_API_URL": "https://env.example.com/obd"}
    resolved = resolve(api_url="http://localhost:8123/obd", env=env, store=store, secrets=secrets)
    assert resolved.account.api_url == "http://localhost:8123/obd"
    assert resolved.sources["api_url"] == "option"
    with pytest.raises(ConfigError, match="only allowed to this computer"):
        resolve(api_url="http://obd.example.com/", env=env, store=store, secrets=secrets)


ENV_ONLY = {
    "OPDIAL_API_KEY": API_KEY,
    "OPDIAL_SECRET_TOKEN": SECRET_TOKEN,
    "OPDIAL_COMPANY_ID": "env-co",
    "OPDIAL_PUBLIC_IVR_ID": "env-ivr",
}


def test_environment_alone_works_without_any_profile_or_keyring(store: ProfileStore) -> None:
    # fail.Keyring raises on any use: resolving proves the keyring was never touched.
    resolved = resolve(env=ENV_ONLY, store=store, secrets=SecretStore(fail.Keyring()))
    assert resolved.profile.name == "environment"
    assert resolved.account.company_id == "env-co"
    assert resolved.account.api_url == DEFAULT_API_URL
    assert {resolved.sources[k] for k in ("api_key", "secret_token", "company_id")} == {"env"}


def test_env_secrets_work_for_a_profile_when_the_keyring_is_unusable(store: ProfileStore) -> None:
    store.save(acme())
    env = {"OPDIAL_API_KEY": API_KEY, "OPDIAL_SECRET_TOKEN": SECRET_TOKEN}
    resolved = resolve(env=env, store=store, secrets=SecretStore(fail.Keyring()))
    assert resolved.profile.name == "Acme"
    assert resolved.account.secret_token == SECRET_TOKEN


def test_the_real_environment_is_read_by_default(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV_ONLY.items():
        monkeypatch.setenv(name, value)
    assert resolve(store=store).account.company_id == "env-co"


def test_profile_choice_order(store: ProfileStore, secrets: SecretStore) -> None:
    for name in ("Acme", "Beta", "Gamma"):
        store.save(acme(name=name))
        secrets.set_secrets(name, API_KEY, SECRET_TOKEN)
    with pytest.raises(ConfigError, match="Several profiles exist"):
        resolve(env={}, store=store, secrets=secrets)
    store.set_default("Beta")
    assert resolve(env={}, store=store, secrets=secrets).profile.name == "Beta"
    env = {"OPDIAL_PROFILE": "Gamma"}
    assert resolve(env=env, store=store, secrets=secrets).profile.name == "Gamma"
    assert resolve("Acme", env=env, store=store, secrets=secrets).profile.name == "Acme"


def test_the_only_profile_is_used_without_a_default(store: ProfileStore, secrets: SecretStore) -> None:
    store.save(acme())
    secrets.set_secrets("Acme", API_KEY, SECRET_TOKEN)
    assert resolve(env={}, store=store, secrets=secrets).profile.name == "Acme"


def test_an_unknown_profile_name_is_an_error_listing_the_known_ones(
    store: ProfileStore, secrets: SecretStore
) -> None:
    store.save(acme())
    with pytest.raises(ConfigError, match=r"no profile named 'Ghost'.*Known profiles: Acme"):
        resolve("Ghost", env={}, store=store, secrets=secrets)
    with pytest.raises(ConfigError, match="OPDIAL_PROFILE"):
        resolve(env={"OPDIAL_PROFILE": "Ghost"}, store=store, secrets=secrets)


def test_nothing_configured_says_how_to_start(store: ProfileStore) -> None:
    with pytest.raises(ConfigError) as missing:
        resolve(env={}, store=store, secrets=SecretStore(fail.Keyring()))
    message = str(missing.value)
    assert "No profile is set up" in message
    assert "opdial-cli profile add" in message
    assert "OPDIAL_API_KEY" in message


def test_missing_secrets_are_named_with_the_fix(store: ProfileStore, secrets: SecretStore) -> None:
    store.save(acme())
    with pytest.raises(ConfigError) as missing:
        resolve(env={}, store=store, secrets=secrets)
    message = str(missing.value)
    assert "Profile 'Acme' is missing the API key (x-api-key) and secret token" in message
    assert "OPDIAL_API_KEY, OPDIAL_SECRET_TOKEN" in message


def test_missing_profile_fields_are_named(store: ProfileStore, secrets: SecretStore) -> None:
    store.save(acme(company_id="", public_ivr_id=""))
    secrets.set_secrets("Acme", API_KEY, SECRET_TOKEN)
    with pytest.raises(ConfigError, match="missing the Company ID and Public IVR ID"):
        resolve(env={}, store=store, secrets=secrets)
    env = {"OPDIAL_COMPANY_ID": "env-co"}
    with pytest.raises(ConfigError, match=r"missing the Public IVR ID\. .*OPDIAL_PUBLIC_IVR_ID"):
        resolve(env=env, store=store, secrets=secrets)


def test_incomplete_environment_without_profile_names_the_missing_variables(store: ProfileStore) -> None:
    env = dict(ENV_ONLY, OPDIAL_PUBLIC_IVR_ID="")
    with pytest.raises(ConfigError, match=r"Missing Public IVR ID\. Set OPDIAL_PUBLIC_IVR_ID"):
        resolve(env=env, store=store, secrets=SecretStore(fail.Keyring()))


def test_an_unusable_keyring_without_env_secrets_explains_both_ways_out(store: ProfileStore) -> None:
    store.save(acme())
    with pytest.raises(KeyringUnavailable) as refused:
        resolve(env={}, store=store, secrets=SecretStore(fail.Keyring()))
    message = str(refused.value)
    assert "'Acme'" in message and "keyring" in message
    assert "OPDIAL_API_KEY" in message
    assert isinstance(refused.value, ConfigError)  # callers catching ConfigError (exit 2) see it


# -- secrets never reach a file -------------------------------------------------------------


def test_no_file_under_the_data_dir_ever_holds_a_secret(
    sandbox, secrets: SecretStore, isolated_data_dir: Path
) -> None:
    account = sandbox.account
    store = ProfileStore()
    store.save(
        Profile("Sandbox", account.company_id, account.public_ivr_id, "a1b2c3d4e5f60718", api_url=sandbox.url)
    )
    secrets.set_secrets("Sandbox", account.api_key, account.secret_token)
    store.set_default("Sandbox")
    store.set_pref("window", {"width": 800})
    resolved = resolve(env={}, store=store, secrets=secrets)
    request = CallRequest(CallKind.USER, "+919876543210", user_id=resolved.profile.user_id)
    with ObdClient(resolved.account) as client:
        outcome = client.place_call(request)
    assert outcome.accepted
    with History() as history:
        history.record(outcome, resolved.profile.name, source="cli")
        history.export_csv(isolated_data_dir / "export.csv")
    assert sorted(p.name for p in isolated_data_dir.rglob("*") if p.is_file())  # something was written
    assert files_containing(isolated_data_dir, account.api_key, account.secret_token) == []
    assert os.environ.get("OPDIAL_API_KEY") is None
