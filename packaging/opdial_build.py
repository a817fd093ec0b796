"""Build metadata for every package format, generated from ``desktop_app/__init__.py``.

The PyInstaller spec, ``build.py``, the NSIS installer and the tests all read the app's name, id and
version through this module, so a release changes one line in ``desktop_app/__init__.py``.

Plain functions returning plain data: the tests check the Info.plist entries and the Windows version
resource without building anything. This file is loaded by path (``packaging/`` is deliberately not a
Python package: that name would shadow the ``packaging`` library PyInstaller and pip depend on).
"""

from __future__ import annotations

import ast
import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_INIT = ROOT / "desktop_app" / "__init__.py"
GENERATED_DIR = ROOT / "packaging" / "generated"

EXE_NAME = "opdial"  # dist/opdial/opdial(.exe); the bundle is OpDial.app


@dataclass(frozen=True)
class AppMetadata:
    name: str
    app_id: str
    org: str
    description: str
    version: str


def app_metadata(init_file: Path = PACKAGE_INIT) -> AppMetadata:
    """Read the constants from ``desktop_app/__init__.py`` without importing the app."""
    values: dict[str, str] = {}
    for node in ast.parse(init_file.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    values[target.id] = node.value.value
    return AppMetadata(
        name=values["APP_NAME"],
        app_id=values["APP_ID"],
        org=values.get("APP_ORG", values["APP_NAME"]),
        description=values.get("APP_DESCRIPTION", values["APP_NAME"]),
        version=values["__version__"],
    )


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """``"1.2.3"``, ``"1.2.3rc1"``, ``"1.2"`` → four numbers, as Windows version resources need."""
    numbers = [int(match) for match in re.findall(r"\d+", version.split("+")[0])[:4]]
    if not numbers:
        raise ValueError(f"version {version!r} has no numbers")
    padded = [*numbers, 0, 0, 0, 0][:4]
    return padded[0], padded[1], padded[2], padded[3]


def short_version(version: str) -> str:
    """``CFBundleShortVersionString``: three numbers, nothing else (App Store rule)."""
    major, minor, patch, _ = version_tuple(version)
    return f"{major}.{minor}.{patch}"


# --- macOS -------------------------------------------------------------------------------------------


def _desktop_app():
    """Make ``desktop_app`` importable (the spec and build.py run from anywhere)."""
    import sys

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def url_types() -> list[dict[str, Any]]:
    """``CFBundleURLTypes``: tel, callto and opdial, from the launcher's own platform layer, so the
    bundle and ``opdial-cli links`` can never disagree about the schemes."""
    _desktop_app()
    from desktop_app.platform.macos import plist_url_types

    return plist_url_types()


def info_plist(meta: AppMetadata) -> dict[str, Any]:
    """Info.plist entries for ``BUNDLE(info_plist=...)`` (PyInstaller fills in the executable keys)."""
    year = datetime.date.today().year
    return {
        "CFBundleName": meta.name,
        "CFBundleDisplayName": meta.name,
        "CFBundleIdentifier": meta.app_id,
        "CFBundleShortVersionString": short_version(meta.version),
        "CFBundleVersion": meta.version,
        "CFBundleURLTypes": url_types(),
        "NSHighResolutionCapable": True,
        "NSRequiresAquaSystemAppearance": False,  # follow the system's dark mode
        "LSMinimumSystemVersion": "11.0",  # Qt 6.x wheels need macOS 11+
        "LSApplicationCategoryType": "public.app-category.business",
        "NSHumanReadableCopyright": f"© {year} {meta.org}",
    }


# --- Windows -----------------------------------------------------------------------------------------


def windows_version_strings(meta: AppMetadata) -> dict[str, str]:
    """The strings Explorer shows in the exe's Properties → Details."""
    dotted = ".".join(str(n) for n in version_tuple(meta.version))
    return {
        "CompanyName": meta.org,
        "FileDescription": meta.name,
        "FileVersion": dotted,
        "InternalName": EXE_NAME,
        "LegalCopyright": f"© {meta.org}",
        "OriginalFilename": f"{EXE_NAME}.exe",
        "ProductName": meta.name,
        "ProductVersion": meta.version,
        "Comments": meta.description,
    }


def windows_version_file(meta: AppMetadata) -> str:
    """A PyInstaller version file (``EXE(version=path)``): a ``VSVersionInfo(...)`` expression."""
    numbers = version_tuple(meta.version)
    strings = ",\n          ".join(
        f"StringStruct({key!r}, {value!r})" for key, value in windows_version_strings(meta).items()
    )
    return f"""# Generated by packaging/opdial_build.py from desktop_app/__init__.py: do not edit.
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={numbers},
    prodvers={numbers},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
          {strings}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


# --- NSIS --------------------------------------------------------------------------------------------


def nsis_defines(meta: AppMetadata) -> dict[str, str]:
    """``!define``s for installer.nsi; ``build.py`` writes them to ``generated/opdial-defines.nsh``."""
    return {
        "APP_NAME": meta.name,
        "APP_ID": meta.app_id,
        "APP_ORG": meta.org,
        "APP_DESCRIPTION": meta.description,
        "APP_VERSION": meta.version,
        "APP_VERSION_4": ".".join(str(n) for n in version_tuple(meta.version)),
        "EXE_NAME": f"{EXE_NAME}.exe",
    }


def nsis_define_file(defines: dict[str, str]) -> str:
    lines = ["; Generated by packaging/opdial_build.py from desktop_app/__init__.py: do not edit."]
    for key, value in defines.items():
        if '"' in value or "\n" in value:
            raise ValueError(f"{key} cannot go into an NSIS string: {value!r}")
        lines.append(f'!define {key} "{value}"')
    return "\n".join(lines) + "\n"


def nsis_links_include() -> str:
    """The ``OPDIAL_REGISTER_LINKS``/``OPDIAL_UNREGISTER_LINKS`` macros: the very registry layout
    ``opdial-cli links register`` writes (``desktop_app.platform.windows``), for the installer."""
    _desktop_app()
    from desktop_app.platform.windows import nsis_include

    return nsis_include(f"$INSTDIR\\{EXE_NAME}.exe")


def write_generated(meta: AppMetadata | None = None, out_dir: Path = GENERATED_DIR) -> dict[str, Path]:
    """Write every generated input of the build; returns their paths by role."""
    meta = meta or app_metadata()
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "version_file": (out_dir / "version_info.txt", windows_version_file(meta)),
        "nsis_defines": (out_dir / "opdial-defines.nsh", nsis_define_file(nsis_defines(meta))),
        "nsis_links": (out_dir / "opdial-links.nsh", nsis_links_include()),
    }
    for path, text in files.values():
        path.write_text(text, encoding="utf-8")
    return {role: path for role, (path, _text) in files.items()}
