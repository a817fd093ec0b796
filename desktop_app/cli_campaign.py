"""``opdial-cli campaign run|resume|status|list|export``: bulk IVR campaigns from a terminal.

Wired into ``desktop_app.cli`` by ``add_campaign_commands(commands, common)``; handlers take
``(args, out)`` where ``out`` is ``cli.Output``. Exit codes: 0 every valid row reached a final
state, 2 bad input or configuration (nothing sent), 3 stopped by an account-wide refusal (e.g.
wrong key), 4 stopped with rows left for another reason (a Retry-After longer than 15 minutes, an
unreachable endpoint: the reason and the resume command go to stderr), 130 paused by Ctrl+C
(resumable). With ``--json``, ``run``/``resume``/``status`` end with one summary object; ``list``
prints a list. Every ``--json`` output is strict JSON (never NaN or Infinity).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop_app import APP_NAME

EXIT_OK, EXIT_INPUT, EXIT_BLOCKED, EXIT_STOPPED, EXIT_INTERRUPTED = 0, 2, 3, 4, 130
PROGRESS_EVERY_S = 5.0


def add_campaign_commands(
    subparsers: argparse._SubParsersAction, common_parent: argparse.ArgumentParser
) -> None:
    campaign = subparsers.add_parser(
        "campaign", parents=[common_parent], help="run a list of numbers through the IVR campaign"
    )
    actions = campaign.add_subparsers(dest="campaign_action", metavar="ACTION", required=True)

    run = actions.add_parser("run", parents=[common_parent], help="import, check and run a contact list")
    run.add_argument("file", metavar="FILE", help="CSV/TXT (any delimiter or encoding) or XLSX")
    run.add_argument("--column", metavar="NAME", help="the phone column (name or 1-based number)")
    run.add_argument("--do-not-call", metavar="FILE", help="numbers never to call (one per line)")
    _add_run_options(run)

    resume = actions.add_parser("resume", parents=[common_parent], help="continue a paused campaign")
    resume.add_argument("id", metavar="ID", help="campaign id (see `campaign list`)")
    _add_run_options(resume)

    status = actions.add_parser("status", parents=[common_parent], help="counts for one campaign")
    status.add_argument("id", metavar="ID")

    actions.add_parser("list", parents=[common_parent], help="all campaigns, oldest first")

    export = actions.add_parser("export", parents=[common_parent], help="write every row's result to CSV")
    export.add_argument("id", metavar="ID")
    export.add_argument("--out", required=True, metavar="FILE.csv", help="where to write")
    campaign.set_defaults(handler=run_campaign_command)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rate", type=float, metavar="PER_MIN", help="calls per minute (default 30; 0 = no pacing)"
    )
    parser.add_argument("--concurrency", type=int, metavar="N", help="calls in flight at once (default 2)")
    parser.add_argument(
        "--calling-window",
        metavar="HH:MM-HH:MM|any",
        help="recipient's local hours when calls may go out (default 09:00-21:00; 'any' disables)",
    )


def run_campaign_command(args: argparse.Namespace, out: Any) -> int:
    from desktop_app.campaigns.importer import ListImportError
    from desktop_app.campaigns.journal import JournalError
    from desktop_app.credentials import ConfigError

    action = args.campaign_action
    handlers = {"run": _cmd_run, "resume": _cmd_resume, "status": _cmd_status, "list": _cmd_list}
    handlers["export"] = _cmd_export
    try:
        return handlers[action](args, out)
    except (ListImportError, JournalError) as error:
        return out.error(str(error), "invalid_input")
    except ConfigError as error:
        return out.error(str(error), "configuration")
    except ValueError as error:  # calling window, rate, UnsafeUrlError
        return out.error(str(error), "invalid_input")


# -- run / resume ----------------------------------------------------------------------------------


def _settings_from(args: argparse.Namespace, base: Any) -> Any:
    from dataclasses import replace

    from desktop_app.campaigns.policy import CallingWindow

    changes: dict[str, Any] = {}
    if args.rate is not None:
        if args.rate < 0:
            raise ValueError("--rate must be 0 (no pacing) or a positive number of calls per minute.")
        changes["rate_per_min"] = args.rate
    if args.concurrency is not None:
        if not 1 <= args.concurrency <= 64:
            raise ValueError("--concurrency must be between 1 and 64.")
        changes["concurrency"] = args.concurrency
    if args.calling_window is not None:
        if not args.calling_window.strip():
            raise ValueError("--calling-window is empty: give HH:MM-HH:MM (e.g. 09:00-21:00) or 'any'.")
        changes["calling_window"] = str(CallingWindow.parse(args.calling_window))
    return replace(base, **changes)


def _cmd_run(args: argparse.Namespace, out: Any) -> int:
    from desktop_app.campaigns.checker import check_file, do_not_call_from_settings, read_do_not_call_file
    from desktop_app.campaigns.journal import CampaignSettings, Journal
    from desktop_app.credentials import ProfileStore, resolve

    resolved = resolve(args.profile, api_url=args.api_url)
    region = resolved.profile.default_region or "IN"
    settings = _settings_from(args, CampaignSettings())
    blocked = do_not_call_from_settings(ProfileStore(), region)
    if args.do_not_call:
        blocked |= read_do_not_call_file(args.do_not_call, region)
    checked, column = check_file(args.file, region, args.column, blocked)
    counts = checked.summary()
    if not checked.valid:
        return out.error(f"{Path(args.file).name}: no callable numbers ({checked.summary_text()}).")
    settings.profile = _remembered_profile(resolved.profile.name)
    settings.column, settings.default_region = column, region
    settings.source, settings.api_url = str(Path(args.file).resolve()), resolved.account.api_url
    with Journal.create(checked, settings) as journal:
        campaign_id, path = journal.id, journal.path
    _say(out, f"Campaign {campaign_id}: {Path(args.file).name}, column {column!r}. {checked.summary_text()}.")
    if counts["valid"] < counts["rows"]:
        _say(
            out,
            f"Left-out rows and reasons: {APP_NAME.lower()}-cli campaign export {campaign_id} --out FILE.csv",
        )
    return _run(path, resolved, settings, out)


def _cmd_resume(args: argparse.Namespace, out: Any) -> int:
    from desktop_app.campaigns.journal import Journal
    from desktop_app.credentials import resolve

    with Journal.open(args.id) as journal:
        remembered, path = journal.settings, journal.path
    settings = _settings_from(args, remembered)
    # The campaign goes on to the endpoint it started on unless told otherwise (a list begun on the
    # sandbox must not silently continue on the real service).
    resolved = resolve(
        args.profile or remembered.profile or None, api_url=args.api_url or remembered.api_url or None
    )
    settings.api_url = resolved.account.api_url
    return _run(path, resolved, settings, out)


def _run(path: Path, resolved: Any, settings: Any, out: Any) -> int:
    from desktop_app.api.client import ObdClient
    from desktop_app.campaigns.runner import CampaignRunner

    reporter = _Reporter(out)
    # The runner does its own retries (paced, with backoff), so each place_call is one attempt.
    with ObdClient(resolved.account, max_attempts=1) as client:
        runner = CampaignRunner(path, client, settings, on_progress=reporter.progress)
        _say(out, _start_text(settings))
        with _pause_on_ctrl_c(runner, out):
            result = runner.run()
    return _finish(result, out, interrupted=runner.stopping and result.status == "paused")


def _finish(result: Any, out: Any, *, interrupted: bool) -> int:
    summary = result.summary
    if out.as_json:
        _json(out, summary.to_json())
    else:
        out.say(f"{result.message} {_result_counts(summary)}")
    if result.status == "finished":
        return EXIT_OK
    if result.status == "blocked":
        reason = summary.status_reason or {}
        _tell(out, f"{reason.get('explanation', '')} {reason.get('action', '')}".strip())
        _tell(out, f"Fix it, then: {APP_NAME.lower()}-cli campaign resume {summary.id}")
        return EXIT_BLOCKED
    reason = summary.status_reason or {}
    if reason and not interrupted:
        _tell(out, f"{reason.get('title', '')}. {reason.get('explanation', '')} {reason.get('action', '')}")
    _tell(out, f"Paused. Continue with: {APP_NAME.lower()}-cli campaign resume {summary.id}")
    return EXIT_INTERRUPTED if interrupted else EXIT_STOPPED


@contextlib.contextmanager
def _pause_on_ctrl_c(runner: Any, out: Any) -> Iterator[None]:
    """First Ctrl+C pauses cleanly (calls on the wire finish and are recorded); a second one quits."""

    def on_interrupt(_signum: int, _frame: Any) -> None:
        if runner.stopping:
            raise KeyboardInterrupt
        _tell(out, "Pausing: waiting for calls already sent to be answered (Ctrl+C again to quit now)…")
        runner.pause()

    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread: no signal handling
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Reporter:
    """A progress line on stderr every few seconds and whenever the status changes."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.last_at = 0.0
        self.last_status = ""

    def progress(self, progress: Any) -> None:
        now = time.monotonic()
        changed = progress.status != self.last_status
        if not changed and (now - self.last_at < PROGRESS_EVERY_S or progress.status == "waiting"):
            return  # a wait (calling hours) is said once, not every few seconds
        self.last_at, self.last_status = now, progress.status
        s = progress.summary
        eta = f", {progress.eta_text}" if progress.eta_text else ""
        line = f"[{progress.status}] {s.accepted} accepted, {s.rejected} rejected, {s.failed} failed, "
        line += f"{s.pending} to go; {progress.rate_per_min:.0f}/min{eta}"
        if progress.message:
            line += f" — {progress.message}"
        if progress.status == "waiting":
            line += " (--calling-window any calls at any hour; Ctrl+C stops, resume goes on later.)"
        _tell(self.out, line)


