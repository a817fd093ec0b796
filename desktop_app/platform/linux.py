"""Linux (freedesktop): a ``.desktop`` file that declares the schemes, made default per user.

``register`` writes ``$XDG_DATA_HOME/applications/opdial.desktop`` (with its icon) and runs
``xdg-mime default opdial.desktop x-scheme-handler/<scheme>``; without xdg-mime (xdg-utils) it
edits ``$XDG_CONFIG_HOME/mimeapps.list`` itself, which is what xdg-mime does on a generic
desktop, and says so. ``status`` asks ``xdg-mime query default``. Every path comes from the
environment mapping given to the handler, so tests never touch the real home.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from desktop_app import APP_DESCRIPTION, APP_NAME
from desktop_app.platform import SCHEMES, LinkHandlerStatus, RegistrationResult

DESKTOP_ID = "opdial.desktop"
ICON_NAME = "opdial"
MIME_TYPES: tuple[str, ...] = tuple(f"x-scheme-handler/{s}" for s in SCHEMES)
DEFAULTS_SECTION = "[Default Applications]"
XDG_MIME_MISSING = (
    "xdg-mime was not found (install xdg-utils); OpDial read and wrote ~/.config/mimeapps.list "
    "itself, which most desktops honour."
)
# Characters the Desktop Entry spec reserves in Exec arguments (they force quoting).
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")

Runner = Callable[..., subprocess.CompletedProcess]


def _quote_exec_arg(arg: str) -> str:
    arg = arg.replace("%", "%%")
    if any(ch in _RESERVED for ch in arg):
        arg = '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'
    # The string-value escape applies on top of the quoting rule: every backslash doubles.
    return arg.replace("\\", "\\\\")


def exec_line(exec_cmd: Sequence[str] | str) -> str:
    """The ``Exec=`` value: the command, quoted per the spec, then ``%u`` (the clicked link)."""
    command = exec_cmd if isinstance(exec_cmd, str) else " ".join(_quote_exec_arg(a) for a in exec_cmd)
    return f"{command} %u"


def desktop_entry(exec_cmd: Sequence[str] | str, icon: str = ICON_NAME) -> str:
    """The ``opdial.desktop`` text; ``exec_cmd`` is an argument list (or a ready Exec command)."""
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.4",
            f"Name={APP_NAME}",
            "GenericName=Phone dialer",
            f"Comment={APP_DESCRIPTION}",
            f"Exec={exec_line(exec_cmd)}",
            f"Icon={icon}",
            "Terminal=false",
            "Categories=Network;Telephony;",
            "Keywords=call;dial;phone;tel;",
            "MimeType=" + "".join(f"{m};" for m in MIME_TYPES),
            "StartupNotify=true",
            "",
        ]
    )


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or Path.home())


def data_home(env: Mapping[str, str]) -> Path:
    return Path(env.get("XDG_DATA_HOME") or _home(env) / ".local" / "share")


def config_home(env: Mapping[str, str]) -> Path:
    return Path(env.get("XDG_CONFIG_HOME") or _home(env) / ".config")


def desktop_file_path(env: Mapping[str, str] | None = None) -> Path:
    return data_home(os.environ if env is None else env) / "applications" / DESKTOP_ID


def _bundled_icon() -> Path | None:
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    icon = base / "resources" / "icons" / "opdial.svg"
    return icon if icon.exists() else None


# -- mimeapps.list: the fallback when xdg-mime is missing ------------------------------------------
def _read_defaults(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    defaults, inside = {}, False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped == DEFAULTS_SECTION
        elif inside and "=" in stripped:
            key, value = stripped.split("=", 1)
            first = next((v for v in value.split(";") if v), "")
            defaults[key.strip()] = first
    return defaults


def _edit_defaults(path: Path, edit: Callable[[str, str], str | None], add: Mapping[str, str]) -> None:
    """Rewrite the ``[Default Applications]`` section line by line, keeping everything else.

    ``edit(key, value)`` returns the new value or None to drop the line; ``add`` sets keys
    (replacing existing ones) to a single desktop id.
    """
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    out: list[str] = []
    inside, section_found, pending = False, False, dict(add)

    def flush_pending() -> None:
        out.extend(f"{key}={value};" for key, value in pending.items())
        pending.clear()

    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            if inside:
                flush_pending()
            inside = stripped == DEFAULTS_SECTION
            section_found = section_found or inside
        elif inside and "=" in stripped:
            key, value = (part.strip() for part in stripped.split("=", 1))
            if key in pending:
                line = f"{key}={pending.pop(key)};"
            else:
                new_value = edit(key, value)
                if new_value is None:
                    continue
                line = f"{key}={new_value}"
        out.append(line)
    if pending:
        if not section_found:
            out.append(DEFAULTS_SECTION)
        flush_pending()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _without_us(key: str, value: str) -> str | None:
    if key not in MIME_TYPES:
        return value
    rest = [v for v in value.split(";") if v and v != DESKTOP_ID]
    return "".join(f"{v};" for v in rest) or None


class LinuxLinkHandler:
    def __init__(self, env: Mapping[str, str] | None = None, run: Runner = subprocess.run) -> None:
        self.env = dict(os.environ if env is None else env)
        self._run = run

    @property
    def desktop_file(self) -> Path:
        return desktop_file_path(self.env)

    @property
    def icon_file(self) -> Path:
        return data_home(self.env) / "icons" / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg"

    @property
    def mimeapps_list(self) -> Path:
        return config_home(self.env) / "mimeapps.list"

    def _tool(self, name: str) -> str | None:
        return shutil.which(name, path=self.env.get("PATH", ""))

    def _call(self, *args: str) -> subprocess.CompletedProcess:
        return self._run(list(args), env=self.env, capture_output=True, text=True, timeout=20, check=False)

    # -- reading -------------------------------------------------------------------------------
    def _default_for(self, mime: str) -> tuple[str | None, str]:
        xdg_mime = self._tool("xdg-mime")
        if xdg_mime is None:
            return _read_defaults(self.mimeapps_list).get(mime) or None, XDG_MIME_MISSING
        done = self._call(xdg_mime, "query", "default", mime)
        return (done.stdout.strip() or None), ""

    def _app_name(self, desktop_id: str) -> str:
        dirs = [data_home(self.env), *map(Path, self.env.get("XDG_DATA_DIRS", "/usr/share").split(":"))]
        for base in dirs:
            path = base / "applications" / desktop_id
            if path.is_file():
                for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                    if line.startswith("Name="):
                        return f"{line[5:].strip()} ({desktop_id})"
        return desktop_id

    def status(self) -> list[LinkHandlerStatus]:
        statuses = []
        for scheme, mime in zip(SCHEMES, MIME_TYPES, strict=True):
            handler, detail = self._default_for(mime)
            ours = handler == DESKTOP_ID and self.desktop_file.exists()
            shown = APP_NAME if ours else (self._app_name(handler) if handler else None)
            statuses.append(LinkHandlerStatus(scheme, ours, shown, detail=detail))
        return statuses

    # -- writing -------------------------------------------------------------------------------
    def register(self, exe_command: Sequence[str]) -> RegistrationResult:
        result = RegistrationResult()
        icon = _bundled_icon()
        if icon is not None:
            self.icon_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(icon, self.icon_file)
        self.desktop_file.parent.mkdir(parents=True, exist_ok=True)
        self.desktop_file.write_text(desktop_entry(exe_command), encoding="utf-8")
        result.changed.append(f"Wrote {self.desktop_file}.")
        self._refresh_database()
        xdg_mime = self._tool("xdg-mime")
        if xdg_mime is None:
            _edit_defaults(self.mimeapps_list, lambda _k, v: v, dict.fromkeys(MIME_TYPES, DESKTOP_ID))
            result.notes.append(XDG_MIME_MISSING)
        else:
            for mime in MIME_TYPES:
                done = self._call(xdg_mime, "default", DESKTOP_ID, mime)
                if done.returncode != 0:
                    result.notes.append(f"xdg-mime default {mime} failed: {done.stderr.strip()}")
        result.changed.append(f"Made {APP_NAME} the default for {', '.join(s + ':' for s in SCHEMES)} links.")
        return result

    def unregister(self) -> RegistrationResult:
        result = RegistrationResult()
        for path in (self.desktop_file, self.icon_file):
            if path.exists():
                path.unlink()
                result.changed.append(f"Removed {path}.")
        # Defaults naming opdial.desktop (xdg-mime, gio and KDE all write these files).
        for mimeapps in (self.mimeapps_list, data_home(self.env) / "applications" / "mimeapps.list"):
            if any(v == DESKTOP_ID for v in _read_defaults(mimeapps).values()):
                _edit_defaults(mimeapps, _without_us, {})
                result.changed.append(f"Removed {APP_NAME} as the default in {mimeapps}.")
        self._refresh_database()
        if not result.changed:
            result.notes.append(f"{APP_NAME} was not registered.")
        return result

    def _refresh_database(self) -> None:
        tool = self._tool("update-desktop-database")
        if tool and self.desktop_file.parent.exists():
            self._call(tool, str(self.desktop_file.parent))
