"""``opdial-cli``: every core capability from a terminal, scriptable with ``--json``.

Exit codes: 0 accepted/done, 2 invalid input or configuration (nothing sent), 3 rejected by the
API, 4 transport failure / outcome unknown. Secrets are read from a hidden prompt or stdin, never
from argv, and never printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import ipaddress
import json
import logging
import math
import shlex
import signal
import sqlite3
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from desktop_app import APP_NAME, __version__
from desktop_app.api.curl import render_curl, request_preview
from desktop_app.api.models import DEFAULT_API_URL, CallKind, CallRequest, Outcome, queued_words

EXIT_OK, EXIT_INPUT, EXIT_REJECTED, EXIT_FAILED = 0, 2, 3, 4
EXIT_FOR_STATUS = {"accepted": EXIT_OK, "rejected": EXIT_REJECTED, "failed": EXIT_FAILED}

MAX_REFERENCE_ID_LENGTH = 64  # ours are ~25 characters; MyOperator documents no limit, so keep it sane
MAX_CALLER_ID_LENGTH = 32  # a DID is at most 15 digits and a +; room for a vendor's prefix
CANCEL_GRACE_S = 5.0  # after Ctrl+C, how long to wait for the client to give its own answer

log = logging.getLogger("desktop_app.cli")


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite number (inf, nan) replaced by None.

    Strict JSON has no Infinity or NaN, and a script's parser may refuse them; a server can put one
    in our output (``Retry-After: inf``), so every ``--json`` object goes through here.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def dumps_json(data: Any) -> str:
    """The one JSON writer of the CLI: strict (raises rather than print Infinity/NaN), readable."""
    return json.dumps(json_safe(data), indent=2, ensure_ascii=False, allow_nan=False)


class Output:
    """Plain sentences for people, exactly one JSON object for scripts."""

    def __init__(self, as_json: bool, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.as_json = as_json
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    def json(self, data: Any) -> None:
        self.stdout.write(dumps_json(data) + "\n")

    def say(self, text: str) -> None:
        print(text, file=self.stdout)

    def error(self, message: str, code: str = "invalid_input") -> int:
        if self.as_json:
            self.json({"outcome": "error", "error": {"code": code, "message": message}})
        else:
            print(f"{APP_NAME}: {message}", file=self.stderr)
        return EXIT_INPUT


# -- parser -----------------------------------------------------------------------------------


def _common_options(defaults: bool) -> argparse.ArgumentParser:
    """Global options, accepted before or after the command (``opdial-cli call user --json``)."""
    default: Any = None if defaults else argparse.SUPPRESS
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--profile", metavar="NAME", default=default, help="profile to use")
    parent.add_argument("--api-url", metavar="URL", default=default, help="override the API URL")
    parent.add_argument(
        "--json", action="store_true", default=False if defaults else argparse.SUPPRESS, help="JSON output"
    )
    return parent


def _add_call_options(parser: argparse.ArgumentParser, kind: CallKind) -> None:
    if kind is CallKind.ANONYMOUS:
        parser.add_argument("--agent", required=True, metavar="NUMBER", help="the agent's phone number")
    parser.add_argument("--to", required=True, metavar="NUMBER", help="the customer's number")
    if kind is CallKind.USER:
        parser.add_argument("--user-id", metavar="ID", help="agent's MyOperator User ID (default: profile's)")
    parser.add_argument("--reference-id", metavar="R", help="client request id (default: a new one)")
    parser.add_argument(
        "--resend",
        action="store_true",
        help="with --reference-id: re-send a call whose outcome was unknown; if the first got through, "
        "MyOperator's 'reference already taken' answer is reported as accepted (nothing is placed twice)",
    )
    parser.add_argument("--caller-id", metavar="N", help="outbound Caller ID (DID)")
    parser.add_argument("--region", metavar="R", help="DID routing region (passed through)")
    parser.add_argument("--group", metavar="G", help="DID group within the region (passed through)")
    parser.add_argument("--max-duration", metavar="S", type=int, help="maximum call length, 1-5400 seconds")


def _add_call_kinds(sub: argparse._SubParsersAction, common: argparse.ArgumentParser, verb: str) -> None:
    helps = {
        CallKind.USER: "connect the agent (by MyOperator User ID) to a customer",
        CallKind.ANONYMOUS: "connect two numbers: the agent's and the customer's",
        CallKind.IVR: "queue a customer through the campaign's IVR",
    }
    for kind in CallKind:
        parser = sub.add_parser(kind.value, parents=[common], help=f"{verb} {helps[kind]}")
        _add_call_options(parser, kind)
        parser.set_defaults(kind=kind)


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(defaults=False)
    parser = argparse.ArgumentParser(
        prog="opdial-cli",
        parents=[_common_options(defaults=True)],
        description=f"{APP_NAME} {__version__}: place outgoing calls through MyOperator's OBD API.",
        epilog="Exit codes: 0 accepted, 2 invalid input or configuration (nothing sent), "
        "3 rejected by the API, 4 network failure / outcome unknown.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    call = commands.add_parser("call", parents=[common], help="place a call")
    _add_call_kinds(call.add_subparsers(dest="kind_name", metavar="KIND", required=True), common, "")
    call.set_defaults(handler=cmd_call)

    preview = commands.add_parser("preview", parents=[common], help="show a request without sending it")
    preview_sub = preview.add_subparsers(dest="preview_what", metavar="WHAT", required=True)
    preview_call = preview_sub.add_parser("call", parents=[common], help="preview a call request")
    reveal = argparse.ArgumentParser(add_help=False)
    reveal.add_argument(
        "--reveal-secrets",
        action="store_true",
        help="put the real x-api-key and secret token in the curl command (masked otherwise)",
    )
    _add_call_kinds(
        preview_call.add_subparsers(dest="kind_name", metavar="KIND", required=True),
        argparse.ArgumentParser(add_help=False, parents=[common, reveal]),
        "",
    )
    preview.set_defaults(handler=cmd_preview)

    number = commands.add_parser("number", parents=[common], help="check and normalise a number or tel: link")
    number.add_argument("text", help="a number or a tel:/callto:/opdial: link")
    number.add_argument(
        "--region", metavar="R", help="default region for national numbers (default: profile's)"
    )
    number.set_defaults(handler=cmd_number)

    _add_profile_commands(commands, common)

    history = commands.add_parser("history", parents=[common], help="list or export call history")
    history.add_argument("--export", metavar="FILE.csv", help="write the history to a CSV file")
    history.add_argument("--search", default="", help="only entries containing this text")
    history.add_argument("--status", choices=("accepted", "rejected", "failed"), help="only this outcome")
    history.add_argument("--limit", type=int, default=50, help="how many entries to list (default 50)")
    history.set_defaults(handler=cmd_history)

    _add_sandbox_command(commands)
    _add_plugin_commands(commands, common)
    return parser


def _add_profile_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    profile = commands.add_parser("profile", parents=[common], help="manage profiles (companies)")
    sub = profile.add_subparsers(dest="profile_action", metavar="ACTION", required=True)
    add = sub.add_parser("add", parents=[common], help="create or update a profile; secrets are prompted")
    add.add_argument("name")
    add.add_argument("--company-id", help="MyOperator Company ID")
    add.add_argument("--public-ivr-id", help="the campaign's Public IVR ID")
    add.add_argument("--user-id", help="the agent's MyOperator User ID")
    add.add_argument("--default-region", help="region for national numbers, e.g. IN (default IN)")
    add.add_argument("--caller-id", help="default outbound Caller ID")
    add.add_argument("--routing-region", help="default DID routing region")
    add.add_argument("--group", help="default DID group")
    add.add_argument("--set-api-url", metavar="URL", help="API URL for this profile (default: MyOperator's)")
    add.add_argument(
        "--secrets-from-stdin",
        action="store_true",
        help="read the x-api-key and the secret token as two lines from stdin instead of prompting",
    )
    add.add_argument("--keep-secrets", action="store_true", help="update the profile, keep stored secrets")
    add.add_argument(
        "--api-token",
        action="store_true",
        help="also store the API token of the logs and users API (agents, call results): prompted, or "
        "the next line on stdin with --secrets-from-stdin; an empty one removes it",
    )
    add.add_argument("--set-logs-url", metavar="URL", help="the logs and users API's URL for this profile")
    add.add_argument("--default", action="store_true", help="make it the default profile")
    sub.add_parser("list", parents=[common], help="list profiles")
    show = sub.add_parser("show", parents=[common], help="show one profile (secrets masked)")
    show.add_argument("name")
    remove = sub.add_parser("remove", parents=[common], help="delete a profile and its keyring secrets")
    remove.add_argument("name")
    profile.set_defaults(handler=cmd_profile)


def _add_sandbox_command(commands: argparse._SubParsersAction) -> None:
    from desktop_app.sandbox import server

    # No profile or API URL options here: the sandbox has its own fake account.
    sandbox = commands.add_parser("sandbox", help="run the local MyOperator stand-in (no real calls)")
    sandbox.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON lines instead of text"
    )
    server.add_arguments(sandbox)
    sandbox.set_defaults(handler=lambda args, out: server.run_cli(args))


def _add_plugin_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Command groups that live beside their subsystem (campaigns, link handlers)."""
    from desktop_app.cli_campaign import add_campaign_commands
    from desktop_app.cli_links import add_links_commands
    from desktop_app.cli_results import add_results_commands

    add_campaign_commands(commands, common)
    add_links_commands(commands, common)
    add_results_commands(commands, common)


