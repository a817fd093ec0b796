"""Phone numbers: what agents type or paste becomes E.164, or a refusal that says what is wrong.

All numbers here are fictional (Ofcom drama range +44 20 7946 0xxx, US 555-01xx, Indian examples).
"""

from __future__ import annotations

import subprocess
import sys

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.numbers import (
    NumberError,
    ParsedNumber,
    check,
    country_name,
    format_as_you_type,
    normalise,
    normalise_fast,
)

INDIAN_MOBILE = "+919876543210"


@pytest.mark.parametrize(
    "typed",
    [
        "098765 43210",
        "9876543210",
        "+91-98765-43210",
        "0091 98765 43210",
        "(0)98765 43210",
        "+91.98765.43210",
        "+91 (0) 98765 43210",
        "+91 98765 43210",
        "919876543210",  # a CRM export that dropped the +
        "  +91 98765 43210  ",
        "+91\u00a098765\u00a043210",  # non-breaking spaces from a web page
        "+91\u201198765\u201143210",  # non-breaking hyphens from a word processor
        "tel:+91%2098765%2043210",
    ],
)
def test_the_ways_people_write_an_indian_mobile_all_become_one_e164(typed: str) -> None:
    assert normalise(typed, "IN").e164 == INDIAN_MOBILE


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("+44 (0)20 7946 0000", "IN", "+442079460000"),
        ("0044 20 7946 0000", "IN", "+442079460000"),
        ("020 7946 0000", "GB", "+442079460000"),
        ("(415) 555-0123", "US", "+14155550123"),
        ("011 44 20 7946 0000", "US", "+442079460000"),  # the default region's own international prefix
        ("0044 20 7946 0000", "US", "+442079460000"),  # "00" is understood even where it is not the prefix
        ("+1 415 555 0123", "in", "+14155550123"),  # region letter case does not matter
        ("+14155550123", None, "+14155550123"),  # no default region needed with a country code
    ],
)
def test_international_prefixes_and_other_countries(typed: str, region: str | None, e164: str) -> None:
    assert normalise(typed, region).e164 == e164


@pytest.mark.parametrize(
    ("typed", "region", "reason"),
    [
        ("", "IN", "Empty."),
        ("   ", "IN", "Empty."),
        ("12345", "IN", "Too short for a number in India (IN)."),
        ("1", "IN", "Too short for a number in India (IN)."),
        ("+91 98765", "IN", "Too short for a number in India (IN)."),
        ("+91 98765 43210 1234", "IN", "Too long for a number in India (IN)."),
        ("+999 1234567", "IN", "Unknown country code +999."),
        ("+91 98765 ABCDE", "IN", "That is not a phone number: it has letters (letters are read as digits"),
        ("Call me", "US", "That is not a phone number: it has letters."),
        ("call me", "IN", "That is not a phone number: it has letters."),
        ("---", "IN", "That is not a phone number: it has no digits."),
        ("+", "IN", "That is not a phone number: it has no digits."),
        ("+1", "IN", "Too short to be a phone number."),
        ("4155550123", None, "No country code: start with + and the country code."),
        ("4155550123", "XX", 'No country code, and the default country "XX" is unknown'),
        ("+1 415 555 0123 4567", "IN", "Too long for a +1 number (United States and others)."),
        (
            "+91 55555 55555",
            "IN",
            "Not a valid number in India (IN): check for a missing or extra digit "
            "(numbers there do not look like this).",
        ),
        ("+1 123 555 0123", "IN", "Not a valid number in the +1 area (United States and others)"),
        ("9" * 300, "IN", "Too long to be a phone number."),
    ],
)
def test_numbers_that_cannot_be_called_are_refused_with_a_reason(
    typed: str, region: str | None, reason: str
) -> None:
    with pytest.raises(NumberError) as refused:
        normalise(typed, region)
    assert refused.value.reason.startswith(reason)
    assert str(refused.value) == refused.value.reason
    assert isinstance(refused.value, ValueError)


def test_a_parsed_number_tells_everything_the_agent_sees() -> None:
    number = normalise("098765 43210", "IN")
    assert number.e164 == INDIAN_MOBILE
    assert number.region == "IN"
    assert number.country_name == "India"
    assert number.number_type == "mobile"
    assert number.type_label == "Mobile"
    assert number.national == "098765 43210"
    assert number.international == "+91 98765 43210"
    assert number.rfc3966 == "tel:+91-98765-43210"
    assert number.extension is None
    assert set(number.time_zones) & {"Asia/Calcutta", "Asia/Kolkata"}
    assert str(number) == INDIAN_MOBILE
    assert number.to_dict()["country_name"] == "India"


def test_number_types_other_than_mobile() -> None:
    assert normalise("+44 20 7946 0000").number_type == "fixed_line"
    assert normalise("+1 800 555 0199").number_type == "toll_free"
    assert normalise("+1 415 555 0123").number_type == "fixed_line_or_mobile"
    assert normalise("+800 1234 5678").region == "001"
    assert normalise("+800 1234 5678").country_name == "International service"


@pytest.mark.parametrize(
    "typed",
    ["+1 415 555 0123 ext. 45", "+1 415 555 0123 x45", "+1 415 555 0123;ext=45", "+1 415 555 0123 #45"],
)
def test_an_extension_is_kept_apart_from_the_number(typed: str) -> None:
    number = normalise(typed, "US")
    assert number.e164 == "+14155550123"
    assert number.extension == "45"
    assert number.international == "+1 415-555-0123"
    assert number.rfc3966 == "tel:+1-415-555-0123;ext=45"


