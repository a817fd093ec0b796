"""Profiles and preferences, kept in the plain settings file: never a secret.

A profile names a company and what its calls need besides the secrets: company_id, Public IVR ID,
the agent's user id, default region, caller id/region/group, badge colour, API URLs. The secrets
live in the OS keyring (``desktop_app.credentials``, which also re-exports these names). For
automation, ``OPDIAL_*`` environment variables override profile values (``credentials.resolve``).
Cheap to import: the window's first paint lists the profiles without loading the keyring side.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from desktop_app import config, storage
from desktop_app.api.urls import DEFAULT_API_URL, DEFAULT_LOGS_URL, UnsafeUrlError
from desktop_app.api.urls import validate_api_url as _validate_api_url

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