# -- commands ---------------------------------------------------------------------------------


def _resolve(args: argparse.Namespace):
    from desktop_app.api.urls import UnsafeUrlError
    from desktop_app.credentials import ConfigError, resolve

    try:
        resolved = resolve(args.profile, api_url=args.api_url)
    except (ConfigError, UnsafeUrlError):
        raise
    except ValueError as error:
        # urllib's own complaint about a URL it cannot even split (e.g. "Invalid IPv6 URL"); the
        # API URL is the only thing resolve() parses, so that is what it is about.
        raise ConfigError(_malformed_url_sentence(None, str(error))) from error
    checked_api_url(resolved.account.api_url)
    return resolved


def _malformed_url_sentence(url: str | None, detail: str) -> str:
    shown = f" {url!r}" if url else ""
    return f"The API URL{shown} is not a valid web address ({detail}). It must look like {DEFAULT_API_URL}"


def checked_api_url(url: str) -> str:
    """``url`` if it can be sent to, or UnsafeUrlError with one sentence — before anything is sent.

    ``validate_api_url`` decides where credentials may go; this adds what only shows when connecting
    (a port out of range, a host name that cannot be encoded), which would otherwise end in a
    traceback after the request was built.
    """
    import httpx

    from desktop_app.api.urls import UnsafeUrlError, validate_api_url

    try:
        text = validate_api_url(url)
        parts = urllib.parse.urlsplit(text)
        port, host = parts.port, parts.hostname or ""
        _ = httpx.URL(text).host  # decoding the host is where httpx meets a bad IDNA label
        if not _is_ip_address(host):
            host.encode("idna")  # where the socket layer would fail: an empty or too long label
    except UnsafeUrlError:
        raise
    except (ValueError, httpx.InvalidURL) as error:  # UnicodeError (IDNA) is a ValueError
        raise UnsafeUrlError(_malformed_url_sentence(url, str(error))) from error
    if port == 0:
        raise UnsafeUrlError(_malformed_url_sentence(url, "port 0 cannot be connected to"))
    return text


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _id_problem(label: str, option: str, value: str | None, max_length: int) -> str | None:
    """One sentence when an id would go out unusable: MyOperator echoes ids back and logs them."""
    if value is None:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return (
            f"The {label} {value!r} contains a space or a control character; give {option} as one word "
            "without spaces."
        )
    if len(value) > max_length:
        return f"The {label} is {len(value)} characters long; {option} takes at most {max_length}."
    return None


