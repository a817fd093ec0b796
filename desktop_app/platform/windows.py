r"""Windows: per-user link handler registration under ``HKEY_CURRENT_USER`` (no admin rights).

The layout (one list of values, used both by ``register`` and by the NSIS installer lines):

- ``Software\Classes\<scheme>``: ``URL Protocol``, ``DefaultIcon``, ``shell\open\command`` =
  ``"<exe>" "%1"`` — written only when the key is absent or already ours, so another app's
  handler is never overwritten (the user picks OpDial in Default Apps instead);
- a ProgID per scheme, ``Software\Classes\OpDial.<scheme>``, with the same command;
- ``Software\OpDial\Capabilities`` (ApplicationName, ApplicationDescription,
  ``URLAssociations\<scheme>`` = ProgID) and ``Software\RegisteredApplications`` value ``OpDial``
  pointing at it, which is what lists OpDial in Settings → Default apps.

Since Windows 8 the effective default is the user's ``UserChoice`` (hash-protected, set only by
the user in Settings), so ``status`` reads it first; ``default_apps_uri`` opens the right page.
The registry is reached through ``RegistryBackend`` so tests run the same code on any OS.
"""

from __future__ import annotations

import ntpath
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from desktop_app import APP_DESCRIPTION, APP_NAME
from desktop_app.platform import SCHEMES, LinkHandlerStatus, RegistrationResult

CLASSES = r"Software\Classes"
CAPABILITIES_KEY = rf"Software\{APP_NAME}\Capabilities"
VENDOR_KEY = rf"Software\{APP_NAME}"
REGISTERED_APPS_KEY = r"Software\RegisteredApplications"
USER_CHOICE = r"Software\Microsoft\Windows\Shell\Associations\UrlAssociations\{scheme}\UserChoice"
# Windows 10 1809: the first build where Default Apps accepts ?registeredAppUser=.
REGISTERED_APP_USER_MIN_BUILD = 17763


def prog_id(scheme: str) -> str:
    return f"{APP_NAME}.{scheme}"


@dataclass(frozen=True)
class RegValue:
    """One string value under HKCU; ``name == ""`` is the key's default value."""

    key: str
    name: str
    value: str


class RegistryBackend(Protocol):
    """The few registry operations OpDial needs. Writes go to HKCU only; reads may use HKLM."""

    def get(self, hive: str, key: str, name: str = "") -> str | None: ...

    def set(self, key: str, name: str, value: str) -> None: ...

    def delete_key(self, key: str) -> None: ...

    def delete_value(self, key: str, name: str) -> None: ...


