"""``opdial-cli agents`` and ``opdial-cli result``: the company's users and what happened to a call,
from MyOperator's logs and users API (it needs the profile's API token; see ``api/logs.py``).

Wired into ``desktop_app.cli`` by ``add_results_commands(commands, common)``; handlers take
``(args, out)`` where ``out`` is ``cli.Output``.

``result`` exits 0 when the result is known (answered or missed), 4 while it is pending or when the
call log has no record of the call ("none"), 2 on bad input or configuration.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

EXIT_OK, EXIT_INPUT, EXIT_NO_RESULT = 0, 2, 4


def add_results_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    agents = commands.add_parser(
        "agents", parents=[common], help="list the company's users (to pick a User ID); needs the API token"
    )
    agents.add_argument(
        "--search", default="", metavar="TEXT", help="only users whose name, extension, number … has TEXT"
    )
    agents.set_defaults(handler=cmd_agents)
    result = commands.add_parser(
        "result", parents=[common], help="was a call answered? (from the call log; needs the API token)"
    )
    result.add_argument("reference_id", metavar="REFERENCE_ID", help="the call's Reference ID (see history)")
    result.add_argument(
        "--wait", type=float, default=0.0, metavar="S", help="look for up to S seconds (default: ask once)"
    )
    result.set_defaults(handler=cmd_result)


def _logs_client(args: argparse.Namespace, out: Any) -> Any:
    """The logs client for the chosen profile, or an exit code after saying what is missing."""
    from desktop_app.api.logs import LogsClient, LogsError
    from desktop_app.api.urls import UnsafeUrlError
    from desktop_app.credentials import ENV_API_TOKEN, ConfigError, resolve_logs_access

    try:
        access = resolve_logs_access(args.profile)
        return LogsClient(access.token, access.url)
    except (ConfigError, UnsafeUrlError) as error:
        hint = f" (or set {ENV_API_TOKEN})" if "API token" in str(error) else ""
        return out.error(f"{error}{hint}", "configuration")
    except LogsError as error:
        return out.error(error.reason, "configuration")


def cmd_agents(args: argparse.Namespace, out: Any) -> int:
    from desktop_app.api.logs import LogsError

    client = _logs_client(args, out)
    if isinstance(client, int):
        return client
    try:
        agents = [agent for agent in client.users() if agent.matches(args.search)]
    except LogsError as error:
        return out.error(error.reason, "token_refused" if error.token else "logs_api")
    finally:
        client.close()
    if out.as_json:
        out.json([agent.to_json() for agent in agents])
        return EXIT_OK
    if not agents:
        out.say("No users match." if args.search else "MyOperator lists no users for this company.")
    for agent in agents:
        extension = f"ext {agent.extension}" if agent.extension else ""
        out.say(f"{agent.user_id}  {agent.name:<24} {extension:<9} {agent.number:<14} {agent.role}")
    return EXIT_OK


def cmd_result(args: argparse.Namespace, out: Any) -> int:
    from desktop_app.call_results import CallResult, ResultPoller, waiting_from
    from desktop_app.history import History

    with History() as history:
        entry = history.find(args.reference_id.strip())
        if entry is None:
            return out.error(f"No call with Reference ID {args.reference_id!r} in the history.", "not_found")
        if not entry.accepted:
            said = f"That call was not queued ({entry.status}), so the call log has no result for it."
            return out.error(said, "not_queued")
        if entry.result:
            return _show(CallResult.from_entry(entry), out)
        client = _logs_client(args, out)
        if isinstance(client, int):
            return client
        try:
            poller = ResultPoller(client)
            claimed = history.claimed_records(entry.when - timedelta(days=2))
            result = poller.wait_for(waiting_from(entry), claimed, timeout_s=max(0.0, args.wait))
        finally:
            client.close()
        if poller.error is not None and not result.known:
            code = "token_refused" if poller.error.token else "logs_api"
            return out.error(poller.error.reason, code)
        history.set_result(result)
    return _show(result, out)


def _show(result: Any, out: Any) -> int:
    if out.as_json:
        out.json(result.to_json())
    else:
        out.say(f"{result.reference_id}: {result.words()}")
    return EXIT_OK if result.result in ("answered", "missed") else EXIT_NO_RESULT