def _request_problem(request: CallRequest) -> str | None:
    return _id_problem(
        "Reference ID", "--reference-id", request.reference_id, MAX_REFERENCE_ID_LENGTH
    ) or _id_problem("Caller ID", "--caller-id", request.caller_id, MAX_CALLER_ID_LENGTH)


def _prepare(args: argparse.Namespace, profile) -> CallRequest:
    from desktop_app.calls import prepare_call

    kind: CallKind = args.kind
    return prepare_call(
        kind,
        args.to,
        default_region=profile.default_region or "IN",
        user_id=getattr(args, "user_id", None) or profile.user_id,
        agent=getattr(args, "agent", None),
        reference_id=args.reference_id,
        caller_id=args.caller_id or profile.caller_id,
        region=args.region or profile.region,
        group=args.group or profile.group,
        max_call_duration=args.max_duration,
    )


def _prepared(args: argparse.Namespace, out: Output):
    """(resolved, request) or an exit code: every input problem ends here, before any network."""
    from desktop_app.api.urls import UnsafeUrlError
    from desktop_app.calls import InputError
    from desktop_app.credentials import ConfigError

    try:
        resolved = _resolve(args)
        request = _prepare(args, resolved.profile)
    except InputError as error:
        return out.error(error.message, "invalid_input")
    except (ConfigError, UnsafeUrlError) as error:
        return out.error(str(error), "configuration")
    except OSError as error:  # the settings folder cannot be read or created
        return out.error(f"Cannot read OpDial's settings ({error}); nothing was sent.", "storage")
    problem = _request_problem(request)
    if problem:
        return out.error(problem, "invalid_input")
    return resolved, request


