"""Secrets echoed by a server are masked in every form — exact, JSON- and URL-encoded, base64 (also
inside a larger blob), hex, and any fragment of 8 characters or more — in the Redactor itself, in the
outcome's raw text (what the Details view and ``--json`` show), in the log file and in crash reports.
The echoing server is the real sandbox with ``echo_secrets``."""

from __future__ import annotations

import base64
import json
import logging
import re
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app import cli, logging_setup
from desktop_app.api import redaction
from desktop_app.api.client import ObdClient
from desktop_app.api.models import CallKind, CallRequest
from desktop_app.api.redaction import MASK, Redactor
from desktop_app.sandbox.server import SandboxConfig, SandboxServer, echo_forms, environment
from tests import strict_json

# Secrets with every character that changes under an encoding: / + & = " \ space, non-ASCII.
API_KEY = 'k3y/With+Plus&Eq="Q"\\back-0001'
SECRET = 'sécret/tok+en "q" \\ 0123456789'
CUSTOMER = "+919876543210"
INVALID_NUMBER_TRIGGER = "+919000000400"


def forms_of(secret: str) -> list[str]:
    """Every form the tests look for, written out here independently of the Redactor."""
    raw = secret.encode()
    return [
        *echo_forms(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        json.dumps(json.dumps(secret))[1:-1],
        re.sub("%..", lambda m: m.group(0).lower(), urllib.parse.quote_plus(secret)),
        base64.urlsafe_b64encode(raw).decode(),
    ]


def leaks(text: str, *secrets: str) -> list[str]:
    """What of the secrets survives in text: whole forms, base64 inside blobs, 8-character fragments."""
    found = [form for secret in secrets for form in forms_of(secret) if len(form) >= 8 and form in text]
    for secret in secrets:
        found += [secret[i : i + 8] for i in range(len(secret) - 7) if secret[i : i + 8] in text]
    for secret in secrets:  # the base64 characters that only the secret's bytes determine
        for pad in (b"", b"<", b"<<"):
            blob = b"session:" + pad + secret.encode() + b";end"
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                p, n = len(b"session:" + pad), len(secret.encode())
                core = encode(blob).decode()[-(-8 * p // 6) : 8 * (p + n) // 6]
                found += [core] if core in text else []
    return found


@pytest.fixture(autouse=True)
def own_registry(monkeypatch):
    """The secrets registered here (the client registers them process-wide) stay in this module."""
    monkeypatch.setattr(redaction, "_registered", set())


# ---- the Redactor itself -------------------------------------------------------------------------
@pytest.mark.parametrize("secret", [API_KEY, SECRET, "plainsecretvalue0123456789abcdef"])
def test_every_form_of_a_secret_is_masked(secret):
    redactor = Redactor([secret], include_registered=False)
    for form in forms_of(secret):
        masked = redactor.text(f"before {form} after")
        assert leaks(masked, secret) == [], form
        assert masked.startswith("before ") and masked.endswith(" after"), form
        assert MASK in masked


def test_each_named_form_on_its_own():
    secret = "Tok/en+with=sym&bols0123"
    raw = secret.encode()
    redactor = Redactor([secret], include_registered=False)
    named = {
        "exact": secret,
        "json": json.dumps(secret)[1:-1],
        "json-slash": json.dumps(secret)[1:-1].replace("/", "\\/"),
        "url-percent": urllib.parse.quote(secret, safe=""),
        "url-percent-lower": re.sub("%..", lambda m: m.group(0).lower(), urllib.parse.quote(secret, safe="")),
        "url-plus": urllib.parse.quote_plus(secret),
        "base64": base64.b64encode(raw).decode(),
        "base64-urlsafe-unpadded": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "fragment": secret[3:11],
    }
    for name, form in named.items():
        assert redactor.text(f"x={form};") == f"x={MASK};", name


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", b"abc", b"abcd", b"abcde"])
def test_a_secret_inside_a_larger_base64_blob_is_masked_at_every_alignment(prefix):
    secret = "inner-secret-value-42"
    blob = base64.b64encode(prefix + secret.encode() + b"|rest of the blob").decode()
    masked = Redactor([secret], include_registered=False).text(blob)
    p, n = len(prefix), len(secret)
    assert blob[-(-8 * p // 6) : 8 * (p + n) // 6] not in masked
    assert MASK in masked


def test_overlapping_and_adjacent_finds_become_one_mask():
    secret = "abcdefghijklmnop"
    redactor = Redactor([secret], include_registered=False)
    assert redactor.text("<abcdefghijkl|ijklmnop>") == f"<{MASK}|{MASK}>"
    assert redactor.text(secret + secret) == MASK
    assert redactor.text("defghijklmno") == MASK


def test_ordinary_text_and_short_pieces_stay():
    secret = "abcdefghijklmnop"
    redactor = Redactor([secret], include_registered=False)
    text = "abcdefg xyz 1234567 call +919876543210 accepted"
    assert redactor.text(text) == text  # 7 characters of the secret are not a fragment


def test_the_demo_key_does_not_mask_the_header_names_around_it():
    redactor = Redactor(["sandbox-api-key-0000"], include_registered=False)
    assert redactor.text("x-api-key: sandbox-api-key-0000") == f"x-api-key: {MASK}"
    assert redactor.text("box-api-key-00") == MASK  # a fragment beyond the names is still masked


def test_a_short_secret_is_masked_exactly_only():
    redactor = Redactor(["k3y!z"], include_registered=False)
    assert redactor.text("key=k3y!z") == f"key={MASK}"
    assert redactor.text("k3y! alone") == "k3y! alone"


# A secret that is only mask characters ("********") is indistinguishable from its own mask: never
# a real key, and not a leak, so such text is left out.
secret_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=8, max_size=40).filter(
    lambda text: text.strip("*")
)
surrounding = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(secret=secret_text, before=surrounding, after=surrounding, data=st.data())
def test_property_no_fragment_of_eight_characters_survives(secret, before, after, data):
    start = data.draw(st.integers(0, len(secret) - 8))
    end = data.draw(st.integers(start + 8, len(secret)))
    masked = Redactor([secret], include_registered=False).text(before + secret[start:end] + after)
    fragments = {secret[i : i + 8] for i in range(len(secret) - 7)}
    # By design a fragment that is part of OpDial's own field names ("public_i" of public_ivr_id) is
    # left alone, or a secret like "sandbox-api-key-0000" would mangle the header name x-api-key.
    # (hypothesis found '0000000PUBLIC_I'.)
    own_words = {f for f in fragments if f.lower() in redaction._VOCABULARY}
    assert not any(f in masked for f in fragments - own_words if MASK not in f)


@settings(max_examples=150, deadline=None)
@given(secret=secret_text, prefix=st.binary(max_size=7), suffix=st.binary(max_size=7), urlsafe=st.booleans())
def test_property_base64_of_a_secret_inside_any_blob_is_masked(secret, prefix, suffix, urlsafe):
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    raw = secret.encode()
    blob = encode(prefix + raw + suffix).decode()
    masked = Redactor([secret], include_registered=False).text(f"token={blob}")
    p = len(prefix)
    assert blob[-(-8 * p // 6) : 8 * (p + len(raw)) // 6] not in masked


@settings(max_examples=100, deadline=None)
@given(secret=secret_text)
def test_property_hex_json_and_url_forms_are_masked(secret):
    redactor = Redactor([secret], include_registered=False)
    raw = secret.encode()
    for form in (
        raw.hex(),
        raw.hex().upper(),
        json.dumps(secret)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    ):
        assert form not in redactor.text(f"[{form}]")


# ---- a server that echoes the secrets back ----------------------------------------------------------
@pytest.fixture
def echoing():
    config = SandboxConfig(api_key=API_KEY, secret_token=SECRET, echo_secrets=True)
    with SandboxServer(config) as server:
        yield server


def test_the_echoing_sandbox_really_echoes_every_form(echoing):
    """Guards the tests below: the sandbox's answer holds each form (so masking has work to do)."""
    import httpx

    from desktop_app.api.models import build_body, build_headers

    request = CallRequest(CallKind.IVR, INVALID_NUMBER_TRIGGER)
    with httpx.Client(trust_env=False) as http:
        answer = http.post(
            echoing.url, json=build_body(request, echoing.account), headers=build_headers(echoing.account)
        )
    echo = answer.json()["echo"]
    for secret in (API_KEY, SECRET):
        assert all(form in echo for form in echo_forms(secret))
    assert json.dumps(SECRET)[1:-1] in answer.text  # the JSON body escapes it


@pytest.mark.parametrize("number", [CUSTOMER, INVALID_NUMBER_TRIGGER], ids=["accepted", "refused"])
def test_the_outcome_raw_text_masks_every_echoed_form(echoing, number):
    with ObdClient(echoing.account, sleep=lambda _: None) as client:
        outcome = client.place_call(CallRequest(CallKind.IVR, number))
    assert "echo" in outcome.raw_response
    texts = [outcome.raw_response, outcome.problem.raw if outcome.problem else ""]
    assert leaks("\n".join(texts), API_KEY, SECRET) == []


@pytest.mark.parametrize("error_format", ["text", "html"])
def test_echoes_in_plain_text_and_html_errors_are_masked(error_format):
    config = SandboxConfig(api_key=API_KEY, secret_token=SECRET, echo_secrets=True, error_format=error_format)
    with SandboxServer(config) as server, ObdClient(server.account) as client:
        outcome = client.place_call(CallRequest(CallKind.IVR, INVALID_NUMBER_TRIGGER))
    assert outcome.problem.code == "invalid_number"
    assert leaks(outcome.raw_response + outcome.problem.raw, API_KEY, SECRET) == []


def test_the_log_file_masks_every_echoed_form(echoing):
    path = logging_setup.setup_logging(logging.DEBUG)
    try:
        with ObdClient(echoing.account) as client:
            outcome = client.place_call(CallRequest(CallKind.IVR, INVALID_NUMBER_TRIGGER))
        # Also what a careless log call would write: the whole raw answer and the secrets in a message.
        logging.getLogger("opdial.test").warning(
            "answer %s / %s %s", echoing.received[-1].body_text, *forms_of(SECRET)[:2]
        )
        logging.getLogger("opdial.test").warning("echo %s", outcome.raw_response)
    finally:
        logging_setup.shutdown_logging()
    text = path.read_text(encoding="utf-8")
    assert "echo" in text
    assert leaks(text, API_KEY, SECRET) == []


def test_cli_json_output_masks_every_echoed_form(echoing, monkeypatch, capsys):
    for name, value in environment(echoing).items():
        monkeypatch.setenv(name, value)
    code = cli.main(["--json", "call", "ivr", "--to", INVALID_NUMBER_TRIGGER])
    out = capsys.readouterr().out
    assert code != 0
    data = strict_json.loads(out)
    assert data["problem"]["code"] == "invalid_number" and "echo" in data["problem"]["raw"]
    assert leaks(out, API_KEY, SECRET) == []
    assert leaks(strict_json.loads(out)["problem"]["raw"], API_KEY, SECRET) == []


def test_a_crash_report_masks_every_form_of_a_registered_secret(echoing):
    pytest.importorskip("PySide6")
    from desktop_app.ui.crash import crash_report

    with ObdClient(echoing.account):  # registers the account's secrets process-wide
        pass
    try:
        raise RuntimeError("server said: " + " ".join(forms_of(SECRET) + forms_of(API_KEY)))
    except RuntimeError as error:
        report = crash_report(type(error), error, error.__traceback__)
    assert "server said" in report
    assert leaks(report, API_KEY, SECRET) == []
