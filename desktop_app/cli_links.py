"""``opdial-cli links status|register|unregister``: which app opens tel:/callto: links, and fixing it.

Wired into ``desktop_app.cli`` by ``add_links_commands(commands, common)``; each handler takes
``(args, out)`` where ``out`` is ``cli.Output``. Exit 0 when done, 2 when the OS refused.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop_app import APP_NAME
from desktop_app.platform import (
    LinkHandlerPlatform,
    LinkHandlerStatus,
    RegistrationError,
    RegistrationResult,
    current_platform,
    default_exe_command,
    handles_phone_links,
)

EXIT_OK, EXIT_REFUSED = 0, 2


def add_links_commands(
    subparsers: argparse._SubParsersAction, common_parent: argparse.ArgumentParser
) -> None:
    links = subparsers.add_parser(
        "links", parents=[common_parent], help=f"make {APP_NAME} open tel:/callto: links, or check it"
    )
    actions = links.add_subparsers(dest="links_action", metavar="ACTION", required=True)
    actions.add_parser("status", parents=[common_parent], help="which app opens tel:, callto: and opdial:")
    register = actions.add_parser(
        "register", parents=[common_parent], help=f"register {APP_NAME} for this user (no admin rights)"
    )
    register.add_argument(
        "--exec",
        dest="exec_path",
        metavar="PATH",
        help=f"the {APP_NAME} executable links should start (default: this installation)",
    )
    register.add_argument(
        "--open-settings", action="store_true", help="Windows: open Default Apps to pick OpDial afterwards"
    )
    actions.add_parser("unregister", parents=[common_parent], help=f"remove only {APP_NAME}'s registration")
    links.set_defaults(handler=run_links)


def run_links(args: argparse.Namespace, out: Any, platform: LinkHandlerPlatform | None = None) -> int:
    platform = platform or current_platform()
    action = args.links_action
    if action == "status":
        return _show_status(platform.status(), out)
    try:
        if action == "register":
            command = [args.exec_path] if args.exec_path else default_exe_command()
            result = platform.register(command)
            if args.open_settings and sys.platform == "win32":
                from desktop_app.platform.windows import open_default_apps

                open_default_apps()
        else:
            result = platform.unregister()
    except (RegistrationError, OSError) as error:
        return out.error(str(error), "registration_failed")
    return _show_result(action, result, platform.status(), out)


def _status_json(statuses: list[LinkHandlerStatus]) -> dict[str, Any]:
    return {
        "handles_phone_links": handles_phone_links(statuses),
        "schemes": {
            s.scheme: {
                "handled_by_us": s.handled_by_us,
                "current_handler": s.current_handler,
                "known": s.known,
                "detail": s.detail,
            }
            for s in statuses
        },
    }


def _show_status(statuses: list[LinkHandlerStatus], out: Any) -> int:
    if out.as_json:
        out.json(_status_json(statuses))
        return EXIT_OK
    for line in status_lines(statuses):
        out.say(line)
    return EXIT_OK


def status_lines(statuses: list[LinkHandlerStatus], fix_hint: str = "opdial-cli links register") -> list[str]:
    """Sentences for people; the settings dialog shows the same ones."""
    lines = [s.describe() for s in statuses]
    details = sorted({s.detail for s in statuses if s.detail and s.known})
    lines += details
    if any(not s.known for s in statuses):
        return lines
    if handles_phone_links(statuses):
        lines.append(f"{APP_NAME} opens tel: and callto: links.")
    else:
        lines.append(f"To make {APP_NAME} open them: {fix_hint}")
    return lines


def _show_result(action: str, result: RegistrationResult, statuses: list[LinkHandlerStatus], out: Any) -> int:
    if out.as_json:
        out.json(
            {"action": action, "changed": result.changed, "notes": result.notes, **_status_json(statuses)}
        )
        return EXIT_OK
    for line in result.lines():
        out.say(line)
    for line in status_lines(statuses):
        out.say(line)
    return EXIT_OK