def outcome_json(outcome: Outcome, account) -> dict[str, Any]:
    problem = outcome.problem.to_dict() if outcome.problem else None
    return {
        "outcome": outcome.status,
        "http_status": outcome.http_status,
        "unique_id": outcome.unique_id,
        "reference_id": outcome.reference_id,
        "confirmed_by_duplicate": outcome.confirmed_by_duplicate,
        "attempts": outcome.attempts,
        "problem": problem,
        "request": request_preview(outcome.request, account),
    }


def accepted_sentence(outcome: Outcome, agent: str | None = None) -> str:
    """The one wording of "queued" for every front end: accepted is not ringing yet."""
    text = queued_words(outcome.request, agent) + "."
    if outcome.confirmed_by_duplicate:
        text += " (Confirmed on retry: MyOperator already had this call.)"
    return text


def resend_command(args: argparse.Namespace, request: CallRequest) -> str:
    """The exact command that re-sends this call under its own reference_id (Try again safely)."""
    words = ["opdial-cli"]
    for option, value in (("--profile", args.profile), ("--api-url", args.api_url)):
        if value:
            words += [option, value]
    words += ["call", request.kind.value]
    if request.agent_number:
        words += ["--agent", request.agent_number]
    words += ["--to", request.to]
    optional = (
        ("--user-id", request.user_id),
        ("--caller-id", request.caller_id),
        ("--region", request.region),
        ("--group", request.group),
        ("--max-duration", request.max_call_duration),
    )
    words += [word for option, value in optional if value is not None for word in (option, str(value))]
    words += ["--reference-id", request.reference_id, "--resend"]
    return shlex.join(words)


def _open_history(out: Output, consequence: str = ", so nothing was sent"):
    """The history database, or an exit code with words when it cannot be opened."""
    from desktop_app import config
    from desktop_app.history import History

    try:
        return History()
    except (sqlite3.Error, OSError) as error:
        try:
            where = str(config.history_path())
        except OSError:
            where = "the data folder"
        return out.error(
            f"Cannot open the call history ({where}: {error}){consequence}. Move the damaged file "
            "aside or free the folder, then try again.",
            "storage",
        )


@contextmanager
def _sigint_sets(cancel: threading.Event, presses: list[int]) -> Iterator[None]:
    """While a call runs and its outcome is saved and printed, Ctrl+C sets ``cancel`` (the client
    stops the attempt in flight) instead of raising KeyboardInterrupt in the middle of the bookkeeping."""

    def on_sigint(signum: int, frame: object) -> None:
        presses.append(signum)
        cancel.set()

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main_thread else None
    # SIG_IGN means whoever started us wants Ctrl+C ignored (a background job): respect it.
    replace = main_thread and previous is not signal.SIG_IGN
    if replace:
        signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        if replace:
            signal.signal(signal.SIGINT, previous)


