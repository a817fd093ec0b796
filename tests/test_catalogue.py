"""The error catalogue reads MyOperator's words from any body — JSON, plain text, HTML — with the
vendor guide's and the API's spellings, without over-reading a proxy's page or a success."""

from __future__ import annotations

import json

import pytest

from desktop_app.api import catalogue

HTML = {"content-type": "text/html; charset=utf-8"}
TEXT = {"content-type": "text/plain"}

# (HTTP status, the words as the guide or the API spell them, the code)
PHRASES = [
    (400, "Invalid Number Format", "invalid_number"),
    (400, "Provide valid Number in string format", "invalid_number"),
    (403, "Invalid API Key", "auth_failed"),
    (403, "Anonymous Feature Not Enabled", "anonymous_disabled"),
    (403, "annonymous dial is not enabled for this company", "anonymous_disabled"),
    (403, "Duplicate Reference ID", "duplicate_reference"),
    (403, "Reference ID already taken", "duplicate_reference"),
    (500, "Company Config Missing", "company_config_missing"),
]


def spellings(words: str) -> list[str]:
    """The same words as servers write them: any case, snake, kebab, camel, with punctuation."""
    parts = words.split()
    return [
        words,
        words.upper(),
        words.lower(),
        "_".join(parts).upper(),
        "-".join(parts).lower(),
        "".join(p[:1].upper() + p[1:] for p in parts),
        f"Error: {words}.",
    ]


def as_html(words: str, status: int) -> str:
    escaped = words.replace("&", "&amp;").replace(" ", "&nbsp;", 1).replace("<", "&lt;")
    return (
        f"<!DOCTYPE html><html><head><title>{status} Error</title><style>p {{color: red}}</style></head>"
        f"<body><h1>Error</h1><p>{escaped}</p><script>var x = 1;</script></body></html>"
    )


@pytest.mark.parametrize(("status", "words", "code"), PHRASES)
@pytest.mark.parametrize("shape", ["json-details", "json-message", "json-nested", "text", "html"])
def test_the_guides_phrases_are_recognised_in_every_body(status, words, code, shape):
    for spelled in spellings(words):
        body, headers = {
            "json-details": (json.dumps({"status": "error", "details": spelled}), {}),
            "json-message": (json.dumps({"message": spelled}), {}),
            "json-nested": (json.dumps({"errors": [{"msg": spelled}]}), {}),
            "text": (spelled, TEXT),
            "html": (as_html(spelled, status), HTML),
        }[shape]
        found = catalogue.classify_response(status, body, headers)
        assert found is not None and found.code == code, (shape, spelled)


def test_a_plain_text_duplicate_is_not_shown_as_not_authorised():
    found = catalogue.classify_response(403, "Duplicate Reference ID", TEXT)
    assert found.code == "duplicate_reference"
    assert found.title != catalogue.PROBLEMS["auth_failed"].title


def test_html_entities_and_tags_are_read_as_the_words_they_show():
    body = "<html><body><p>Duplicate&#32;Reference&nbsp;<b>ID</b></p></body></html>"
    assert catalogue.classify_response(403, body).code == "duplicate_reference"
    assert catalogue.html_text("<p>a&amp;b</p><p>c</p>") == "a&b c"


def test_html_is_recognised_without_a_content_type():
    body = "<html><head><title>403</title></head><body>Company Config Missing</body></html>"
    assert catalogue.classify_response(500, body).code == "company_config_missing"


def test_a_success_stays_a_success_whatever_words_it_carries():
    body = {"status": "success", "details": "Duplicate Reference ID? no: Request accepted successfully"}
    assert catalogue.classify_response(200, json.dumps(body)) is None


@pytest.mark.parametrize("status", [502, 503, 504])
@pytest.mark.parametrize("words", [w for _, w, _ in PHRASES])
def test_a_gateway_answer_is_never_read_for_words(status, words):
    """A proxy's page names no MyOperator error, and the call may have been processed behind it:
    whatever its words, it is a gateway server error (which the client treats as unknown)."""
    for body, headers in (
        (as_html(words, status), HTML),
        (words, TEXT),
        (json.dumps({"message": words}), {}),
    ):
        found = catalogue.classify_response(status, body, headers)
        assert found.code == "server_error", (status, body)
        assert found.explanation == catalogue.VARIANTS["server_error.gateway"]["explanation"]


def test_the_gateway_variant_says_the_call_may_have_been_processed_and_to_resend_safely():
    found = catalogue.classify_response(502, "<html><body>502 Bad Gateway</body></html>", HTML)
    assert (found.code, found.retry_after) == ("server_error", None)
    assert "may" in found.explanation and "same Reference ID" in found.action
    assert "new call" in found.action
    plain = catalogue.classify_response(500, '{"message":"Internal server error"}')
    assert plain.explanation == catalogue.PROBLEMS["server_error"].explanation


def test_a_garbled_success_is_not_read_for_words():
    """A 200 that is not JSON may be a truncated success: its outcome stays unknown."""
    found = catalogue.classify_response(200, "Duplicate Reference ID", TEXT)
    assert found.code == "unexpected_response"


def test_a_documented_500_config_missing_stays_a_rejection_not_a_server_error():
    assert catalogue.classify_response(500, "Company Config Missing", TEXT).code == "company_config_missing"


def test_text_without_known_words_falls_back_to_the_http_status():
    assert catalogue.classify_response(403, "Forbidden", TEXT).code == "auth_failed"
    assert catalogue.classify_response(400, "<p>Bad Request</p>", HTML).code == "bad_request"
    assert catalogue.classify_response(404, "Not Found", TEXT).code == "not_found"
    limited = catalogue.classify_response(429, "slow down", {"Retry-After": "7"})
    assert (limited.code, limited.retry_after) == ("rate_limited", 7.0)


def test_near_misses_are_not_over_read():
    for text in (
        "valid request",
        "anonymous dial",
        "reference noted",
        "api key rotated",
        "company config ok",
    ):
        assert catalogue.classify_response(403, text, TEXT).code == "auth_failed", text


def test_a_duplicate_in_json_keeps_its_remaining_ttl():
    body = json.dumps({"status": "error", "details": "Duplicate Reference ID", "remaining_ttl": "120"})
    assert catalogue.classify_response(403, body).remaining_ttl == 120
