"""The secrets of a profile (in the OS keyring only), and resolving what a call needs.

The settings file never holds a secret (``desktop_app.profiles`` keeps everything else; its names
are re-exported here). The x-api-key and secret_token live in the OS keyring (Secret Service,
KWallet, Windows Credential Manager, macOS Keychain). When no secure keyring exists OpDial says so
and refuses to store: it never falls back to a plaintext file. For automation, ``OPDIAL_*``
environment variables override profile values and can replace a profile entirely; with both
secrets in the environment the keyring is not touched at all.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from desktop_app import APP_ID
from desktop_app.profiles import (
    BADGE_COLORS,
    DEFAULT_API_URL,
    DEFAULT_LOGS_URL,
    ENV_API_KEY,
    ENV_API_TOKEN,
    ENV_API_URL,
    ENV_COMPANY_ID,
    ENV_LOGS_API_URL,
    ENV_PROFILE,
    ENV_PUBLIC_IVR_ID,
    ENV_SECRET_TOKEN,
    ENV_USER_ID,
    ENVIRONMENT_PROFILE_NAME,
    ConfigError,
    Profile,
    ProfileStore,
    validate_api_url,
)

if TYPE_CHECKING:  # keyring costs ~90 ms to import: loaded only when a secret is needed
    from keyring.backend import KeyringBackend

    from desktop_app.api.models import Account

# The profile side, re-exported: callers that resolve a call need both halves.
__all__ = [
    "BADGE_COLORS",
    "DEFAULT_API_URL",
    "DEFAULT_LOGS_URL",
    "ENVIRONMENT_PROFILE_NAME",
    "ENV_API_KEY",
    "ENV_API_TOKEN",
    "ENV_API_URL",
    "ENV_COMPANY_ID",
    "ENV_LOGS_API_URL",
    "ENV_PROFILE",
    "ENV_PUBLIC_IVR_ID",
    "ENV_SECRET_TOKEN",
    "ENV_USER_ID",
    "NO_API_TOKEN",
    "ConfigError",
    "KeyringStatus",
    "KeyringUnavailable",
    "LogsAccess",
    "Profile",
    "ProfileStore",
    "Resolved",
    "SecretStore",
    "Secrets",
    "choose_profile",
    "describe_backend",
    "keyring_problem_sentence",
    "resolve",
    "resolve_logs_access",
    "validate_api_url",
]

SECRET_SERVICE_NAME = APP_ID


class KeyringUnavailable(ConfigError):
    """No secure keyring can be used. A ConfigError, so callers that catch ConfigError see it too."""


# --------------------------------------------------------------------------------------------
# Secrets in the OS keyring
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    """The two secrets of one profile; empty string = not stored. Never shown in ``repr``."""

    api_key: str = field(default="", repr=False)
    secret_token: str = field(default="", repr=False)

    @property
    def complete(self) -> bool:
        return bool(self.api_key and self.secret_token)


@dataclass(frozen=True)
class KeyringStatus:
    usable: bool
    backend_name: str
    explanation: str  # one or two sentences for the profiles dialog


# Backends shipped with ``keyring`` that encrypt at rest, with names a person recognises.
_SECURE_BACKENDS = {
    "keyring.backends.SecretService.Keyring": "Secret Service (GNOME Keyring or compatible)",
    "keyring.backends.libsecret.Keyring": "libsecret (GNOME Keyring or compatible)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet 4",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
}
_UNUSABLE_BACKEND_NAMES = {
    "keyring.backends.fail.Keyring": "none (no keyring backend found)",
    "keyring.backends.null.Keyring": "none (keyring disabled)",
    "keyring.backends.chainer.ChainerBackend": "none (no secure backend to chain)",
}


def _is_chainer(backend: KeyringBackend) -> bool:
    from keyring.backends.chainer import ChainerBackend

    return isinstance(backend, ChainerBackend)


def _class_path(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _priority(backend: KeyringBackend) -> float:
    try:
        return float(type(backend).priority)
    except Exception:  # a backend reports "not viable here" by raising from priority
        return -1.0


def _is_secure(backend: KeyringBackend) -> bool:
    """Keyring's own encrypted backends, or a third-party one that claims a real priority.

    Refused: fail/null/chainer, everything from keyrings.alt (plaintext or prompt-on-stdin
    files), and anything with priority below 1 (keyring's convention for "works, but weak").
    """
    path = _class_path(backend)
    if path in _SECURE_BACKENDS:
        return _priority(backend) > 0
    if _is_chainer(backend) or path in _UNUSABLE_BACKEND_NAMES:
        return False
    if path.startswith("keyrings.alt."):
        return False
    if path.startswith("keyring.backends."):
        return False  # a keyring backend we do not know to be secure
    return _priority(backend) >= 1


def _unwrap(backend: KeyringBackend) -> KeyringBackend:
    """A chainer stands for its best secure member (never its plaintext ones)."""
    if _is_chainer(backend):
        for member in getattr(backend, "backends", []):
            if _is_secure(member):
                return member
    return backend


def describe_backend(backend: KeyringBackend) -> str:
    path = _class_path(backend)
    if path in _SECURE_BACKENDS:
        return _SECURE_BACKENDS[path]
    if _is_chainer(backend):
        return _UNUSABLE_BACKEND_NAMES["keyring.backends.chainer.ChainerBackend"]
    if path in _UNUSABLE_BACKEND_NAMES:
        return _UNUSABLE_BACKEND_NAMES[path]
    if path.startswith("keyrings.alt."):
        return f"keyrings.alt {type(backend).__name__} (a file, not secure)"
    return getattr(backend, "name", None) or path


# What makes a secure keyring usable, per OS: (the detail's words, the one-sentence words).
_KEYRING_FIXES = {
    "win": (
        "Windows Credential Manager should be available; check the keyring configuration",
        "check that Windows Credential Manager is working",
    ),
    "darwin": ("unlock the macOS login Keychain", "unlock your login Keychain"),
    "other": (
        "install and unlock GNOME Keyring (gnome-keyring) or KWallet and log in to a desktop session",
        "install and unlock GNOME Keyring or KWallet",
    ),
}


def _keyring_fixes() -> tuple[str, str]:
    if sys.platform.startswith("win"):
        return _KEYRING_FIXES["win"]
    return _KEYRING_FIXES["darwin" if sys.platform == "darwin" else "other"]


def _how_to_fix() -> str:
    return (
        f"To store secrets, {_keyring_fixes()[0]}. Or set {ENV_API_KEY} and {ENV_SECRET_TOKEN} in the "
        "environment: OpDial then uses them without the keyring."
    )


def keyring_problem_sentence() -> str:
    """The keyring problem in one plain sentence with a way to fix it (the detail is ``status()``'s)."""
    return (
        f"OpDial cannot store secrets on this computer: {_keyring_fixes()[1]}, "
        f"or start OpDial with {ENV_API_KEY} and {ENV_SECRET_TOKEN} set."
    )


def _linux_secret_service_reason() -> str:
    """Why the Secret Service is not reachable, e.g. 'DBUS_SESSION_BUS_ADDRESS is unset'."""
    if not sys.platform.startswith("linux"):
        return ""
    try:
        from keyring.backends import SecretService

        SecretService.Keyring.priority  # noqa: B018 - raises with the reason when unusable
    except Exception as exc:
        return f" (Secret Service: {exc})"
    return ""


def _default_keyring() -> KeyringBackend:
    import keyring

    return keyring.get_keyring()


def _keyring_errors() -> Any:  # the keyring.errors module
    import keyring.errors

    return keyring.errors


class SecretStore:
    """The x-api-key and secret_token of each profile, in the OS keyring only.

    Service ``APP_ID``, usernames ``"<profile>/api_key"`` and ``"<profile>/secret_token"``.
    Every operation raises ``KeyringUnavailable`` (with a fix) when no secure keyring can be
    used; nothing is ever written to an insecure backend.
    """

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._given = backend
        self._backend: KeyringBackend | None = None
        self._status: KeyringStatus | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> KeyringBackend:
        """The backend in use; KeyringUnavailable (with the reason) when it fails to start."""
        with self._lock:
            if self._backend is None:
                try:
                    chosen = self._given if self._given is not None else _default_keyring()
                    self._backend = _unwrap(chosen)
                except Exception as exc:  # a broken backend or keyringrc raises anything on start
                    raise _start_failure(exc) from exc
            return self._backend

    def backend_name(self) -> str:
        try:
            return describe_backend(self.backend)
        except KeyringUnavailable:
            return _UNUSABLE_BACKEND_NAMES["keyring.backends.fail.Keyring"]

    def status(self) -> KeyringStatus:
        """Whether secrets can be stored, and in what (checked once; errors later are wrapped)."""
        if self._status is None:
            try:
                self._status = self._check(self.backend)
            except KeyringUnavailable as exc:
                self._status = KeyringStatus(False, self.backend_name(), str(exc))
            except Exception as exc:  # a backend that starts but then fails its own checks
                self._status = KeyringStatus(False, self.backend_name(), str(_start_failure(exc)))
        return self._status

    def _check(self, backend: KeyringBackend) -> KeyringStatus:
        name = describe_backend(backend)
        if _is_secure(backend):
            return KeyringStatus(True, name, f"Secrets are stored in {name}.")
        why = "No secure keyring is available on this computer"
        if self._given is None:
            why += _linux_secret_service_reason()
        if _class_path(backend).startswith("keyrings.alt."):
            why += f": the only one found, {name}, would keep secrets unencrypted, and OpDial never does that"
        return KeyringStatus(False, name, f"{why}. {_how_to_fix()}")

    def require_usable(self) -> KeyringBackend:
        status = self.status()
        if not status.usable:
            raise KeyringUnavailable(status.explanation)
        return self.backend

    # -- reading ----------------------------------------------------------------------------

    def get_api_key(self, profile: str) -> str:
        return self._get(profile, "api_key")

    def get_secret_token(self, profile: str) -> str:
        return self._get(profile, "secret_token")

    def get_secrets(self, profile: str) -> Secrets:
        return Secrets(self.get_api_key(profile), self.get_secret_token(profile))

    def has_secrets(self, profile: str) -> bool:
        return self.get_secrets(profile).complete

    def get_api_token(self, profile: str) -> str:
        """The logs and users API's token ("" when none is stored: results and agents stay off)."""
        return self._get(profile, "api_token")

    def set_api_token(self, profile: str, token: str) -> None:
        """Store the API token; an empty one removes it."""
        token = (token or "").strip()
        backend = self.require_usable()
        if not token:
            self._delete(backend, profile, "api_token")
            return
        self._call(backend.set_password, SECRET_SERVICE_NAME, _username(profile, "api_token"), token)

    # -- writing ----------------------------------------------------------------------------

    def set_secrets(self, profile: str, api_key: str, secret_token: str) -> None:
        """Store both secrets. Empty values are refused (use delete_secrets to remove)."""
        api_key, secret_token = (api_key or "").strip(), (secret_token or "").strip()
        missing = [n for n, v in (("API key (x-api-key)", api_key), ("secret token", secret_token)) if not v]
        if missing:
            raise ConfigError(f"Enter the {' and the '.join(missing)} for profile {profile!r}.")
        backend = self.require_usable()
        self._call(backend.set_password, SECRET_SERVICE_NAME, _username(profile, "api_key"), api_key)
        self._call(
            backend.set_password, SECRET_SERVICE_NAME, _username(profile, "secret_token"), secret_token
        )

    def delete_secrets(self, profile: str) -> None:
        backend = self.require_usable()
        for kind in ("api_key", "secret_token", "api_token"):
            self._delete(backend, profile, kind)

    def _delete(self, backend: KeyringBackend, profile: str, kind: str) -> None:
        try:
            backend.delete_password(SECRET_SERVICE_NAME, _username(profile, kind))
        except _keyring_errors().PasswordDeleteError:
            pass  # nothing stored: already deleted
        except Exception as exc:
            raise _wrap(exc) from exc

    def rename(self, old: str, new: str) -> None:
        """Move secrets to a renamed profile (no-op when none are stored)."""
        if old == new:
            return
        stored, token = self.get_secrets(old), self.get_api_token(old)
        if not stored.complete and not token:
            return
        if stored.complete:
            self.set_secrets(new, stored.api_key, stored.secret_token)
        if token:
            self.set_api_token(new, token)
        self.delete_secrets(old)

    # -- internals --------------------------------------------------------------------------

    def _get(self, profile: str, kind: str) -> str:
        backend = self.require_usable()
        value = self._call(backend.get_password, SECRET_SERVICE_NAME, _username(profile, kind))
        return value or ""

    @staticmethod
    def _call(method: Any, *args: str) -> Any:
        try:
            return method(*args)
        except Exception as exc:  # locked keyring, D-Bus errors, denied prompts: all "unavailable"
            raise _wrap(exc) from exc


def _username(profile: str, kind: Literal["api_key", "secret_token"] | str) -> str:
    return f"{profile}/{kind}"


def _start_failure(exc: Exception) -> KeyringUnavailable:
    reason = str(exc).strip() or type(exc).__name__
    return KeyringUnavailable(
        f"The keyring could not be started ({type(exc).__name__}: {reason}), so OpDial cannot read or "
        f"store secrets. {_how_to_fix()} Check the keyring configuration (PYTHON_KEYRING_BACKEND, "
        "keyringrc.cfg) if one was set."
    )


def _wrap(exc: Exception) -> KeyringUnavailable:
    reason = str(exc).strip() or type(exc).__name__
    if isinstance(exc, _keyring_errors().KeyringLocked) or "locked" in reason.lower():
        hint = "The keyring is locked: unlock it (log in to the desktop session, or open your keyring app)."
    else:
        hint = _how_to_fix()
    return KeyringUnavailable(f"The keyring could not be used: {reason}. {hint}")


# --------------------------------------------------------------------------------------------
# Resolving what a call needs
# --------------------------------------------------------------------------------------------

Source = Literal["profile", "env", "option", "keyring", "default"]


@dataclass(frozen=True)
class Resolved:
    """The effective profile (environment applied) and the account to call with.

    ``sources`` maps company_id, public_ivr_id, user_id, api_key, secret_token, api_url to
    where each value came from: "profile", "keyring", "env", "option" or "default".
    """

    profile: Profile
    account: Account
    sources: dict[str, Source]


_ENV_FIELDS = {
    "company_id": ENV_COMPANY_ID,
    "public_ivr_id": ENV_PUBLIC_IVR_ID,
    "user_id": ENV_USER_ID,
    "api_url": ENV_API_URL,
}
_FIELD_WORDS = {
    "company_id": ("Company ID", ENV_COMPANY_ID),
    "public_ivr_id": ("Public IVR ID", ENV_PUBLIC_IVR_ID),
    "api_key": ("API key (x-api-key)", ENV_API_KEY),
    "secret_token": ("secret token", ENV_SECRET_TOKEN),
}


def _env_value(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def choose_profile(
    store: ProfileStore, profile_name: str | None = None, env: Mapping[str, str] = os.environ
) -> Profile | None:
    """Explicit name → OPDIAL_PROFILE → the store's default → the only profile → None."""
    for wanted, origin in ((profile_name, "--profile"), (_env_value(env, ENV_PROFILE), ENV_PROFILE)):
        if wanted and wanted.strip():
            found = store.get(wanted)
            if found is None:
                known = ", ".join(store.names()) or "none yet"
                raise ConfigError(
                    f"There is no profile named {wanted.strip()!r} (from {origin}). Known profiles: "
                    f"{known}. Create it with `opdial-cli profile add {wanted.strip()}` or in Profiles."
                )
            return found
    default = store.default_name()
    if default:
        return store.get(default)
    profiles = store.list()
    return profiles[0] if len(profiles) == 1 else None


def resolve(
    profile_name: str | None = None,
    *,
    api_url: str | None = None,
    env: Mapping[str, str] = os.environ,
    store: ProfileStore | None = None,
    secrets: SecretStore | None = None,
) -> Resolved:
    """Everything needed to place a call, or a ConfigError saying exactly what is missing.

    Environment overrides profile values; the ``api_url`` option overrides everything. The
    keyring is read only for secrets the environment does not provide.
    """
    store = store if store is not None else ProfileStore()
    chosen = choose_profile(store, profile_name, env)
    env_vars = (*_ENV_FIELDS.values(), ENV_API_KEY, ENV_SECRET_TOKEN)
    if chosen is None and not any(_env_value(env, n) for n in env_vars):
        raise ConfigError(_no_profile_message(store))
    profile = chosen or Profile(name=ENVIRONMENT_PROFILE_NAME, color="#546e7a")
    sources: dict[str, Source] = {}
    values: dict[str, str] = {}
    for name, var in _ENV_FIELDS.items():
        if _env_value(env, var):
            values[name], sources[name] = _env_value(env, var), "env"
        elif getattr(profile, name):
            values[name], sources[name] = getattr(profile, name), "profile" if chosen else "default"
    if api_url and api_url.strip():
        values["api_url"], sources["api_url"] = api_url.strip(), "option"
    values.setdefault("api_url", DEFAULT_API_URL)
    sources.setdefault("api_url", "default")
    found_secrets = _resolve_secrets(chosen, env, secrets, sources)
    missing = [k for k in ("company_id", "public_ivr_id") if not values.get(k)]
    missing += [k for k in ("api_key", "secret_token") if not getattr(found_secrets, k)]
    if missing:
        raise ConfigError(_missing_message(missing, chosen))
    url = validate_api_url(values["api_url"])
    effective = replace(profile, **{k: v for k, v in values.items() if k != "api_url"}, api_url=url)
    from desktop_app.api.models import Account  # not before the window's first paint (issue 12)

    account = Account(
        company_id=values["company_id"],
        public_ivr_id=values["public_ivr_id"],
        api_key=found_secrets.api_key,
        secret_token=found_secrets.secret_token,
        api_url=url,
    )
    return Resolved(profile=effective, account=account, sources=sources)


def _resolve_secrets(
    chosen: Profile | None, env: Mapping[str, str], secrets: SecretStore | None, sources: dict[str, Source]
) -> Secrets:
    api_key, token = _env_value(env, ENV_API_KEY), _env_value(env, ENV_SECRET_TOKEN)
    if api_key:
        sources["api_key"] = "env"
    if token:
        sources["secret_token"] = "env"
    if (api_key and token) or chosen is None:
        return Secrets(api_key, token)  # nothing to look up: the keyring stays untouched
    store = secrets if secrets is not None else SecretStore()
    try:
        stored = store.get_secrets(chosen.name)
    except KeyringUnavailable as exc:
        raise KeyringUnavailable(
            f"The secrets of profile {chosen.name!r} are in the keyring, which cannot be used. {exc}"
        ) from exc
    if not api_key and stored.api_key:
        api_key, sources["api_key"] = stored.api_key, "keyring"
    if not token and stored.secret_token:
        token, sources["secret_token"] = stored.secret_token, "keyring"
    return Secrets(api_key, token)


@dataclass(frozen=True)
class LogsAccess:
    """What the logs and users API needs: the token (never in ``repr``), its URL and where they came from."""

    token: str = field(repr=False)
    url: str = DEFAULT_LOGS_URL
    token_source: Source = "keyring"
    profile_name: str = ""


NO_API_TOKEN = "Add the API token in Profiles to see agents and call results."


def resolve_logs_access(
    profile_name: str | None = None,
    *,
    env: Mapping[str, str] = os.environ,
    store: ProfileStore | None = None,
    secrets: SecretStore | None = None,
) -> LogsAccess:
    """The API token (``OPDIAL_API_TOKEN``, else the profile's in the keyring) and the logs API's
    URL (``OPDIAL_LOGS_API_URL``, else the profile's, else the default; https or loopback only).
    ConfigError with NO_API_TOKEN when there is none: everything else keeps working without it."""
    store = store if store is not None else ProfileStore()
    chosen = choose_profile(store, profile_name, env)
    url = _env_value(env, ENV_LOGS_API_URL) or (chosen.logs_api_url if chosen else "") or DEFAULT_LOGS_URL
    url = validate_api_url(url)
    name = chosen.name if chosen else ENVIRONMENT_PROFILE_NAME
    token = _env_value(env, ENV_API_TOKEN)
    if token:
        return LogsAccess(token, url, "env", name)
    if chosen is not None:
        store_of_secrets = secrets if secrets is not None else SecretStore()
        token = store_of_secrets.get_api_token(chosen.name)
        if token:
            return LogsAccess(token, url, "keyring", name)
    raise ConfigError(NO_API_TOKEN)


def _no_profile_message(store: ProfileStore) -> str:
    if store.names():
        return (
            f"Several profiles exist ({', '.join(store.names())}) and none is the default. "
            f"Choose one with --profile NAME or {ENV_PROFILE}, or set a default in Profiles."
        )
    return (
        "No profile is set up. Create one with `opdial-cli profile add NAME` (or Profiles in the "
        f"window), or set {ENV_API_KEY}, {ENV_SECRET_TOKEN}, {ENV_COMPANY_ID} and "
        f"{ENV_PUBLIC_IVR_ID} in the environment."
    )


def _missing_message(missing: list[str], chosen: Profile | None) -> str:
    words = [_FIELD_WORDS[k][0] for k in missing]
    variables = [_FIELD_WORDS[k][1] for k in missing]
    what = ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]
    if chosen is None:
        return f"Missing {what}. Set {', '.join(variables)} in the environment, or create a profile."
    fix_secrets = any(k in ("api_key", "secret_token") for k in missing)
    where = "enter it in Profiles" + (" (secrets go to the keyring)" if fix_secrets else "")
    return (
        f"Profile {chosen.name!r} is missing the {what}. Edit the profile ({where}, or "
        f"`opdial-cli profile add {chosen.name}`), or set {', '.join(variables)} in the environment."
    )