def _place(
    client, request: CallRequest, cancel: threading.Event, presses: list[int], *, resending: bool, out: Output
) -> Outcome:
    """Send the call on a worker thread, so that Ctrl+C (``cancel``) can stop waiting for it."""
    from desktop_app.api import catalogue

    done = threading.Event()
    result: list[Outcome | Exception] = []

    def work() -> None:
        try:
            result.append(client.place_call(request, cancel, resending=resending))
        except Exception as error:  # reported below as an unknown outcome, never as a traceback
            result.append(error)
        finally:
            done.set()

    threading.Thread(target=work, name="call", daemon=True).start()
    while not done.wait(0.2) and not cancel.is_set():
        pass
    if cancel.is_set() and not done.is_set():
        print("Stopping the call… (Ctrl+C again to stop waiting)", file=out.stderr)
        give_up = time.monotonic() + CANCEL_GRACE_S
        while not done.wait(0.2) and len(presses) < 2 and time.monotonic() < give_up:
            pass
    found = result[0] if result else None
    if isinstance(found, Outcome):
        return found
    if found is not None:
        log.error("Call %s: %s", request.reference_id, client.redactor.text(repr(found)), exc_info=found)
        raw = client.redactor.text(f"{type(found).__name__}: {found}")
        return Outcome("failed", request, problem=catalogue.problem("unexpected_response", raw))
    # The client did not come back in time: an attempt is (or was) in flight, so nobody knows.
    return Outcome("failed", request, problem=catalogue.problem("cancelled"))


def _save(history, outcome: Outcome, profile_name: str) -> str | None:
    """Record the outcome; the reason when that failed. The call is out: nothing may hide that."""
    try:
        history.record(outcome, profile_name, source="cli")
    except Exception as error:  # damaged database, full disk, …: any of them, the outcome comes first
        log.error("Could not save call %s to history: %r", outcome.reference_id, error)
        return str(error) or type(error).__name__
    return None


def _close_quietly(*resources: Any) -> None:
    """Close what the call used; past the send, a failing close must not hide the outcome."""
    for resource in resources:
        try:
            resource.close()
        except Exception as error:
            log.warning("Closing %s failed: %r", type(resource).__name__, error)


def _unsaved_warning(outcome: Outcome, reason: str) -> str:
    what = {
        "accepted": "the call was queued but could not be saved to history",
        "rejected": "MyOperator refused the call; this could not be saved to history",
        "failed": "the call's outcome is unknown; this could not be saved to history",
    }[outcome.status]
    return f"{APP_NAME}: warning: {what}: {reason}"


def cmd_call(args: argparse.Namespace, out: Output) -> int:
    from desktop_app.api.client import ObdClient

    prepared = _prepared(args, out)
    if isinstance(prepared, int):
        return prepared
    resolved, request = prepared
    if args.resend and not args.reference_id:
        return out.error("--resend needs the --reference-id of the call to re-send.", "invalid_input")
    log_problem = getattr(args, "log_problem", None)
    if log_problem:
        return out.error(f"Cannot write OpDial's log ({log_problem}), so nothing was sent.", "storage")
    client = ObdClient(resolved.account)  # opens no connection yet
    history = _open_history(out)  # everything the call writes is opened before anything is sent
    if isinstance(history, int):
        client.close()
        return history
    cancel = threading.Event()
    presses: list[int] = []  # Ctrl+C presses while the call runs
    # From the send to the last line printed, Ctrl+C only stops the attempt: it cannot lose the outcome.
    with _sigint_sets(cancel, presses):
        try:
            outcome = _place(client, request, cancel, presses, resending=args.resend, out=out)
            unsaved = _save(history, outcome, resolved.profile.name)
        finally:
            _close_quietly(client, history)
        outcome = _with_cli_advice(outcome, resolved)
        _report_call(outcome, args, resolved.account, out, interrupted=cancel.is_set())
        if unsaved:
            print(_unsaved_warning(outcome, unsaved), file=out.stderr)
    return EXIT_FOR_STATUS[outcome.status]


