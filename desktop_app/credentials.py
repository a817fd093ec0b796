"""Profiles (in the settings file) and their secrets (in the OS keyring only).

The settings file never holds a secret. The x-api-key and secret_token live in the OS keyring
(Secret Service, KWallet, Windows Credential Manager, macOS Keychain). When no secure keyring
exists OpDial says so and refuses to store: it never falls back to a plaintext file. For
automation, ``OPDIAL_*`` environment variables override profile values and can replace a
profile entirely; with both secrets in the environment the keyring is not touched at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from desktop_app import APP_ID, config, storage
from desktop_app.api.urls import DEFAULT_API_URL, DEFAULT_LOGS_URL, UnsafeUrlError
from desktop_app.api.urls import validate_api_url as _validate_api_url

if TYPE_CHECKING:  # keyring costs ~90 ms to import: loaded only when a secret is needed
    from keyring.backend import KeyringBackend

    from desktop_app.api.models import Account

ENV_PREFIX = "OPDIAL_"
ENV_API_KEY = "OPDIAL_API_KEY"
ENV_SECRET_TOKEN = "OPDIAL_SECRET_TOKEN"
ENV_COMPANY_ID = "OPDIAL_COMPANY_ID"
ENV_PUBLIC_IVR_ID = "OPDIAL_PUBLIC_IVR_ID"
ENV_USER_ID = "OPDIAL_USER_ID"
ENV_API_URL = "OPDIAL_API_URL"
ENV_PROFILE = "OPDIAL_PROFILE"
ENV_API_TOKEN = "OPDIAL_API_TOKEN"  # the logs and users API's token (optional)
ENV_LOGS_API_URL = "OPDIAL_LOGS_API_URL"

ENVIRONMENT_PROFILE_NAME = "environment"
SECRET_SERVICE_NAME = APP_ID
# Profile badge colours: distinct; white text on each reads at 4.5:1 or more (tests/ui/test_contrast.py).
BADGE_COLORS = ("#2e7d32", "#1565c0", "#c62828", "#6a1b9a", "#b84e00", "#00796b", "#ad1457", "#4e342e")
MAX_PROFILE_NAME_LENGTH = 64
SETTINGS_VERSION = 1

# Keys that must never reach the settings file, whatever a caller puts into ``Profile.extra``.
_SECRET_LOOKING_KEYS = frozenset(
    {"api_key", "x-api-key", "x_api_key", "secret_token", "secret", "password", "api_token", "token"}
)


class ConfigError(ValueError):
    """Configuration is missing or wrong. The message says what and how to fix it (shown as is)."""


class KeyringUnavailable(ConfigError):
    """No secure keyring can be used. A ConfigError, so callers that catch ConfigError see it too."""


# --------------------------------------------------------------------------------------------
# API URL rule (shared with the HTTP client)
# --------------------------------------------------------------------------------------------


def validate_api_url(url: str) -> str:
    """The client's URL rule (``desktop_app.api.client``), reported as a ConfigError."""
    try:
        return _validate_api_url(url)
    except UnsafeUrlError as error:
        raise ConfigError(str(error)) from None


# --------------------------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------------------------


@dataclass
class Profile:
    """One company/agent setup. Holds no secrets: those are in the keyring (see SecretStore)."""

    name: str
    company_id: str = ""
    public_ivr_id: str = ""
    user_id: str = ""  # the agent's MyOperator User ID, prefilled for user dials
    default_region: str = "IN"
    caller_id: str = ""
    region: str = ""
    group: str = ""
    api_url: str = DEFAULT_API_URL
    color: str = ""  # badge colour; ProfileStore.save picks an unused one when empty
    link_countdown_s: int = 0  # 0 = a clicked link only prefills the form
    logs_api_url: str = DEFAULT_LOGS_URL  # the logs and users API (its token is in the keyring)
    extra: dict[str, Any] = field(default_factory=dict)  # future preferences; unknown keys land here

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """Build from settings data, tolerating missing keys, wrong types and unknown keys."""
        name = str(data.get("name") or "").strip()
        if not name:
            raise ValueError("a profile entry has no name")
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {"name": name}
        for key in known - {"name", "extra", "link_countdown_s"}:
            if data.get(key) is not None:
                values[key] = str(data[key]).strip()
        values["default_region"] = (values.get("default_region") or "IN").upper()
        values["api_url"] = values.get("api_url") or DEFAULT_API_URL
        values["logs_api_url"] = values.get("logs_api_url") or DEFAULT_LOGS_URL
        values["link_countdown_s"] = _as_non_negative_int(data.get("link_countdown_s"))
        extra = dict(data["extra"]) if isinstance(data.get("extra"), Mapping) else {}
        extra.update({k: v for k, v in data.items() if k not in known})
        values["extra"] = extra
        return cls(**values)


