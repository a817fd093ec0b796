"""Linux builds: shrink Qt's ICU data library (libicudata.so.NN, 32 MB) to what Qt uses (about 8 MB).

PySide6's Linux wheels ship ICU, and QtCore links it for four things only (``nm -D libQt6Core``):
case mapping, collation (``QCollator``), code-page converters (``QStringDecoder``) and time-zone
display names. The data library also carries locale names, currencies, units, number spell-out,
transliteration and break-iterator dictionaries for ~800 locales, none of which Qt calls.

This keeps every core and converter file, the root and English locale data, the root collation
(which orders Devanagari and the other Indian scripts correctly) and English time-zone names, and
rebuilds the library with the same soname and symbol. Other locales fall back to root/English, as
ICU does for any locale it lacks. Windows and macOS Qt use the OS for this, so nothing changes
there. ``opdial --self-check`` exercises the four uses on the frozen build.

Needs ``icupkg`` (Debian: icu-devtools), ``objcopy``, ``nm`` and a C compiler; without them, or if
anything looks unexpected, the build keeps the original library and says why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

DROP_DIRS = frozenset({"curr", "lang", "region", "unit", "rbnf", "translit", "brkitr"})
# In coll/ and zone/: only the root, English and the shared tables stay.
KEEP_IN_LOCALE_DIRS = frozenset(
    {"root.res", "en.res", "res_index.res", "pool.res", "ucadata.icu", "tzdbNames.res"}
)
_LOCALE_BUNDLE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")  # hi.res, en_IN.res, zh_Hant_TW.res
_KEEP_TOP_LEVEL = frozenset({"en.res"})
SONAME = re.compile(r"^libicudata\.so\.(\d+)$")


class TrimSkipped(Exception):
    """The original library is kept; the message says why."""


def is_dropped(item: str) -> bool:
    """Whether an item of the ICU data package (``icupkg -l`` name) is left out."""
    if "/" in item:
        folder, name = item.split("/", 1)
        if folder in DROP_DIRS:
            return True
        return folder in ("coll", "zone") and name not in KEEP_IN_LOCALE_DIRS
    return bool(_LOCALE_BUNDLE.match(item)) and item not in _KEEP_TOP_LEVEL


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise TrimSkipped(f"{name} not found")
    return path


def _run(*cmd: str) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TrimSkipped(f"{Path(cmd[0]).name} failed: {(result.stderr or result.stdout).strip()[:300]}")
    return result.stdout


def _extract_data(library: Path, symbol: str, out: Path) -> None:
    """The data is one symbol filling ``.rodata``: copy the section and check it is exactly that."""
    listing = _run(_tool("nm"), "-D", "-S", "--defined-only", str(library))
    symbols = [line.split() for line in listing.splitlines()]
    found = [int(parts[1], 16) for parts in symbols if len(parts) == 4 and parts[3] == symbol]
    if len(found) != 1:
        raise TrimSkipped(f"{symbol} not found in {library.name}")
    _run(_tool("objcopy"), "-O", "binary", "--only-section=.rodata", str(library), str(out))
    data = out.read_bytes()[:4]
    if out.stat().st_size != found[0] or data[2:4] != b"\xda\x27":  # ICU data header magic
        raise TrimSkipped(f".rodata of {library.name} is not exactly the ICU data package")


def _build_library(data: Path, symbol: str, soname: str, out: Path) -> None:
    stub = out.with_suffix(".S")
    stub.write_text(
        "    .section .rodata\n"
        f"    .globl {symbol}\n"
        f"    .type {symbol}, @object\n"
        "    .balign 16\n"
        f"{symbol}:\n"
        f'    .incbin "{data}"\n'
        f"    .size {symbol}, . - {symbol}\n"
        '    .section .note.GNU-stack,"",@progbits\n',
        encoding="utf-8",
    )
    compiler = shutil.which("cc") or _tool("gcc")
    flags = ["-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-Wl,-z,noexecstack"]
    _run(compiler, *flags, "-o", str(out), str(stub))


def trim(library: Path, work: Path) -> Path:
    """Build a trimmed copy of ``library`` in ``work``; raises TrimSkipped to keep the original."""
    match = SONAME.match(library.name)
    if match is None:
        raise TrimSkipped(f"unexpected name {library.name}")
    package = f"icudt{match.group(1)}l"  # the item prefix inside the data; must match the file name
    symbol = f"icudt{match.group(1)}_dat"
    work.mkdir(parents=True, exist_ok=True)
    original, trimmed_dir = work / f"{package}.dat", work / "trimmed"
    trimmed_dir.mkdir(exist_ok=True)
    _extract_data(library, symbol, original)
    icupkg = _tool("icupkg")
    items = [line.strip() for line in _run(icupkg, "-l", str(original)).splitlines() if line.strip()]
    dropped = [item for item in items if is_dropped(item)]
    if not dropped or len(dropped) == len(items):
        raise TrimSkipped(f"unexpected ICU data contents ({len(items)} items)")
    drop_list = work / "dropped.txt"
    drop_list.write_text("\n".join(dropped) + "\n", encoding="utf-8")
    trimmed = trimmed_dir / f"{package}.dat"
    _run(icupkg, "-r", str(drop_list), str(original), str(trimmed))
    kept = _run(icupkg, "-l", str(trimmed)).split()
    if len(kept) != len(items) - len(dropped):
        raise TrimSkipped("icupkg did not write the expected package")
    out = work / library.name
    _build_library(trimmed, symbol, library.name, out)
    return out