def _with_cli_advice(outcome: Outcome, resolved: Any) -> Outcome:
    """The catalogue speaks to the window ("Open Profiles…"); in a terminal the next step names what
    the terminal has: the environment variables the secrets came from, or ``opdial-cli profile``,
    and how long MyOperator asked to wait."""
    from desktop_app import credentials

    problem = outcome.problem
    if problem is None:
        return outcome
    action = problem.action
    if problem.code == "auth_failed":
        from_env = "env" in (resolved.sources.get("api_key"), resolved.sources.get("secret_token"))
        if from_env:
            action = (
                f"Check {credentials.ENV_API_KEY} and {credentials.ENV_SECRET_TOKEN}: they must be exactly "
                "the x-api-key and secret token shown in the MyOperator panel; check the Company ID too."
            )
        else:
            name = resolved.profile.name
            action = (
                f"Store the x-api-key and secret token again, exactly as shown in the MyOperator panel: "
                f"`opdial-cli profile add {shlex.quote(name)} --company-id … --public-ivr-id …` "
                "(it asks for them); check the Company ID too."
            )
    elif problem.code == "rate_limited" and problem.retry_after is not None:
        action = f"MyOperator asks to wait {_wait_words(problem.retry_after)}, then call again."
    if action == problem.action:
        return outcome
    return dataclasses.replace(outcome, problem=dataclasses.replace(problem, action=action))