def _as_non_negative_int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def check_profile_name(name: str) -> str:
    """Return the cleaned name or raise ConfigError saying what is wrong with it."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise ConfigError("The profile needs a name, e.g. the company's name.")
    if len(cleaned) > MAX_PROFILE_NAME_LENGTH:
        raise ConfigError(f"The profile name is too long (at most {MAX_PROFILE_NAME_LENGTH} characters).")
    import unicodedata  # only when a profile is saved: not before the window's first paint

    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise ConfigError("The profile name must not contain control characters.")
    return cleaned


class ProfileStore:
    """Profiles and preferences in one JSON settings file. No secrets, ever.

    Every call reads the file afresh so the CLI and the window can share it. Each
    read-modify-write holds a lock file beside it (``settings.json.lock``) across processes, and
    writes are atomic (temporary file + ``os.replace``), so two processes never lose each other's
    changes. Every successful write also keeps ``settings.json.backup``; a file that does not
    parse is kept beside it under a dated name and the backup is restored, with ``load_warning``
    (and a ``storage`` notice for the window and the CLI) saying what happened.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else config.settings_path()
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.load_warning: str | None = None
        self._lock = threading.RLock()
        self._file_locked = 0  # depth of nested _locked() in this process (flock is per open file)
        with contextlib.suppress(storage.StorageError):  # reading needs no folder; writing says why
            storage.private_dir(self.path.parent)
        self._read()  # detect corruption now, so the warning is available at once

    # -- profiles ---------------------------------------------------------------------------

    def list(self) -> list[Profile]:
        return self._profiles(self._read())

    def names(self) -> list[str]:
        return [p.name for p in self.list()]

    def get(self, name: str) -> Profile | None:
        wanted = (name or "").strip()
        return next((p for p in self.list() if p.name == wanted), None)

    def save(self, profile: Profile, *, rename_from: str | None = None) -> Profile:
        """Add or replace a profile (``rename_from``: its old name). Returns what was stored.

        Secrets are not touched: rename them with ``SecretStore.rename``.
        """
        name = check_profile_name(profile.name)
        api_url = validate_api_url(profile.api_url or DEFAULT_API_URL)
        _refuse_secret_looking_extras(profile.extra)
        with self._locked():
            data = self._read()
            profiles = self._profiles(data)
            old_name = (rename_from or "").strip() or name
            if old_name != name and any(p.name == name for p in profiles):
                raise ConfigError(f"A profile named {name!r} already exists. Choose another name.")
            others = [p for p in profiles if p.name not in (old_name, name)]
            color = profile.color.strip() or self._unused_color(others)
            stored = replace(profile, name=name, api_url=api_url, color=color)
            position = next((i for i, p in enumerate(profiles) if p.name == old_name), len(profiles))
            profiles = [p for p in profiles if p.name not in (old_name, name)]
            profiles.insert(min(position, len(profiles)), stored)
            data["profiles"] = [p.to_dict() for p in profiles]
            if data.get("default_profile") == old_name:
                data["default_profile"] = name
            self._write(data)
            return stored

    def remove(self, name: str) -> bool:
        """Delete a profile (not its secrets: see ``SecretStore.delete_secrets``)."""
        with self._locked():
            data = self._read()
            profiles = self._profiles(data)
            kept = [p for p in profiles if p.name != name]
            if len(kept) == len(profiles):
                return False
            data["profiles"] = [p.to_dict() for p in kept]
            if data.get("default_profile") == name:
                data["default_profile"] = None
            self._write(data)
            return True

    def default_name(self) -> str | None:
        """The chosen default profile if it still exists."""
        data = self._read()
        name = data.get("default_profile")
        return name if isinstance(name, str) and name in self.names() else None

    def set_default(self, name: str | None) -> None:
        with self._locked():
            data = self._read()
            if name is not None and name not in [p.name for p in self._profiles(data)]:
                raise ConfigError(f"There is no profile named {name!r} to make the default.")
            data["default_profile"] = name
            self._write(data)

    def suggest_color(self) -> str:
        """A badge colour no profile uses yet (cycles when all are taken)."""
        return self._unused_color(self.list())

    # -- preferences ------------------------------------------------------------------------

    def get_pref(self, key: str, default: Any = None) -> Any:
        return self._read()["preferences"].get(key, default)

    def set_pref(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value (window state, do-not-call list path…)."""
        if key.strip().lower() in _SECRET_LOOKING_KEYS:
            raise ConfigError(f"{key!r} looks like a secret; secrets belong in the keyring.")
        json.dumps(value)  # fail here, not halfway through writing the file
        with self._locked():
            data = self._read()
            data["preferences"][key] = value
            self._write(data)

    # -- file handling ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """This thread and every other process: no one else reads-modifies-writes meanwhile."""
        with self._lock:
            if self._file_locked:
                self._file_locked += 1
                try:
                    yield
                finally:
                    self._file_locked -= 1
                return
            storage.private_dir(self.path.parent)
            with storage.file_lock(self.path.with_name(self.path.name + ".lock")):
                self._file_locked = 1
                try:
                    yield
                finally:
                    self._file_locked = 0

    @staticmethod
    def _profiles(data: dict[str, Any]) -> list[Profile]:
        return [Profile.from_dict(d) for d in data["profiles"]]

    @staticmethod
    def _unused_color(profiles: Iterable[Profile]) -> str:
        used = [p.color.lower() for p in profiles]
        free = [c for c in BADGE_COLORS if c not in used]
        return free[0] if free else BADGE_COLORS[len(used) % len(BADGE_COLORS)]

    def _read(self) -> dict[str, Any]:
        with self._lock:
            try:
                text = self.path.read_text(encoding="utf-8")
            except (FileNotFoundError, NotADirectoryError):
                return _empty_settings()  # no file, or no folder for one: nothing stored yet
            except OSError as exc:
                raise ConfigError(f"Cannot read the settings file {self.path}: {exc.strerror}.") from exc
            try:
                return self._clean(_parse_settings(text))
            except ValueError as exc:
                return self._recover(str(exc))

    def _recover(self, reason: str) -> dict[str, Any]:
        """Keep the damaged file beside it (dated) and go on with the last good copy, if any."""
        with self._locked():
            try:  # another process may have recovered it meanwhile
                return self._clean(_parse_settings(self.path.read_text(encoding="utf-8")))
            except FileNotFoundError:
                return _empty_settings()
            except ValueError:
                pass
            damaged = storage.set_aside(self.path)
            try:
                good = _parse_settings(self.backup_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                good = None
            if good is None:
                self.load_warning = (
                    f"The settings file {self.path} was damaged ({reason}) and there is no good copy to "
                    f"restore. The damaged file was kept as {damaged}; OpDial started with no profiles. "
                    "Secrets in the keyring are untouched."
                )
                storage.notice(self.load_warning)
                return _empty_settings()
            data = self._clean(good)
            self._write(data)
            names = ", ".join(p["name"] for p in data["profiles"]) or "none"
            self.load_warning = (
                f"The settings file {self.path} was damaged ({reason}). The damaged file was kept as "
                f"{damaged}, and the last good copy was restored (profiles: {names}). Changes made "
                "after that copy was saved may be missing."
            )
            storage.notice(self.load_warning)
            return data

    def _clean(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Keep what is usable; note entries that had to be skipped."""
        data = _empty_settings()
        data.update({k: v for k, v in raw.items() if k not in data})  # keep a newer version's sections
        entries = raw.get("profiles") if isinstance(raw.get("profiles"), list) else []
        seen: set[str] = set()
        for entry in entries:
            try:
                profile = Profile.from_dict(entry)
            except (ValueError, TypeError, AttributeError):
                self.load_warning = f"Skipped an unreadable profile entry in {self.path}."
                continue
            if profile.name not in seen:
                seen.add(profile.name)
                data["profiles"].append(profile.to_dict())
        default = raw.get("default_profile")
        data["default_profile"] = default if isinstance(default, str) else None
        if isinstance(raw.get("preferences"), dict):
            data["preferences"] = raw["preferences"]
        return data

    def _write(self, data: dict[str, Any]) -> None:
        """The settings, then the same text as the backup (each atomic, 0600). StorageError if not."""
        data["version"] = SETTINGS_VERSION
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        storage.private_dir(self.path.parent)
        for target in (self.path, self.backup_path):
            try:
                _write_atomically(target, text)
            except OSError as exc:
                if isinstance(exc, storage.StorageError):
                    raise
                raise storage.storage_error("save the settings file", target, exc) from exc


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _parse_settings(text: str) -> dict[str, Any]:
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    return raw


def _empty_settings() -> dict[str, Any]:
    return {"version": SETTINGS_VERSION, "default_profile": None, "profiles": [], "preferences": {}}


def _refuse_secret_looking_extras(extra: Mapping[str, Any]) -> None:
    bad = [k for k in extra if str(k).strip().lower() in _SECRET_LOOKING_KEYS]
    if bad:
        raise ConfigError(f"Profile settings must not hold secrets ({', '.join(bad)}); use the keyring.")


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