def test_equal_numbers_compare_equal_however_they_were_written() -> None:
    assert normalise("098765 43210") == normalise("+91 98765 43210") == ParsedNumber(INDIAN_MOBILE)
    assert normalise("+1 415 555 0123 x1") != normalise("+1 415 555 0123")


def test_check_returns_the_problem_instead_of_raising_for_live_typing() -> None:
    partial = check("98765", "IN")
    assert isinstance(partial, NumberError)
    assert partial.reason == "Too short for a number in India (IN)."
    complete = check("98765 43210", "IN")
    assert isinstance(complete, ParsedNumber)
    assert complete.e164 == INDIAN_MOBILE


def test_the_fast_path_gives_the_same_e164_and_the_same_refusals() -> None:
    assert normalise_fast("0091 98765 43210", "IN") == INDIAN_MOBILE
    assert normalise_fast("tel:+44-20-7946-0000", "IN") == "+442079460000"
    with pytest.raises(NumberError, match="Too short"):
        normalise_fast("12345", "IN")


@pytest.mark.parametrize(
    ("typed", "region", "shown"),
    [
        ("9876543210", "IN", "98765 43210"),
        ("98765", "IN", "98765"),
        ("+14155550123", "IN", "+1 415-555-0123"),
        ("4155550123", "US", "(415) 555-0123"),
        ("+91 98-76", "IN", "+91 9876"),
        ("", "IN", ""),
    ],
)
def test_format_as_you_type(typed: str, region: str, shown: str) -> None:
    assert format_as_you_type(typed, region) == shown


def test_every_region_phonenumbers_knows_has_a_country_name() -> None:
    unnamed = [r for r in phonenumbers.SUPPORTED_REGIONS if country_name(r) == r]
    assert unnamed == []
    assert country_name("GB") == "United Kingdom"
    assert country_name("zz") == "ZZ"


def test_showing_a_country_name_does_not_load_the_heavy_geocoder() -> None:
    code = (
        "import sys; from desktop_app.numbers import normalise; n = normalise('+442079460000'); "
        "n.country_name; n.time_zones; print('phonenumbers.geocoder' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# Property tests: every valid number, written any way phonenumbers itself would write it and with any
# separators people use, comes back to the same E.164.


def _example_numbers() -> list[phonenumbers.PhoneNumber]:
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in kinds:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and phonenumbers.is_valid_number(example):
                found.append(example)
    return found


EXAMPLES = _example_numbers()
SEPARATORS = st.sampled_from([" ", "-", ".", "", "  ", "\u00a0", " - "])
FORMATS = st.sampled_from(
    [
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.NATIONAL,
        phonenumbers.PhoneNumberFormat.RFC3966,
    ]
)


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(number=st.sampled_from(EXAMPLES), form=FORMATS, separator=SEPARATORS)
def test_any_valid_number_in_any_written_form_round_trips(
    number: phonenumbers.PhoneNumber, form: int, separator: str
) -> None:
    region = phonenumbers.region_code_for_number(number)
    written = phonenumbers.format_number(number, form)
    if form != phonenumbers.PhoneNumberFormat.RFC3966:
        written = written.replace(" ", separator).replace("-", separator)
    assert normalise(written, region).e164 == _e164(number)
    assert normalise_fast(written, region) == _e164(number)


@settings(max_examples=100, deadline=None)
@given(number=st.sampled_from(EXAMPLES), default=st.sampled_from(["IN", "US", "GB", "DE", "AE", None]))
def test_an_international_number_does_not_depend_on_the_default_region(
    number: phonenumbers.PhoneNumber, default: str | None
) -> None:
    written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert normalise(written, default).e164 == _e164(number)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_check_never_raises_whatever_is_typed(text: str) -> None:
    result = check(text, "IN")
    assert isinstance(result, (ParsedNumber, NumberError))
    if isinstance(result, NumberError):
        assert result.reason.endswith(".")
    else:
        assert result.e164.startswith("+") and result.e164[1:].isdigit()


@pytest.mark.parametrize(
    ("text", "e164", "note"),
    [
        ("1-800-FLOWERS", "+18003569377", "Letters read as digits: FLOWERS → 3569377"),
        ("+1 800 GOT JUNK", "+18004685865", "Letters read as digits: GOT JUNK → 468 5865"),
    ],
)
def test_letters_on_a_north_american_vanity_number_are_read_as_digits_and_said(text, e164, note):
    parsed = normalise(text, "US")
    assert parsed.e164 == e164 and parsed.note == note


@pytest.mark.parametrize(
    "text",
    ["+91 98765 43210 extn 12", "+91 98765 43210 int. 12", "+91 98765 43210 Durchwahl 12",
     "+91 98765 43210 poste 12", "+91 98765 43210 ramal 12", "＋９１ ９８７６５ ４３２１０ ｅｘｔ．１２"],
)  # fmt: skip
def test_extension_words_of_other_languages_and_crms_and_full_width_forms(text):
    parsed = normalise(text, "IN")
    assert (parsed.e164, parsed.extension) == ("+919876543210", "12")
