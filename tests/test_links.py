"""Link intake: links as CRMs, browsers and mail clients produce them → E.164, or a clear refusal.

``parse_intake`` is the one function behind the command line, the second-instance hand-over, the
macOS open event, the clipboard and ``opdial-cli number``. All numbers here are fictional.
"""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import quote

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.api.models import CallKind
from desktop_app.links import LinkError, LinkIntake, parse_intake
from desktop_app.numbers import NumberError, normalise

INDIAN_MOBILE = "+919876543210"


@pytest.mark.parametrize(
    ("link", "e164"),
    [
        # tel: as written in web pages and e-mail signatures
        ("tel:+919876543210", INDIAN_MOBILE),
        ("tel:+91-98765-43210", INDIAN_MOBILE),
        ("tel:+91 98765 43210", INDIAN_MOBILE),
        ("tel:+91.98765.43210", INDIAN_MOBILE),
        ("tel:+91(0)9876543210", INDIAN_MOBILE),
        ("tel:098765 43210", INDIAN_MOBILE),  # national, read in the default region
        ("tel:0091-98765-43210", INDIAN_MOBILE),
        # percent-encoding as browsers and CRMs pass it on
        ("tel:+91%2098765%2043210", INDIAN_MOBILE),
        ("tel:%2B919876543210", INDIAN_MOBILE),
        ("tel:%2B91%2098765%2043210", INDIAN_MOBILE),
        ("tel:%252B919876543210", INDIAN_MOBILE),  # encoded twice by a CRM template
        ("tel:+91%E2%80%9198765%E2%80%9143210", INDIAN_MOBILE),  # non-breaking hyphens
        # scheme letter case, slashes and wrapping
        ("TEL:+919876543210", INDIAN_MOBILE),
        ("Tel:+919876543210", INDIAN_MOBILE),
        ("tel://+919876543210", INDIAN_MOBILE),
        ("callto:+919876543210", INDIAN_MOBILE),
        ("callto://+919876543210", INDIAN_MOBILE),
        ("callto://+919876543210/", INDIAN_MOBILE),  # trailing slash some Windows browsers add
        ("CALLTO://+91 98765 43210", INDIAN_MOBILE),
        ("callto:+919876543210?call", INDIAN_MOBILE),
        ('"tel:+91 98765 43210"', INDIAN_MOBILE),  # quoted on a command line
        ("<tel:+919876543210>", INDIAN_MOBILE),  # as a plain-text mail shows a link
        ("  tel:+919876543210\n", INDIAN_MOBILE),
        # RFC 3966 parameters
        ("tel:+919876543210;isub=1234", INDIAN_MOBILE),
        ("tel:+919876543210;phone-context=+44", INDIAN_MOBILE),  # context only applies to local numbers
        ("tel:98765-43210;phone-context=+91", INDIAN_MOBILE),
        ("tel:2079460000;phone-context=+44", "+442079460000"),
        ("tel:+44-20-7946-0000", "+442079460000"),
        ("tel:+44 (0)20 7946 0000", "+442079460000"),
        ("tel:+1-415-555-0123", "+14155550123"),
        # plain numbers go through the same door
        ("098765 43210", INDIAN_MOBILE),
        ("+91 98765 43210", INDIAN_MOBILE),
        ("Tel: +91 98765 43210", INDIAN_MOBILE),  # copied from a signature
    ],
)
def test_link_forms_become_e164(link: str, e164: str) -> None:
    assert parse_intake(link, "IN").number.e164 == e164


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("", "Empty: there is no number to dial."),
        ("   ", "Empty: there is no number to dial."),
        ("tel:", "The tel: link is empty: it has no number in it."),
        ("callto://", "The callto: link is empty: it has no number in it."),
        ("tel:;ext=12", "The tel: link is empty"),
        ("callto:john.doe", "callto:john.doe is a user name, not a phone number."),
        ("callto://john.doe/", "callto:john.doe is a user name, not a phone number."),
        ("skype:john.doe?call", "skype: links name a Skype user"),
        ("mailto:agent@example.com", "That is an e-mail address (mailto:), not a phone number."),
        ("http://example.com/call?n=9876543210", "That is a web link, not a phone number."),
        ("HTTPS://example.com", "That is a web link, not a phone number."),
        ("sip:+919876543210@example.com", "sip: addresses are internet-phone accounts"),
        ("whatsapp://send?phone=919876543210", "OpDial opens tel:, callto: and opdial: links, not whatsapp:"),
        ("tel:7042;phone-context=example.com", "7042 is a local number that only works inside example.com"),
        ("tel:12345", "Too short for a number in India (IN)."),
        ("tel:+999 1234567", "Unknown country code +999."),
        ("tel:+91 55555 55555", "Not a valid number in India (IN)"),
        ("tel:tel:tel:+919876543210", "That is not a phone number: it has letters."),
        ("tel:+14155550123;ext=abc", "The extension 'abc' in the link is not a number."),
        ("lorem ipsum", "That is not a phone number: it has letters."),
        ("!!!", "That is not a phone number: it has no digits."),
    ],
)
def test_what_is_not_a_callable_number_is_refused_clearly(link: str, reason: str) -> None:
    with pytest.raises(LinkError) as refused:
        parse_intake(link, "IN")
    assert refused.value.reason.startswith(reason)


