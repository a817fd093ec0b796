"""Copy-as-curl: the exact request OpDial would send, as a shell command. Masked unless asked."""

from __future__ import annotations

import json
import shlex

from desktop_app.api.models import Account, CallRequest, build_body, build_headers
from desktop_app.api.redaction import Redactor


def request_preview(request: CallRequest, account: Account, *, reveal: bool = False) -> dict:
    """URL, headers and body of the request; secrets masked unless ``reveal``."""
    headers = build_headers(account)
    body = build_body(request, account)
    if not reveal:
        redactor = Redactor(account.secrets)
        headers, body = redactor.mapping(headers), redactor.mapping(body)
    return {"method": "POST", "url": account.api_url, "headers": headers, "body": body}


def render_curl(request: CallRequest, account: Account, *, reveal: bool = False) -> str:
    preview = request_preview(request, account, reveal=reveal)
    lines = [f"curl --request POST {shlex.quote(preview['url'])}"]
    lines += [f"  --header {shlex.quote(f'{k}: {v}')}" for k, v in preview["headers"].items()]
    lines.append(f"  --data-raw {shlex.quote(json.dumps(preview['body']))}")
    return " \\\n".join(lines)
