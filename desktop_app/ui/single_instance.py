"""One OpDial per user: a second launch hands its argument to the first and exits.

Clicking a ``tel:`` link on Windows and Linux starts a new process. That process calls
``try_hand_over(argument)``: it connects to the primary's ``QLocalServer`` (a per-user name),
sends one line, waits for the primary's acknowledgement and returns True — then it exits. When
nobody answers it calls ``listen()`` and becomes the primary itself; a socket file left behind
by a crashed primary is replaced (only after a fresh connection attempt has failed, so a live
primary is never displaced).

Wire format: one JSON string and a newline, answered by ``ok`` and a newline.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import re
import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

from desktop_app import APP_ID
from desktop_app.config import DATA_DIR_ENV

log = logging.getLogger(__name__)

ACK = b"ok\n"
DEFAULT_TIMEOUT_MS = 1500
RETRY_INTERVAL_S = 0.05
MAX_MESSAGE_BYTES = 64 * 1024  # a link is short; anything longer is not ours


def default_server_name(user: str | None = None, data_dir: str | None = None) -> str:
    """``co.opdial.OpDial-<user>``: per user, so two people on one machine each get their own.

    With ``OPDIAL_DATA_DIR`` set (a portable install, a test) a short hash of that folder is
    added: a separate data folder is a separate OpDial.
    """
    if user is None:
        try:
            user = getpass.getuser()
        except Exception:  # no user name in the environment (rare service contexts)
            user = "user"
    if data_dir is None:
        data_dir = os.environ.get(DATA_DIR_ENV, "").strip()
    suffix = "-" + hashlib.sha256(os.path.abspath(data_dir).encode()).hexdigest()[:10] if data_dir else ""
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{APP_ID}-{user}{suffix}")


def _dispose(obj: QObject) -> None:
    """deleteLater, unparented first. PySide6 6.12 aborted ("shared QObject was deleted directly")
    when Python deleted a parent while a child's deferred delete was pending; 6.12 is excluded by
    the pin in pyproject.toml, and this costs nothing should it come back."""
    obj.setParent(None)
    obj.deleteLater()


class SingleInstance(QObject):
    """``message_received(str)`` is emitted on the primary for every hand-over, the empty string
    included (a plain second launch: just raise the window)."""

    message_received = Signal(str)

    def __init__(
        self, name: str | None = None, timeout_ms: int = DEFAULT_TIMEOUT_MS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.name = name or default_server_name()
        self.timeout_ms = timeout_ms
        self._server: QLocalServer | None = None

    # -- second instance -----------------------------------------------------------------------
    def try_hand_over(self, payload: str, wait_s: float = 0.0) -> bool:
        """Give ``payload`` to a running primary. True = it acknowledged; this process can exit.

        ``wait_s``: a primary is known to be starting (it holds the instance lock) and listens
        only after its first paint, so keep trying to connect for that long.
        """
        socket = QLocalSocket()
        deadline = time.monotonic() + wait_s
        while True:
            socket.connectToServer(self.name)
            if socket.waitForConnected(self.timeout_ms):
                break
            socket.abort()
            if time.monotonic() >= deadline:
                return False
            time.sleep(RETRY_INTERVAL_S)
        try:
            socket.write(json.dumps(payload).encode() + b"\n")
            if not socket.waitForBytesWritten(self.timeout_ms):
                return False
            reply = b""
            while b"\n" not in reply and socket.waitForReadyRead(self.timeout_ms):
                reply += bytes(socket.readAll().data())
            return reply.startswith(ACK)
        finally:
            socket.abort()

    def primary_is_running(self) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        alive = socket.waitForConnected(self.timeout_ms)
        socket.abort()
        return alive

    # -- primary -------------------------------------------------------------------------------
    def listen(self) -> bool:
        """Become the primary. False when another live primary holds the name."""
        if self._server is not None:
            return True
        # Checked first because with a socket option set Qt binds in a private directory and
        # renames over the old path, which would silently displace a live primary too.
        if self.primary_is_running():
            return False
        server = QLocalServer(self)
        # Only this user may connect (Unix: socket mode 0700-equivalent; Windows: pipe ACL).
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            if server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
                log.info("single instance: removing the stale socket %s left by a crashed OpDial", self.name)
                QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("single instance: cannot listen on %s: %s", self.name, server.errorString())
                _dispose(server)
                return False
        server.newConnection.connect(self._accept)
        self._server = server
        return True

    @property
    def is_primary(self) -> bool:
        return self._server is not None

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            _dispose(self._server)
            self._server = None

    def _accept(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            connection = self._server.nextPendingConnection()
            buffer = bytearray()
            connection.readyRead.connect(lambda c=connection, b=buffer: self._read(c, b))
            connection.disconnected.connect(lambda c=connection: _dispose(c))
            # A client that connects and says nothing must not hold a connection forever.
            QTimer.singleShot(self.timeout_ms * 2, connection, connection.abort)
            if connection.bytesAvailable():
                self._read(connection, buffer)

    def _read(self, connection: QLocalSocket, buffer: bytearray) -> None:
        buffer += bytes(connection.readAll().data())
        if len(buffer) > MAX_MESSAGE_BYTES:
            connection.abort()
            return
        line, newline, _ = bytes(buffer).partition(b"\n")
        if not newline:
            return
        try:
            message = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            message = None
        if not isinstance(message, str):
            connection.abort()
            return
        buffer.clear()
        connection.write(ACK)
        connection.flush()
        connection.disconnectFromServer()
        self.message_received.emit(message)