def test_a_refused_link_is_also_a_number_error_and_a_value_error() -> None:
    with pytest.raises(NumberError):
        parse_intake("callto:john.doe")
    with pytest.raises(ValueError):
        parse_intake("tel:")


@pytest.mark.parametrize(
    "link",
    [
        "tel:+14155550123;ext=123",
        "TEL:+1-415-555-0123;EXT=123",
        "tel:+14155550123;isub=9;ext=123",
        "+1 415 555 0123 ext 123",
    ],
)
def test_an_extension_is_kept_as_a_note(link: str) -> None:
    intake = parse_intake(link)
    assert intake.number.e164 == "+14155550123"
    assert intake.number.extension == "123"
    assert intake.note == "Extension 123"


def test_the_source_says_which_form_the_number_came_in() -> None:
    assert parse_intake("tel:+919876543210").source == "tel"
    assert parse_intake("CallTo://+919876543210").source == "callto"
    assert parse_intake("opdial:dial?to=%2B919876543210").source == "opdial"
    assert parse_intake("+91 98765 43210").source == "text"


def test_tel_and_callto_links_do_not_choose_a_call_kind_or_agent() -> None:
    intake = parse_intake("tel:+919876543210")
    assert intake == LinkIntake(
        number=normalise(INDIAN_MOBILE), kind=None, agent=None, note=None, source="tel"
    )


# Our own opdial: links may also name the call kind and, for anonymous dials, the agent's number.


@pytest.mark.parametrize(
    ("link", "kind"),
    [
        ("opdial:dial?to=%2B919876543210&mode=user", CallKind.USER),
        ("opdial:dial?to=+919876543210&mode=ivr", CallKind.IVR),  # a bare + stays a plus, not a space
        ("opdial://dial?to=+14155550123&mode=IVR", CallKind.IVR),
        ("OPDIAL:dial?mode=user&to=098765%2043210", CallKind.USER),
        ("opdial:dial?to=%2B919876543210", None),
        ("opdial:dial/?to=%2B919876543210&mode=", None),
        ("opdial:dial?to=%2B919876543210&mode=ivr&utm_source=crm", CallKind.IVR),  # unknown params ignored
    ],
)
def test_opdial_links_carry_the_call_kind(link: str, kind: CallKind | None) -> None:
    intake = parse_intake(link, "IN")
    assert intake.kind is kind
    assert intake.number.e164 in {INDIAN_MOBILE, "+14155550123"}


def test_an_opdial_anonymous_link_carries_the_agents_number() -> None:
    intake = parse_intake("opdial:dial?to=%2B919876543210&mode=anonymous&agent=%2B14155550123")
    assert intake.kind is CallKind.ANONYMOUS
    assert intake.number.e164 == INDIAN_MOBILE
    assert intake.agent is not None and intake.agent.e164 == "+14155550123"


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("opdial:dial", "The opdial: link says whom to call with to=<number>, and it has none."),
        ("opdial:dial?mode=ivr&to=", "The opdial: link says whom to call with to=<number>, and it has none."),
        ("opdial:hangup?to=%2B919876543210", 'opdial: links can only "dial"'),
        ("opdial:dial?to=%2B919876543210&mode=conference", 'Unknown mode "conference" in the opdial: link'),
        ("opdial:dial?to=12345&mode=ivr", "Customer number: too short for a number in India (IN)."),
        ("opdial:dial?to=%2B919876543210&mode=anonymous&agent=123", "Agent number: too short for a number"),
    ],
)
def test_broken_opdial_links_are_refused_clearly(link: str, reason: str) -> None:
    with pytest.raises(LinkError) as refused:
        parse_intake(link, "IN")
    assert refused.value.reason.startswith(reason)


