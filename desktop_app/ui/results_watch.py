"""Call results in the window: a timer that lets ``call_results.ResultPoller`` look for the active
profile's accepted calls (from the Dial tab and its recent campaigns) in the call log, on a worker,
and hands what it settles to the window.

Gentle by construction: the poller itself allows one request per 10 seconds (longer after errors),
one job runs at a time, and nothing is asked while no call of this profile is waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from desktop_app.ui.workers import Task, TaskRunner

if TYPE_CHECKING:
    from desktop_app.credentials import LogsAccess
    from desktop_app.history import History

log = logging.getLogger(__name__)


def _access_or_why_not(find_access: Callable[[], LogsAccess]) -> LogsAccess | Exception:
    """For the worker: no token (or a keyring problem) is an answer to show, not a failure to log."""
    from desktop_app.credentials import ConfigError

    try:
        return find_access()
    except ConfigError as error:
        return error


TICK_MS = 2000  # how often the timer looks; the poller decides whether a request is due


class ResultsWatcher(QObject):
    """``use(access_finder, history, profile)`` on every profile change; ``results_arrived(dict)``."""

    results_arrived = Signal(object)  # {reference_id: CallResult}, already stored in history
    state_changed = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        wait_s: float | None = None,
        min_interval_s: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.runner = TaskRunner(self, max_threads=1)
        self.wait_s, self.min_interval_s, self.clock = wait_s, min_interval_s, clock
        self.access: LogsAccess | None = None
        self.note = ""  # why no results come (no token, token refused), shown with accepted calls
        self.profile = ""
        self._history: History | None = None
        self._campaigns_dir: Path | None = None
        self._interval_for_profile: float | None = None
        self._poller: Any = None
        self._job: Task | None = None
        self._generation = 0
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)

    @property
    def watching(self) -> bool:
        return self.access is not None

    def use(
        self,
        find_access: Callable[[], LogsAccess],
        history: History,
        profile: str,
        campaigns_dir: Path | None = None,
        *,
        unsaved_profile: bool = False,
        min_interval_s: float | None = None,
    ) -> None:
        """Look for ``profile``'s results (its calls in ``history`` and its campaigns in
        ``campaigns_dir``, None = the usual folder) with the access ``find_access`` returns (read on
        a worker: it may ask the keyring). Without a token, ``note`` says what to do.
        ``unsaved_profile`` (the demo, the environment): its campaigns are stored with no profile name.
        ``min_interval_s``: for this profile only (the demo's local sandbox needs no gentleness)."""
        self._generation += 1
        generation = self._generation
        self.access, self._poller, self._history, self.profile = None, None, history, profile
        self._campaigns_dir = campaigns_dir
        self._interval_for_profile = min_interval_s
        self._campaign_profiles = {profile, ""} if unsaved_profile else {profile}
        self.note = ""
        task = self.runner.start("find the API token", lambda _cancel: _access_or_why_not(find_access))
        task.succeeded.connect(lambda answer: self._found(generation, answer))
        task.failed.connect(lambda error: self._found(generation, error.strip().splitlines()[-1]))

    def _found(self, generation: int, answer: LogsAccess | Exception | str) -> None:
        """``answer``: the access; or why there is none (a ConfigError: no token, a keyring problem);
        or the last line of an unexpected failure's traceback (already in the log)."""
        if generation != self._generation:
            return
        from desktop_app.credentials import NO_API_TOKEN, LogsAccess

        self.access = answer if isinstance(answer, LogsAccess) else None
        if self.access is None:
            reason = str(answer).split(": ", 1)[-1] if isinstance(answer, str) else str(answer)
            self.note = NO_API_TOKEN if "API token" in reason else f"Call results are off: {reason}"
        if self.access is not None:
            self.timer.start()
            QTimer.singleShot(0, self.tick)
        else:
            self.timer.stop()
        self.state_changed.emit()

    def tick(self) -> Task | None:
        """One poll on the worker unless one is running or nothing is set up."""
        if self.access is None or self._history is None or self._job is not None:
            return None
        access, history, profile, generation = self.access, self._history, self.profile, self._generation
        campaigns = (self._campaigns_dir, self._campaign_profiles)
        task = self.runner.start(
            "call results", lambda _cancel: self._poll(access, history, profile, campaigns)
        )
        task.succeeded.connect(lambda answer: self._polled(generation, *answer))
        task.failed.connect(lambda error: log.warning("looking for call results failed: %s", error))
        task.finished.connect(self._job_done)
        self._job = task
        return task

    def _job_done(self) -> None:
        self._job = None

    def _poll(
        self, access: LogsAccess, history: History, profile: str, campaigns: tuple[Path | None, set[str]]
    ) -> tuple[dict[str, Any], str]:
        """On the worker: one poller tick over this profile's waiting calls; settled ones are stored.
        Returns them and what to tell the agent about the token ("" when all is well)."""
        from desktop_app import call_results
        from desktop_app.api.logs import LogsClient

        wait_s = self.wait_s if self.wait_s is not None else call_results.DEFAULT_WAIT_S
        if self._poller is None:
            options: dict[str, Any] = {"wait_s": wait_s, "clock": self.clock}
            interval = self._interval_for_profile
            interval = self.min_interval_s if interval is None else interval
            if interval is not None:
                options["min_interval_s"] = interval
            self._poller = call_results.ResultPoller(LogsClient(access.token, access.url), **options)
        now = datetime.fromtimestamp(self.clock(), timezone.utc)
        since = now - timedelta(seconds=wait_s + 3600)  # an hour beyond the wait: late "none"s too
        waiting = [call_results.waiting_from(e) for e in history.waiting_for_results(profile, since)]
        claimed = history.claimed_records(since - timedelta(days=1))
        directory, campaign_profiles = campaigns
        in_campaigns, owners = campaign_calls(campaign_profiles, directory, since, claimed)
        waiting += in_campaigns
        if not waiting:
            return {}, ""
        results = self._poller.tick(waiting, claimed)
        store_results(results, history, owners, directory)
        error = self._poller.error
        return results, error.reason if error is not None and error.token else ""

    def _polled(self, generation: int, results: dict[str, Any], note: str) -> None:
        if generation != self._generation:
            return
        if note != self.note:
            self.note = note
            self.state_changed.emit()
        if results:
            self.results_arrived.emit(results)

    def open_recording(self, filename: str) -> Task | None:
        """A fresh link to the recording (asked each time: links expire), opened in the browser."""
        access = self.access
        if access is None or not filename:
            return None

        task = self._ask(access, lambda client: client.recording_link(filename), "recording link")
        task.succeeded.connect(lambda link: QDesktopServices.openUrl(QUrl(link)))
        return task

    def read_agents(self) -> Task | None:
        """The company's users (``api.logs.Agent``), for the agent picker; None without a token."""
        access = self.access
        if access is None:
            return None
        task = self._ask(access, lambda client: client.users(), "read the company's users")
        task.failed.connect(lambda error: log.warning("could not read the company's users: %s", error))
        return task

    def _ask(self, access: LogsAccess, question: Callable[[Any], Any], name: str) -> Task:
        """One question to the logs API on the worker, with a client of its own."""

        def work(_cancel: object) -> Any:
            from desktop_app.api.logs import LogsClient  # httpx: on the worker, not the GUI thread

            with LogsClient(access.token, access.url) as client:
                return question(client)

        return self.runner.start(name, work)

    def shutdown(self, timeout_s: float = 10.0) -> None:
        self.timer.stop()
        self._generation += 1
        self.runner.shutdown(timeout_s)
        if self._poller is not None:
            self._poller.client.close()


def campaign_calls(
    profiles: set[str], directory: Path | None, since: datetime, claimed: set[str]
) -> tuple[list[Any], dict[str, str]]:
    """Accepted rows without a result in the campaigns of ``profiles`` made since ``since`` (their ids
    start with the creation time), as waiting calls; and which campaign owns each. Adds their claims."""
    from desktop_app.call_results import WaitingCall
    from desktop_app.campaigns import journal as jr

    waiting: list[Any] = []
    owners: dict[str, str] = {}
    oldest = since.strftime("%Y%m%d-%H%M%S")
    for campaign_id in jr.list_ids(directory):
        if campaign_id[:15] < oldest:
            continue
        try:
            with jr.Journal.open(campaign_id, directory) as journal:
                if journal.settings.profile not in profiles:
                    continue
                claimed |= journal.claimed_records()
                for reference_id, number, sent_at in journal.waiting_for_results():
                    sent = datetime.strptime(sent_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
                    waiting.append(WaitingCall(reference_id, number, "ivr", "", sent.timestamp()))
                    owners[reference_id] = campaign_id
        except (jr.JournalError, ValueError):  # damaged, in use, an odd stamp: try again next time
            continue
    return waiting, owners


def store_results(
    results: dict[str, Any], history: History, owners: dict[str, str], directory: Path | None
) -> None:
    """Each settled result into the campaign journal that owns its row, else into history."""
    from desktop_app.campaigns import journal as jr

    for reference_id, result in results.items():
        campaign_id = owners.get(reference_id)
        if campaign_id is None:
            history.set_result(result)
            continue
        with jr.Journal.open(campaign_id, directory) as journal:
            journal.set_result(result)
