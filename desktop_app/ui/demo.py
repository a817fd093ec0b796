"""Demo mode: the sandbox in-process on a free loopback port, and a demo profile held in memory.

Nothing of the demo reaches the keyring or the settings file; ``stop()`` shuts the sandbox down.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app import storage
from desktop_app.profiles import Profile

if TYPE_CHECKING:  # the sandbox (http.server and friends) loads only when a demo starts
    from desktop_app.credentials import Resolved
    from desktop_app.history import History
    from desktop_app.sandbox.server import DemoTrigger

log = logging.getLogger(__name__)

DEMO_PROFILE_NAME = "Demo (sandbox)"
DEMO_COLOR = "#b84e00"  # the SANDBOX badge: orange that white text reads on


class DemoSession:
    """The sandbox, the demo profile, and a data folder of the demo's own.

    Calls and campaigns made in the demo are kept in a private temporary folder (its own history
    and campaign journals), never in the real ones: an export of the real history holds no demo
    call. The folder is new for every demo and removed when the demo stops.
    """

    def __init__(self) -> None:
        from desktop_app.sandbox.server import SandboxServer

        self.server = SandboxServer()
        self.resolved: Resolved | None = None
        self.folder: Path | None = None
        self._history: History | None = None

    @property
    def history(self) -> History:
        """The demo's own call history (made with the demo's folder)."""
        if self._history is None:
            from desktop_app.history import History

            self._history = History(self._ensure_folder() / "history.sqlite3")
        return self._history

    @property
    def campaigns_dir(self) -> Path:
        return storage.private_dir(self._ensure_folder() / "campaigns")

    def _ensure_folder(self) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="opdial-demo-"))  # 0700, this user's alone
        return self.folder

    @property
    def running(self) -> bool:
        return self.server.running

    def start(self) -> Resolved:
        if self.resolved is not None and self.running:
            return self.resolved
        from desktop_app.credentials import Resolved  # the keyring side: not before the first paint

        self.server.start()
        account = self.server.account
        profile = Profile(
            name=DEMO_PROFILE_NAME,
            company_id=account.company_id,
            public_ivr_id=account.public_ivr_id,
            user_id=self.server.config.default_user_id or "",
            default_region="IN",
            api_url=account.api_url,
            color=DEMO_COLOR,
        )
        sources = {
            k: "default" for k in ("company_id", "public_ivr_id", "user_id", "api_key", "secret_token")
        }
        sources["api_url"] = "option"
        self.resolved = Resolved(profile=profile, account=account, sources=sources)  # type: ignore[arg-type]
        log.info("demo sandbox started at %s", account.api_url)
        return self.resolved

    def stop(self) -> None:
        if self.running:
            self.server.stop()
            log.info("demo sandbox stopped")
        self.resolved = None
        if self._history is not None:
            self._history.close()
            self._history = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def agent_name(self, user_id: str | None) -> str | None:
        return self.server.config.users.get(user_id or "")


def trigger_text(trigger: DemoTrigger) -> str:
    """ "+919000000403 → Not authorised (403 Invalid API Key)"."""
    from desktop_app.api.catalogue import PROBLEMS  # with the demo menu, not at start-up

    shown = "Queued" if trigger.problem == "accepted" else PROBLEMS[trigger.problem].title
    return f"{trigger.number} → {shown} ({trigger.behaviour})"


def try_these() -> list[tuple[str, str]]:
    """(number, description) for every demo trigger, for the "try these" hint: the errors, then the
    numbers whose call shows a particular result from the call log."""
    from desktop_app.sandbox.server import DEMO_TRIGGERS, LOG_TRIGGERS

    errors = [(t.number, trigger_text(t)) for t in DEMO_TRIGGERS]
    return errors + [(t.number, f"{t.number} → Queued, then {t.behaviour}") for t in LOG_TRIGGERS]


DEMO_INTRO = (
    "Every call goes to a local sandbox: nobody is called. Any valid number is queued; the numbers "
    "under “Try these” provoke each error. Anonymous dial works too; IVR calls need no agent."
)