def test_numbers_normalise_accepts_links_through_the_same_function() -> None:
    assert normalise("tel:+91%2098765%2043210").e164 == INDIAN_MOBILE
    with pytest.raises(NumberError, match="user name"):
        normalise("callto:john.doe")
    assert normalise("tel:+14155550123;ext=42").extension == "42"
    assert normalise("opdial:dial?to=%2B919876543210&mode=ivr").e164 == INDIAN_MOBILE


def test_imports_point_down_links_uses_numbers_and_numbers_never_loads_links() -> None:
    """numbers reads links through link_syntax (below it), so it never imports links (above it)."""
    code = (
        "import sys; from desktop_app import numbers; "
        "n = numbers.normalise('tel:+91-98765-43210'); numbers.check('callto:x'); "
        "numbers.normalise_fast('opdial:dial?to=%2B919876543210'); "
        "print(n.e164, 'desktop_app.links' in sys.modules, 'desktop_app.api.models' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == [INDIAN_MOBILE, "False", "False"]


# Property tests: any valid number, put into a link the way any sender might, survives intake.


def _example_e164s() -> list[str]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None and phonenumbers.is_valid_number(example):
            found.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return found


E164S = _example_e164s()
SCHEMES = st.sampled_from(["tel:", "TEL:", "Tel:", "callto:", "callto://", "CALLTO://", "tel://"])
WRITTEN = st.sampled_from(["e164", "international", "rfc3966"])
SEPARATORS = st.sampled_from([" ", "-", ".", "", "%20", "%2D"])


def _written(e164: str, how: str, separator: str) -> str:
    number = phonenumbers.parse(e164)
    if how == "e164":
        return e164
    if how == "rfc3966":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966).removeprefix("tel:")
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return international.replace(" ", separator).replace("-", separator)


@settings(max_examples=300, deadline=None)
@given(
    e164=st.sampled_from(E164S),
    scheme=SCHEMES,
    how=WRITTEN,
    separator=SEPARATORS,
    encode_plus=st.booleans(),
    extension=st.one_of(st.none(), st.integers(min_value=1, max_value=99999).map(str)),
)
def test_any_valid_number_in_any_link_form_round_trips(
    e164: str, scheme: str, how: str, separator: str, encode_plus: bool, extension: str | None
) -> None:
    body = _written(e164, how, separator)
    if encode_plus:
        body = quote(body, safe="%")  # + becomes %2B, spaces %20
    link = scheme + body + (f";ext={extension}" if extension else "")
    intake = parse_intake(link, "IN")
    assert intake.number.e164 == e164
    assert intake.note == (f"Extension {extension}" if extension else None)


@settings(max_examples=100, deadline=None)
@given(e164=st.sampled_from(E164S), mode=st.sampled_from(list(CallKind)))
def test_any_valid_number_in_an_opdial_link_round_trips(e164: str, mode: CallKind) -> None:
    intake = parse_intake(f"opdial:dial?to={quote(e164)}&mode={mode.value}")
    assert (intake.number.e164, intake.kind) == (e164, mode)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60) | st.builds(lambda s, t: s + t, SCHEMES, st.text(max_size=40)))
def test_intake_of_anything_either_gives_a_number_or_a_link_error(text: str) -> None:
    try:
        intake = parse_intake(text, "IN")
    except LinkError as refused:
        assert refused.reason
    else:
        assert intake.number.e164.startswith("+")


def test_text_that_only_looks_like_a_scheme_after_odd_whitespace_is_refused_not_looped() -> None:
    # Found by fuzzing: a vertical tab before "v:" once bounced between links and numbers forever.
    with pytest.raises(LinkError, match="not v: links"):
        parse_intake("\x0bv:<k 12")
    with pytest.raises(NumberError):
        normalise("\x0bv:<k 12")


@pytest.mark.parametrize(
    "link",
    ["callto:tel:+919876543210", "callto://tel:+919876543210", "tel:+919876543210#from-crm",
     "tel:+919876543210?utm_source=mail", "callto:+919876543210?call"],
)  # fmt: skip
def test_nested_links_fragments_and_queries_are_not_part_of_the_number(link):
    assert parse_intake(link, "IN").number.e164 == "+919876543210"
