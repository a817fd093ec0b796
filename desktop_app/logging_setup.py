"""A rotating, redacted log file under the data dir, shared by the window and the CLI.

Secrets reach the log only by accident (an exception message quoting a header, a raw response);
the ``RedactingFilter`` masks every registered secret in every record before it is written, so an
accident stays harmless. Secrets are registered process-wide by
``desktop_app.api.redaction.register_secret`` (the API client does it for every account it uses).
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

from desktop_app import config, storage
from desktop_app.api.redaction import MASK, Redactor, register_secret

LOG_FILE_NAME = "opdial.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"

# Values that look like credentials even before we know them (e.g. a header echoed in an error).
_HEADER_PATTERNS = (
    re.compile(r'(?i)(x-api-key["\']?\s*[:=]\s*["\']?)([^"\'\s,}]+)'),
    re.compile(r'(?i)(secret_token["\']?\s*[:=]\s*["\']?)([^"\'\s,}]+)'),
)


def register_secrets(*values: str | None) -> None:
    """Remember secrets process-wide so that every later log record masks them."""
    register_secret(*values)


def redact(text: str) -> str:
    """Mask every registered secret and anything shaped like a credential assignment."""
    text = Redactor().text(text)
    for pattern in _HEADER_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK if m.group(2) != MASK else m.group(0), text)
    return text


# Characters that could fake a log line or rewrite the terminal showing the log: every control
# character (C0, DEL, C1), Unicode line and paragraph separators, and bidirectional overrides.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """One line, printable: newlines and other control characters as escapes (\\n, \\x1b)."""
    return _UNSAFE.sub(_escaped, text)


def _indented_block(text: str) -> str:
    """A traceback kept multi-line and readable, but each line indented under its record, so no
    line of it (an exception message quoting a server, say) can pass for a record of its own."""
    lines = text.splitlines()
    return "\n".join("    " + escape_controls(line) for line in lines)


class RedactingFilter(logging.Filter):
    """Render the message (and traceback) once, masked and made safe, so handlers only see that.

    The message becomes one line whatever text it carries (a server's answer can hold newlines and
    terminal escapes: it must not forge a record); a traceback stays multi-line, indented.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_opdial_safe", False):
            return True  # a second handler (stderr beside the file): already done
        record._opdial_safe = True  # type: ignore[attr-defined]
        record.msg = escape_controls(redact(record.getMessage()))
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = _indented_block(redact(formatter.formatException(record.exc_info)))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = _indented_block(redact(record.stack_info))
        return True


def log_file() -> Path:
    return config.log_dir() / LOG_FILE_NAME


def _private_rotating_handler_class() -> type[logging.Handler]:
    """A RotatingFileHandler whose every file (the first and each after a rotation) is 0600.

    Made on first use: ``logging.handlers`` (socket, pickle, queue) costs ~5 ms, and modules the
    first paint needs import this one for ``redact`` and ``log_file``."""
    import logging.handlers

    class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
        def _open(self):  # type: ignore[no-untyped-def]
            return storage.private_open(
                self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors
            )

    return PrivateRotatingFileHandler


def _file_handler() -> tuple[logging.Handler, Path] | str:
    """The log file's handler and path, or the reason there can be none (then: stderr)."""
    try:
        path = log_file()
        return _private_rotating_handler_class()(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        ), path
    except OSError as exc:
        return str(exc) if isinstance(exc, storage.StorageError) else f"cannot open the log file: {exc}"


def setup_logging(level: int = logging.INFO, *, to_stderr: bool = False) -> Path:
    """Install the rotating file handler on the root logger (idempotent). Returns the log path.

    When the log folder or file cannot be written (a file in its place, a full disk), logging
    goes to stderr instead, after one line saying why; nothing else fails because of it.
    """
    root = logging.getLogger()
    made = _file_handler()
    path = made[1] if isinstance(made, tuple) else Path(LOG_FILE_NAME)
    for handler in list(root.handlers):
        if getattr(handler, "_opdial", False):
            if isinstance(made, tuple) and Path(getattr(handler, "baseFilename", "")) == path:
                made[0].close()
                return path
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if isinstance(made, tuple):
        handlers.append(made[0])
    else:
        sys.stderr.write(f"OpDial: logging to the terminal instead of a file: {made}\n")
    if to_stderr or not isinstance(made, tuple):
        stream = logging.StreamHandler()
        if not to_stderr:
            stream.setLevel(logging.WARNING)  # a stand-in for the file: problems only, not every call
        handlers.append(stream)
    for handler in handlers:
        handler._opdial = True  # type: ignore[attr-defined]
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    return path


def shutdown_logging() -> None:
    """Close our handlers (tests with a temporary data dir need the file released)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_opdial", False):
            root.removeHandler(handler)
            handler.close()