class InMemoryRegistry:
    """A case-insensitive registry in a dict, for tests and for previewing a layout."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], tuple[str, dict[str, tuple[str, str]]]] = {}

    def get(self, hive: str, key: str, name: str = "") -> str | None:
        entry = self._keys.get((hive, key.casefold()))
        if entry is None:
            return None
        found = entry[1].get(name.casefold())
        return found[1] if found else None

    def set(self, key: str, name: str, value: str) -> None:
        self.put("HKCU", key, name, value)

    def put(self, hive: str, key: str, name: str, value: str) -> None:
        """Any hive: tests use it to stage another app's or the machine's settings."""
        _, values = self._keys.setdefault((hive, key.casefold()), (key, {}))
        values[name.casefold()] = (name, value)

    def delete_key(self, key: str) -> None:
        folded = key.casefold()
        for hive, path in list(self._keys):
            if hive == "HKCU" and (path == folded or path.startswith(folded + "\\")):
                del self._keys[(hive, path)]

    def delete_value(self, key: str, name: str) -> None:
        entry = self._keys.get(("HKCU", key.casefold()))
        if entry:
            entry[1].pop(name.casefold(), None)

    def dump(self, hive: str = "HKCU") -> dict[str, dict[str, str]]:
        """``{key: {name: value}}`` with the original spelling, for assertions."""
        return {
            path: {name: value for name, value in values.values()}
            for (h, _), (path, values) in sorted(self._keys.items())
            if h == hive
        }


class WinRegistry:
    r"""The real registry through ``winreg``. ``prefix`` confines every key under
    ``HKCU\<prefix>`` (HKLM reads under ``HKCU\<prefix>\HKLM``) so tests can use a scratch key."""

    def __init__(self, prefix: str = "") -> None:
        import winreg  # only on Windows

        self._w = winreg
        self._prefix = prefix.strip("\\")

    def _locate(self, hive: str, key: str) -> tuple[int, str]:
        w = self._w
        if self._prefix:
            return w.HKEY_CURRENT_USER, "\\".join(
                part for part in (self._prefix, "HKLM" if hive == "HKLM" else "", key) if part
            )
        return (w.HKEY_LOCAL_MACHINE if hive == "HKLM" else w.HKEY_CURRENT_USER), key

    def get(self, hive: str, key: str, name: str = "") -> str | None:
        root, sub = self._locate(hive, key)
        try:
            with self._w.OpenKey(root, sub) as handle:
                value, _kind = self._w.QueryValueEx(handle, name)
        except OSError:
            return None
        return str(value)

    def set(self, key: str, name: str, value: str) -> None:
        root, sub = self._locate("HKCU", key)
        with self._w.CreateKeyEx(root, sub, 0, self._w.KEY_WRITE) as handle:
            self._w.SetValueEx(handle, name, 0, self._w.REG_SZ, value)

    def delete_value(self, key: str, name: str) -> None:
        root, sub = self._locate("HKCU", key)
        try:
            with self._w.OpenKey(root, sub, 0, self._w.KEY_SET_VALUE) as handle:
                self._w.DeleteValue(handle, name)
        except FileNotFoundError:
            pass

    def delete_key(self, key: str) -> None:
        self._delete_tree(*self._locate("HKCU", key))

    def _delete_tree(self, root: int, sub: str) -> None:
        w = self._w
        try:
            handle = w.OpenKey(root, sub, 0, w.KEY_READ | w.KEY_WRITE)
        except FileNotFoundError:
            return
        with handle:
            while True:  # winreg.DeleteKey refuses keys with subkeys: empty it first
                try:
                    child = w.EnumKey(handle, 0)
                except OSError:
                    break
                self._delete_tree(root, f"{sub}\\{child}")
        w.DeleteKey(root, sub)


PERSONALIZE_KEY = r"Software\Microsoft\Windows\CurrentVersion\Themes\Personalize"


def apps_use_dark_theme(registry: RegistryBackend) -> bool | None:
    """Windows' own "light or dark" for apps (Settings → Personalisation → Colours), which Qt's colour
    scheme reads too; None when it was never set."""
    value = registry.get("HKCU", PERSONALIZE_KEY, "AppsUseLightTheme")
    return None if value is None else value.strip() == "0"


def command_line(exe_command: Sequence[str]) -> str:
    """``"<exe>" [args] "%1"``: every part quoted, so paths with spaces survive."""
    return " ".join(f'"{part}"' for part in [*exe_command, "%1"])


def icon_value(exe_command: Sequence[str]) -> str:
    return f'"{exe_command[0]}",0'


def _handler_values(key: str, exe_command: Sequence[str], title: str) -> list[RegValue]:
    return [
        RegValue(key, "", title),
        RegValue(key, "URL Protocol", ""),
        RegValue(rf"{key}\DefaultIcon", "", icon_value(exe_command)),
        RegValue(rf"{key}\shell\open\command", "", command_line(exe_command)),
    ]


def scheme_layout(scheme: str, exe_command: Sequence[str]) -> list[RegValue]:
    """``Software\\Classes\\<scheme>``: written only when free or already ours."""
    return _handler_values(rf"{CLASSES}\{scheme}", exe_command, f"URL:{scheme}")


def owned_layout(exe_command: Sequence[str]) -> list[RegValue]:
    """The keys that belong to OpDial alone: ProgIDs, Capabilities, RegisteredApplications."""
    values: list[RegValue] = []
    for scheme in SCHEMES:
        key = rf"{CLASSES}\{prog_id(scheme)}"
        values += _handler_values(key, exe_command, f"{APP_NAME} {scheme}: link")
        values += [
            RegValue(rf"{key}\Application", "ApplicationName", APP_NAME),
            RegValue(rf"{key}\Application", "ApplicationDescription", APP_DESCRIPTION),
        ]
    values += [
        RegValue(CAPABILITIES_KEY, "ApplicationName", APP_NAME),
        RegValue(CAPABILITIES_KEY, "ApplicationDescription", APP_DESCRIPTION),
    ]
    values += [RegValue(rf"{CAPABILITIES_KEY}\URLAssociations", s, prog_id(s)) for s in SCHEMES]
    values.append(RegValue(REGISTERED_APPS_KEY, APP_NAME, CAPABILITIES_KEY))
    return values


def registry_layout(exe_command: Sequence[str]) -> list[RegValue]:
    """Everything a fresh registration writes (all scheme keys free)."""
    values = [v for scheme in SCHEMES for v in scheme_layout(scheme, exe_command)]
    return values + owned_layout(exe_command)


def default_apps_uri(build: int | None = None) -> str:
    """The Settings page where the user makes OpDial the default (Windows forbids doing it silently)."""
    if build is None:
        build = sys.getwindowsversion().build if sys.platform == "win32" else 0
    if build >= REGISTERED_APP_USER_MIN_BUILD:
        return f"ms-settings:defaultapps?registeredAppUser={APP_NAME}"
    return "ms-settings:defaultapps"


def open_default_apps() -> None:
    os.startfile(default_apps_uri())  # type: ignore[attr-defined]  # Windows only


def _notify_shell() -> None:
    """Tell Explorer that associations changed (SHCNE_ASSOCCHANGED), as installers do."""
    import ctypes

    ctypes.windll.shell32.SHChangeNotify(0x08000000, 0, None, None)  # type: ignore[attr-defined]


def _exe_name(command: str) -> str:
    command = command.strip()
    exe = command[1:].split('"', 1)[0] if command.startswith('"') else command.split(" ", 1)[0]
    return ntpath.basename(exe) or command


class WindowsLinkHandler:
    def __init__(
        self,
        registry: RegistryBackend | None = None,
        notify: Callable[[], None] | None = None,
    ) -> None:
        if registry is None:
            registry = WinRegistry()
            notify = notify or _notify_shell
        self.registry = registry
        self._notify = notify or (lambda: None)

    # -- reading -------------------------------------------------------------------------------
    def _command(self, hive: str, key: str) -> str | None:
        return self.registry.get(hive, rf"{CLASSES}\{key}\shell\open\command")

    def _scheme_key_is_ours(self, scheme: str) -> bool:
        theirs = self._command("HKCU", scheme)
        ours = self._command("HKCU", prog_id(scheme))
        return bool(theirs) and theirs == ours

    def _friendly_name(self, progid: str) -> str:
        for hive in ("HKCU", "HKLM"):
            name = self.registry.get(hive, rf"{CLASSES}\{progid}\Application", "ApplicationName")
            if name:
                return f"{name} ({progid})"
        return progid

    def scheme_status(self, scheme: str) -> LinkHandlerStatus:
        choice = self.registry.get("HKCU", USER_CHOICE.format(scheme=scheme), "ProgId")
        if choice:
            ours = choice.casefold() == prog_id(scheme).casefold()
            handler = APP_NAME if ours else self._friendly_name(choice)
            return LinkHandlerStatus(scheme, ours, handler, detail="chosen in Default Apps")
        if self._scheme_key_is_ours(scheme):
            return LinkHandlerStatus(scheme, True, APP_NAME)
        command = self._command("HKCU", scheme) or self._command("HKLM", scheme)
        return LinkHandlerStatus(scheme, False, _exe_name(command) if command else None)

    def status(self) -> list[LinkHandlerStatus]:
        return [self.scheme_status(scheme) for scheme in SCHEMES]

    # -- writing -------------------------------------------------------------------------------
    def _write(self, values: Iterable[RegValue]) -> None:
        for value in values:
            self.registry.set(value.key, value.name, value.value)

    def register(self, exe_command: Sequence[str]) -> RegistrationResult:
        result = RegistrationResult()
        # Decide ownership before the ProgIDs are rewritten with a possibly new command.
        free_or_ours = {s: self._scheme_key_is_ours(s) or not self._command("HKCU", s) for s in SCHEMES}
        self._write(owned_layout(exe_command))
        result.changed.append(f"Registered {APP_NAME} for {', '.join(s + ':' for s in SCHEMES)} links.")
        for scheme in SCHEMES:
            if free_or_ours[scheme]:
                self._write(scheme_layout(scheme, exe_command))
            else:
                result.notes.append(f"{scheme}: is handled by another app; left as it is.")
        self._notify()
        if not all(s.handled_by_us for s in self.status()):
            result.notes.append(
                f"Windows lets only you choose the default: open Settings → Default apps → {APP_NAME} "
                f"({default_apps_uri()}) and pick {APP_NAME} for TEL and CALLTO."
            )
        return result

    def unregister(self) -> RegistrationResult:
        result = RegistrationResult()
        for scheme in SCHEMES:
            if self._scheme_key_is_ours(scheme):  # someone else's tel: key stays
                self.registry.delete_key(rf"{CLASSES}\{scheme}")
                result.changed.append(f"Removed {APP_NAME}'s {scheme}: handler.")
        for scheme in SCHEMES:
            self.registry.delete_key(rf"{CLASSES}\{prog_id(scheme)}")
        self.registry.delete_key(VENDOR_KEY)
        self.registry.delete_value(REGISTERED_APPS_KEY, APP_NAME)
        result.changed.append(f"Removed {APP_NAME} from Default Apps.")
        self._notify()
        return result


# -- the same layout for the NSIS installer ------------------------------------------------------
def _nsis_quote(text: str) -> str:
    for quote in ('"', "'", "`"):
        if quote not in text:
            return f"{quote}{text}{quote}"
    raise ValueError(f"cannot quote {text!r} for NSIS")


def _nsis_write(value: RegValue) -> str:
    return f"  WriteRegStr HKCU {_nsis_quote(value.key)} {_nsis_quote(value.name)} {_nsis_quote(value.value)}"


def _nsis_if_ours_or_free(
    scheme: str, command: str, then_lines: list[str], *, registering: bool
) -> list[str]:
    """Run ``then_lines`` only when the scheme's command is ours: the new one or our ProgID's
    (an earlier install elsewhere); when registering, also when the scheme has no handler."""
    label = f"opdial_links_{scheme}_{'reg' if registering else 'unreg'}"
    key = rf"{CLASSES}\{scheme}\shell\open\command"
    ours = rf"{CLASSES}\{prog_id(scheme)}\shell\open\command"
    lines = [
        "  Push $0",
        "  Push $1",
        f'  ReadRegStr $0 HKCU "{key}" ""',
        f'  ReadRegStr $1 HKCU "{ours}" ""',
    ]
    if registering:
        lines.append(f'  StrCmp $0 "" {label}_do')
    lines += [
        '  StrCmp $1 "" +2',  # no ProgID yet: nothing of ours to compare with
        f"  StrCmp $0 $1 {label}_do",
        f"  StrCmp $0 {_nsis_quote(command)} {label}_do {label}_done",
        f"  {label}_do:",
    ]
    return [*lines, *then_lines, f"  {label}_done:", "  Pop $1", "  Pop $0"]


def nsis_registry_lines(exe: str = r"$INSTDIR\opdial.exe") -> str:
    """NSIS instructions that register exactly what ``register([exe])`` writes (for a Section)."""
    exe_command = [exe]
    lines: list[str] = []
    # Ownership of the scheme keys is decided before the ProgIDs are rewritten, as in register().
    for scheme in SCHEMES:
        writes = [_nsis_write(v) for v in scheme_layout(scheme, exe_command)]
        lines += _nsis_if_ours_or_free(scheme, command_line(exe_command), writes, registering=True)
    lines += [_nsis_write(v) for v in owned_layout(exe_command)]
    lines.append("  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'")
    return "\n".join(lines) + "\n"


def nsis_unregister_lines(exe: str = r"$INSTDIR\opdial.exe") -> str:
    """NSIS instructions that remove only OpDial's keys (for the uninstaller Section)."""
    command = command_line([exe])
    lines: list[str] = []
    for scheme in SCHEMES:
        delete = [f'  DeleteRegKey HKCU "{CLASSES}\\{scheme}"']
        lines += _nsis_if_ours_or_free(scheme, command, delete, registering=False)
    lines += [f'  DeleteRegKey HKCU "{CLASSES}\\{prog_id(s)}"' for s in SCHEMES]
    lines += [
        f'  DeleteRegKey HKCU "{VENDOR_KEY}"',
        f'  DeleteRegValue HKCU "{REGISTERED_APPS_KEY}" "{APP_NAME}"',
    ]
    lines.append("  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'")
    return "\n".join(lines) + "\n"


def nsis_include(exe: str = r"$INSTDIR\opdial.exe") -> str:
    """A ``.nsh`` with two macros: ``!insertmacro OPDIAL_REGISTER_LINKS`` / ``OPDIAL_UNREGISTER_LINKS``."""
    return (
        "; Generated by desktop_app.platform.windows.nsis_include() — do not edit by hand.\n"
        "!macro OPDIAL_REGISTER_LINKS\n"
        + nsis_registry_lines(exe)
        + "!macroend\n\n!macro OPDIAL_UNREGISTER_LINKS\n"
        + nsis_unregister_lines(exe)
        + "!macroend\n"
    )