# -- status / list / export ------------------------------------------------------------------------


def _cmd_status(args: argparse.Namespace, out: Any) -> int:
    from desktop_app.campaigns.journal import STOPPED, Journal

    with Journal.open(args.id) as journal:
        summary, settings = journal.summary(), journal.settings
    resume = f"Continue with: {APP_NAME.lower()}-cli campaign resume {summary.id}"
    if out.as_json:
        _json(out, summary.to_json())
        return EXIT_OK
    out.say(f"Campaign {summary.id} ({summary.status}), created {summary.created_at} from {settings.source}")
    out.say(f"  {_counts_text(summary.__dict__)}.")
    out.say(f"  {_result_counts(summary)}")
    out.say(f"  Settings: {_start_text(settings)}")
    if summary.status == STOPPED:
        out.say(f"  Not running: the run ended without pausing (killed or the computer went off). {resume}")
    elif summary.status_reason:
        out.say(f"  Why stopped: {summary.status_reason.get('title', '')}")
    return EXIT_OK


def _cmd_list(args: argparse.Namespace, out: Any) -> int:
    from desktop_app.campaigns.journal import list_summaries

    summaries = list_summaries()
    if out.as_json:
        _json(out, [s.to_json() for s in summaries])
        return EXIT_OK
    if not summaries:
        out.say("No campaigns yet. Start one with: opdial-cli campaign run FILE")
    for s in summaries:
        name = Path(s.source).name if s.source else ""
        out.say(f"{s.id}  {s.status:<9} {s.accepted:>6}/{s.valid:<6} accepted  {s.pending:>6} to go  {name}")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace, out: Any) -> int:
    from desktop_app.campaigns.journal import Journal

    with Journal.open(args.id) as journal:
        count = journal.export_csv(args.out)
    if out.as_json:
        _json(out, {"id": args.id, "out": str(Path(args.out).resolve()), "rows": count})
    else:
        out.say(f"Wrote {count} rows to {args.out}.")
    return EXIT_OK