def _wait_words(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds > 86_400:
        return "longer than a day"
    seconds = max(1, math.ceil(seconds))
    return f"{seconds} s" if seconds < 120 else f"{math.ceil(seconds / 60)} min"


def _report_call(
    outcome: Outcome, args: argparse.Namespace, account, out: Output, *, interrupted: bool
) -> None:
    resend = resend_command(args, outcome.request) if outcome.status == "failed" else None
    if out.as_json:
        data = outcome_json(outcome, account)
        if resend:
            data["resend_command"] = resend
        out.json(data)
        return
    if outcome.accepted:
        out.say(accepted_sentence(outcome))
        out.say(f"unique_id {outcome.unique_id or '—'}, reference_id {outcome.reference_id}")
        return
    problem = outcome.problem
    assert problem is not None
    if interrupted and outcome.status == "failed":
        out.say("Stopped (Ctrl+C) before MyOperator answered: the outcome is unknown.")
    out.say(f"{problem.title}. {problem.explanation}")
    out.say(f"What to do: {problem.action}")
    out.say(
        f"reference_id {outcome.reference_id}"
        + (f", HTTP {outcome.http_status}" if outcome.http_status else "")
    )
    if resend:
        out.say(f"Try again safely (MyOperator will not place it twice): {resend}")


def cmd_preview(args: argparse.Namespace, out: Output) -> int:
    prepared = _prepared(args, out)
    if isinstance(prepared, int):
        return prepared
    resolved, request = prepared
    preview = request_preview(request, resolved.account)
    reveal = getattr(args, "reveal_secrets", False)
    curl = render_curl(request, resolved.account, reveal=reveal)
    if reveal:
        print(
            "Warning: the curl command below contains the real secrets. Keep it to yourself.", file=out.stderr
        )
    if out.as_json:
        out.json({"request": preview, "curl": curl})
    else:
        out.say(json.dumps(preview, indent=2))
        out.say("")
        out.say(curl)
    return EXIT_OK


def cmd_number(args: argparse.Namespace, out: Output) -> int:
    from desktop_app.links import LinkError, parse_intake
    from desktop_app.numbers import NumberError

    region = args.region or _profile_region(args) or "IN"
    try:
        intake = parse_intake(args.text, region)
    except (LinkError, NumberError) as error:
        reason = getattr(error, "reason", str(error))
        if out.as_json:
            out.json({"input": args.text, "valid": False, "reason": reason})
        else:
            print(f"Not a callable number: {reason}", file=out.stderr)
        return EXIT_INPUT
    number = intake.number
    data = {"input": args.text, "valid": True, **number.to_dict(), "type": number.number_type}
    if intake.kind is not None:
        data["mode"] = intake.kind.value
    if intake.agent is not None:
        data["agent"] = intake.agent.e164
    note = " ".join(filter(None, (number.note, intake.note)))  # letters read as digits, link words
    if note:
        data["note"] = note
    if out.as_json:
        out.json(data)
    else:
        out.say(f"{number.e164}  ({number.country_name}, {number.type_label})")
        out.say(f"national {number.national}   international {number.international}")
        if note:
            out.say(note)
    return EXIT_OK


def _profile_region(args: argparse.Namespace) -> str | None:
    from desktop_app.credentials import ConfigError, ProfileStore, choose_profile

    try:
        profile = choose_profile(ProfileStore(), args.profile)
    except ConfigError:
        return None
    return profile.default_region if profile else None


def cmd_history(args: argparse.Namespace, out: Output) -> int:
    history = _open_history(out, consequence="")
    if isinstance(history, int):
        return history
    try:
        if args.export:
            entries = history.entries(search=args.search, status=args.status, limit=1_000_000)
            history.export_csv(args.export, entries)
            message = f"Exported {len(entries)} calls to {args.export}"
            out.json({"exported": len(entries), "path": args.export}) if out.as_json else out.say(message)
            return EXIT_OK
        entries = history.entries(search=args.search, status=args.status, limit=args.limit)
    except (sqlite3.Error, OSError) as error:  # a database damaged inside, a full disk, a bad path
        return out.error(f"Cannot read or export the call history: {error}", "storage")
    finally:
        history.close()
    if out.as_json:
        out.json([dataclasses.asdict(entry) for entry in entries])
        return EXIT_OK
    if not entries:
        out.say("No calls yet.")
    for entry in entries:
        problem = f"  {entry.problem_code}" if entry.problem_code else ""
        out.say(
            f"{entry.time}  {entry.profile:<12} {entry.kind:<9} {entry.customer:<16} {entry.status}{problem}"
        )
    return EXIT_OK


# -- profiles ---------------------------------------------------------------------------------


def _stdin_secrets(args: argparse.Namespace, stdin: TextIO) -> list[str] | None:
    """With --secrets-from-stdin: its lines (read once), taken off in order; else None (prompt)."""
    if not args.secrets_from_stdin:
        return None
    lines = [line.strip() for line in stdin.read().splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _read_secrets(piped: list[str] | None) -> tuple[str, str]:
    if piped is not None:
        given = [line for line in piped[:2] if line]
        if len(given) < 2:
            raise ValueError("Give the x-api-key and the secret token as two lines on stdin.")
        del piped[:2]
        return given[0], given[1]
    api_key = getpass.getpass("x-api-key (hidden): ").strip()
    token = getpass.getpass("secret_token (hidden): ").strip()
    if not api_key or not token:
        raise ValueError("Both the x-api-key and the secret token are needed.")
    return api_key, token


def _read_api_token(piped: list[str] | None) -> str:
    if piped is not None:
        return piped.pop(0) if piped else ""
    return getpass.getpass("API token of the logs and users API (hidden; empty removes it): ").strip()


def cmd_profile(args: argparse.Namespace, out: Output, stdin: TextIO | None = None) -> int:
    from desktop_app.credentials import ConfigError, KeyringUnavailable, ProfileStore, SecretStore

    store = ProfileStore()
    action = args.profile_action
    try:
        if action == "list":
            return _profile_list(store, out)
        if action == "show":
            return _profile_show(store, SecretStore(), args.name, out)
        if action == "remove":
            return _profile_remove(store, SecretStore(), args.name, out)
        return _profile_add(store, SecretStore(), args, out, stdin or sys.stdin)
    except KeyringUnavailable as error:
        return out.error(str(error), "keyring_unavailable")
    except (ConfigError, ValueError) as error:
        return out.error(str(error), "configuration")


def _profile_add(store, secrets, args: argparse.Namespace, out: Output, stdin: TextIO) -> int:
    from desktop_app.credentials import Profile

    existing = store.get(args.name)
    profile = existing or Profile(
        name=args.name, company_id="", public_ivr_id="", color=store.suggest_color()
    )
    changes = {
        "company_id": args.company_id,
        "public_ivr_id": args.public_ivr_id,
        "user_id": args.user_id,
        "default_region": args.default_region.upper() if args.default_region else None,
        "caller_id": args.caller_id,
        "region": args.routing_region,
        "group": args.group,
        "api_url": checked_api_url(args.set_api_url) if args.set_api_url else None,
        "logs_api_url": checked_api_url(args.set_logs_url) if args.set_logs_url else None,
    }
    for field, value in changes.items():
        if value is not None:
            setattr(profile, field, value.strip())
    if not profile.company_id or not profile.public_ivr_id:
        raise ValueError("A profile needs --company-id and --public-ivr-id.")
    keep = args.keep_secrets and existing is not None and secrets.has_secrets(args.name)
    piped = _stdin_secrets(args, stdin) if not keep or args.api_token else None
    if not keep:
        secrets.require_usable()  # refuse before asking for secrets we could not store
        api_key, token = _read_secrets(piped)
        secrets.set_secrets(profile.name, api_key, token)
    if args.api_token:
        secrets.set_api_token(profile.name, _read_api_token(piped))
    store.save(profile)
    if args.default or store.default_name() is None:
        store.set_default(profile.name)
    verb = "Updated" if existing else "Created"
    message = f"{verb} profile {profile.name!r}; secrets are in {secrets.backend_name()}."
    out.json({"profile": profile.to_dict(), "saved": True}) if out.as_json else out.say(message)
    return EXIT_OK


def _profile_list(store, out: Output) -> int:
    default = store.default_name()
    profiles = store.list()
    if out.as_json:
        out.json([{**p.to_dict(), "default": p.name == default} for p in profiles])
        return EXIT_OK
    if not profiles:
        out.say("No profiles yet. Create one: opdial-cli profile add NAME --company-id … --public-ivr-id …")
    for p in profiles:
        mark = "*" if p.name == default else " "
        out.say(
            f"{mark} {p.name:<16} company {p.company_id:<12} "
            f"IVR {p.public_ivr_id:<12} region {p.default_region}"
        )
    return EXIT_OK


def _profile_show(store, secrets, name: str, out: Output) -> int:
    from desktop_app.api.redaction import mask

    profile = store.get(name)
    if profile is None:
        return out.error(f"There is no profile named {name!r}.", "configuration")
    try:
        stored = secrets.get_secrets(name)
        secret_state = {
            "api_key": mask(stored.api_key) or "(not set)",
            "secret_token": mask(stored.secret_token) or "(not set)",
            "api_token": mask(secrets.get_api_token(name)) or "(not set: no agents or call results)",
        }
    except Exception as error:  # a locked or missing keyring must not hide the profile itself
        unavailable = "(keyring unavailable)"
        secret_state = {
            "api_key": f"(keyring unavailable: {error})",
            "secret_token": unavailable,
            "api_token": unavailable,
        }
    data = {**profile.to_dict(), **secret_state, "keyring": secrets.backend_name()}
    if out.as_json:
        out.json(data)
    else:
        for key, value in data.items():
            out.say(f"{key:<16} {value}")
    return EXIT_OK


def _profile_remove(store, secrets, name: str, out: Output) -> int:
    if store.get(name) is None:
        return out.error(f"There is no profile named {name!r}.", "configuration")
    secrets.delete_secrets(name)
    store.remove(name)
    out.json({"removed": name}) if out.as_json else out.say(f"Removed profile {name!r} and its secrets.")
    return EXIT_OK


# -- entry ------------------------------------------------------------------------------------


def _log_to_stderr() -> None:
    """Warnings on stderr, masked like the log file, when the log file cannot be written."""
    from desktop_app.logging_setup import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler._opdial = True  # type: ignore[attr-defined]  # so shutdown_logging() removes it too
    handler.addFilter(RedactingFilter())
    handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    from desktop_app.logging_setup import setup_logging
    from desktop_app.storage import StorageError, take_notices

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        setup_logging()
    except OSError as error:
        # A call refuses to go out unlogged (cmd_call); the rest works with warnings on stderr.
        args.log_problem = f"{error}"
        _log_to_stderr()
    out = Output(args.json)
    handler: Callable[[argparse.Namespace, Output], int] = args.handler
    try:
        return handler(args, out)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except StorageError as error:  # a folder that cannot be written, a full disk: words, exit 2
        return out.error(str(error), "storage")
    finally:
        for notice in take_notices():  # damaged files that were set aside and recovered
            print(f"{APP_NAME}: {notice}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