# -- words -----------------------------------------------------------------------------------------


def _remembered_profile(name: str) -> str:
    """Only a stored profile's name is worth remembering (not the environment-only stand-in)."""
    from desktop_app.credentials import ProfileStore

    return name if ProfileStore().get(name) is not None else ""


def _counts_text(counts: dict[str, Any]) -> str:
    """A journal's counts (numbers, not rows: the journal keeps numbers) in the check's words."""
    from desktop_app.campaigns.checker import counted

    found, duplicates = counted(counts["rows"], "number"), counted(counts["duplicates"], "duplicate")
    return (
        f"{found} found: {counts['valid']} to call · {counts['invalid']} invalid · {duplicates} · "
        f"{counts['excluded']} on the do-not-call list"
    )


def _result_counts(summary: Any) -> str:
    counts = (
        f"Accepted {summary.accepted}, rejected {summary.rejected}, failed {summary.failed}, "
        f"still to call {summary.pending}."
    )
    if summary.answered or summary.missed or summary.no_result:
        counts += (
            f" From the call log: answered {summary.answered}, missed {summary.missed}, "
            f"no result {summary.no_result}."
        )
    return counts


def _start_text(settings: Any) -> str:
    pace = f"{settings.rate_per_min:g} calls/min" if settings.rate_per_min else "no pacing"
    return f"{pace}, {settings.concurrency} at a time, calling window {settings.calling_window}."


def _json(out: Any, data: Any) -> None:
    """Strict JSON on stdout: a number that is not finite becomes null, never NaN or Infinity."""
    out.stdout.write(json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    out.stdout.flush()


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(value) for value in data]
    return data


def _say(out: Any, text: str) -> None:
    """Information for people: stdout normally, stderr under --json (stdout is for the JSON)."""
    if out.as_json:
        _tell(out, text)
    else:
        out.say(text)


def _tell(out: Any, text: str) -> None:
    stream = getattr(out, "stderr", None) or sys.stderr
    print(text, file=stream, flush=True)
