"""Phone numbers: parse what people type or paste, refuse what cannot be called, and say why.

Everything goes through ``phonenumbers`` with the profile's default region, so ``098765 43210`` in
India becomes ``+919876543210``. Campaigns normalise 100,000 rows, so the hot path is one
``phonenumbers.parse`` plus ``is_valid_number``; everything a person reads (country, type, formats,
time zones) is computed lazily on first access and cached on the result.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cached_property

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType
from phonenumbers.phonenumberutil import ValidationResult

from desktop_app.link_syntax import LinkSyntaxError, split_link
from desktop_app.numbers_countries import DEFAULT_REGION, NON_GEOGRAPHIC_REGION, country_name

# Text made only of digits and the separators people write between them goes straight to
# phonenumbers; anything else (letters, schemes, extensions) takes the slower careful path.
_PLAIN_NUMBER = re.compile(r"[\d\s+\-.()/\[\]\u2010-\u2015\u2212\uff0b]+")
_URI_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.\-]*:")
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
# "ext. 12", "x12", "extension: 12", ";ext=12", "# 12" at the end of a number, and the words
# other languages and CRMs use: extn, int./intern (German, Dutch), Durchwahl/DW, poste (French),
# ramal (Portuguese), anexo/interno (Spanish, Italian), доб. (Russian), 内線 (Japanese).
_EXTENSION_WORDS = (
    r"extension|extn\.?|ext\.?|x|#|int\.?|intern\.?|durchwahl|dw\.?|poste|ramal|anexo|interno"
    r"|доб\.?|内線"
)
_EXTENSION_SUFFIX = re.compile(
    rf"(?:\s*[;,]?\s*(?:{_EXTENSION_WORDS})\s*[:.=]?|\s*;\s*ext\s*=)\s*(\d{{1,7}})\s*#?\s*$",
    re.IGNORECASE,
)
# A vanity number: digits first (a country or area code), then a word of 3+ keypad letters,
# e.g. "1-800-FLOWERS" or "+1 800 GOT JUNK"; never letters alone.
_VANITY = re.compile(r"(?P<lead>\+?[\d\s\-.()]*\d[\s\-.()]*)(?P<word>[A-Za-z][A-Za-z\s\-.]*[A-Za-z]\d*)")
VANITY_MARK = "\x00vanity:"  # internal: the text had keypad letters turned into digits
_DOUBLE_ZERO = re.compile(r"[\s\-.()/]*00")
# A number as a spreadsheet writes it in scientific notation: 9.19877E+11, or 9,19877E+11 where
# the decimal mark is a comma.
_SCIENTIFIC = re.compile(r"\s*(\+?)(\d+)(?:[.,](\d*))?[eE]\+?(\d{1,3})\s*")
SHORTENED_BY_EXCEL = "Excel shortened this number: format the column as Text and export again."

_TYPE_NAMES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}
TYPE_LABELS: dict[str, str] = {
    "fixed_line": "Landline",
    "mobile": "Mobile",
    "fixed_line_or_mobile": "Landline or mobile",
    "toll_free": "Toll-free",
    "premium_rate": "Premium rate",
    "shared_cost": "Shared cost",
    "voip": "Internet (VoIP)",
    "personal_number": "Personal number",
    "pager": "Pager",
    "uan": "Company number (UAN)",
    "voicemail": "Voicemail",
    "unknown": "Unknown type",
}


class NumberError(ValueError):
    """A number that cannot be called. ``reason`` is one plain sentence for the agent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedNumber:
    """A valid, callable number. ``e164`` is what goes on the wire.

    Only ``e164`` and ``extension`` are stored; the display fields are computed on first use so
    that bulk normalisation stays as fast as a bare ``phonenumbers.parse``. Two results are equal
    when their E.164 form and extension are equal.
    """

    e164: str
    extension: str | None = None
    phone_number: PhoneNumber = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    # Something the agent should see about how the text was read, e.g. letters turned into digits.
    note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.phone_number is None:  # built from an E.164 string by hand, e.g. in tests
            object.__setattr__(self, "phone_number", phonenumbers.parse(self.e164, None))

    def __str__(self) -> str:
        return self.e164

    @cached_property
    def region(self) -> str:
        """ISO 3166 region ("IN"), or "001" for non-geographic services such as +800."""
        number = self.phone_number
        return phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(
            number.country_code
        )

    @cached_property
    def country_name(self) -> str:
        return country_name(self.region)

    @cached_property
    def number_type(self) -> str:
        """mobile, fixed_line, fixed_line_or_mobile, toll_free, voip, premium_rate, … or unknown."""
        return _TYPE_NAMES.get(phonenumbers.number_type(self.phone_number), "unknown")

    @property
    def type_label(self) -> str:
        """The type in words for a person ("Mobile", "Landline", "Toll-free")."""
        return TYPE_LABELS[self.number_type]

    @cached_property
    def national(self) -> str:
        """As dialled inside the country, e.g. "098765 43210"."""
        return phonenumbers.format_number(self.phone_number, PhoneNumberFormat.NATIONAL)

    @cached_property
    def international(self) -> str:
        """Readable international form, e.g. "+91 98765 43210"."""
        return phonenumbers.format_number(self.phone_number, PhoneNumberFormat.INTERNATIONAL)

    @cached_property
    def rfc3966(self) -> str:
        """As a tel: URI, e.g. "tel:+91-98765-43210" (with ";ext=" when there is an extension)."""
        uri = phonenumbers.format_number(self.phone_number, PhoneNumberFormat.RFC3966)
        return f"{uri};ext={self.extension}" if self.extension else uri

    @cached_property
    def time_zones(self) -> tuple[str, ...]:
        """IANA zones the number may be in (phonenumbers' names, e.g. "Asia/Calcutta").

        ("Etc/Unknown",) when phonenumbers cannot tell.
        """
        from phonenumbers import timezone  # 30 ms to import: only when someone asks

        return tuple(timezone.time_zones_for_number(self.phone_number))

    def to_dict(self) -> dict[str, object]:
        """Every field, for ``--json`` output and logs."""
        return {
            "e164": self.e164,
            "region": self.region,
            "country_name": self.country_name,
            "number_type": self.number_type,
            "national": self.national,
            "international": self.international,
            "extension": self.extension,
            "time_zones": list(self.time_zones),
            **({"note": self.note} if self.note else {}),
        }


def is_scientific(text: str) -> bool:
    """Whether ``text`` is a number in scientific notation (9.19877E+11), exact or not."""
    return _SCIENTIFIC.fullmatch(text) is not None


def expand_scientific(text: str) -> str:
    """The digits a number in scientific notation stands for ("9.19876543210E+11" → "919876543210").

    Excel writes a long number in a General column as 9.19877E+11: the last six digits are gone,
    and expanding it would ring a stranger. So a mantissa with fewer digits than the number it
    stands for raises NumberError (SHORTENED_BY_EXCEL); only a mantissa with every digit is exact.
    """
    match = _SCIENTIFIC.fullmatch(text)
    if match is None:
        raise NumberError("That is not a number in scientific notation.")
    plus, whole, fraction, exponent = match.groups()
    fraction = fraction or ""
    try:
        value = Decimal(f"{whole}.{fraction or 0}E{exponent}")
    except InvalidOperation:  # pragma: no cover - the pattern only lets valid decimals through
        raise NumberError("That is not a phone number.") from None
    if value != value.to_integral_value():
        raise NumberError("That is not a whole number, so it is not a phone number.")
    digits = str(int(value))
    written = (whole + fraction).lstrip("0")
    if len(written) < len(digits):
        raise NumberError(SHORTENED_BY_EXCEL)
    return plus + digits


def normalise(text: str, default_region: str | None = DEFAULT_REGION) -> ParsedNumber:
    """Parse ``text`` (a number as typed or pasted, or a tel:/callto: link) into a callable number.

    National numbers are read in ``default_region``. Raises NumberError saying what is wrong.
    """
    if _URI_SCHEME.match(text):
        return _from_link(text, default_region)
    return normalise_number_text(text, default_region)


def _from_link(text: str, default_region: str | None) -> ParsedNumber:
    """The customer number of a tel:, callto: or opdial: link (``links`` adds kind, agent, note)."""
    try:
        parts = split_link(text)
    except LinkSyntaxError as error:
        raise NumberError(error.reason) from None
    number = normalise_number_text(parts.number, default_region)
    return replace(number, extension=parts.extension) if parts.extension else number


def normalise_number_text(text: str, default_region: str | None = DEFAULT_REGION) -> ParsedNumber:
    """``normalise`` for text that is not a link (``links`` calls this after taking a link apart)."""
    number, extension = _parse_valid(text, default_region)
    return ParsedNumber(_e164(number), extension, number, note=vanity_note(text))


def vanity_note(text: str) -> str:
    """'Letters read as digits: FLOWERS → 3569377' for a vanity number, else ''."""
    match = _VANITY.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return ""
    letters = match.group("word")
    return f"Letters read as digits: {letters} → {phonenumbers.convert_alpha_characters_in_number(letters)}"


def normalise_fast(text: str, default_region: str | None = DEFAULT_REGION) -> str:
    """Only the E.164 string: the bulk path for campaigns. Raises NumberError like ``normalise``."""
    if _PLAIN_NUMBER.fullmatch(text):
        # Most rows of a list: one parse and one validity check, nothing else. Anything unusual
        # (invalid, an extension, the 00-retry) falls through to the full path for its reason.
        try:
            number = phonenumbers.parse(text, _region_code(default_region))
        except NumberParseException:
            number = None
        if number is not None and not number.extension and phonenumbers.is_valid_number(number):
            return _e164(number)
    if _URI_SCHEME.match(text):
        return normalise(text, default_region).e164
    number, _extension = _parse_valid(text, default_region)
    return _e164(number)


def check(text: str, default_region: str | None = DEFAULT_REGION) -> ParsedNumber | NumberError:
    """Like ``normalise`` but returns the error instead of raising: for checking while typing."""
    try:
        return normalise(text, default_region)
    except NumberError as error:
        return error


def format_as_you_type(text: str, region: str | None = DEFAULT_REGION) -> str:
    """Format a partly typed number the way people write it in ``region`` ("98765 4321…")."""
    formatter = phonenumbers.AsYouTypeFormatter(_region_code(region) or "ZZ")
    formatted = ""
    for char in text:
        if char.isdecimal() or (char in "+\uff0b" and not formatted):
            formatted = formatter.input_digit(char)
    return formatted


def _e164(number: PhoneNumber) -> str:
    return f"+{number.country_code}{phonenumbers.national_significant_number(number)}"


def _region_code(region: str | None) -> str | None:
    return region.upper() if region else None


def _parse_valid(text: str, default_region: str | None) -> tuple[PhoneNumber, str | None]:
    """The number and its extension, or NumberError. Hot path: one parse, one validity check."""
    region = _region_code(default_region)
    extension: str | None = None
    if is_scientific(text):  # from a spreadsheet: exact digits, or refused as shortened
        text = expand_scientific(text)
    vanity = False
    if not _PLAIN_NUMBER.fullmatch(text):
        text, extension = _split_unusual(text)
        vanity = text.startswith(VANITY_MARK)
        text = text.removeprefix(VANITY_MARK)
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        error = _parse_error(exc, text, region)
        number = None
    else:
        if vanity and number.country_code != 1:  # letters mean digits only on NANP keypads
            raise NumberError(
                "That is not a phone number: it has letters (letters are read as digits only on "
                "North American numbers such as 1-800-FLOWERS)."
            )
        if phonenumbers.is_valid_number(number):
            return _with_extension(number, extension)
        error = _invalid_reason(number)
    # "00" is the international prefix almost everywhere, even where the default region's is not.
    prefix = _DOUBLE_ZERO.match(text)
    if prefix:
        try:
            retried = phonenumbers.parse("+" + text[prefix.end() :], region)
        except NumberParseException:
            raise error from None
        if phonenumbers.is_valid_number(retried):
            return _with_extension(retried, extension)
    raise error


def _with_extension(number: PhoneNumber, extension: str | None) -> tuple[PhoneNumber, str | None]:
    """Keep the extension beside the number, not inside it, so formats show only the number."""
    extension = extension or number.extension or None
    if number.extension:
        number = PhoneNumber(
            country_code=number.country_code,
            national_number=number.national_number,
            italian_leading_zero=number.italian_leading_zero,
            number_of_leading_zeros=number.number_of_leading_zeros,
        )
    return number, extension


def _split_unusual(text: str) -> tuple[str, str | None]:
    """Text with more than digits and separators: split off an extension, refuse letters."""
    if not text.strip():
        raise NumberError("Empty.")
    text = unicodedata.normalize("NFKC", text)  # full-width "ｅｘｔ．１２" → "ext.12"
    extension = None
    match = _EXTENSION_SUFFIX.search(text)
    if match and _DIGIT.search(text, 0, match.start()):
        extension = match.group(1)
        text = text[: match.start()]
    if _VANITY.fullmatch(text.strip()):  # 1-800-FLOWERS: the letters on the keypad
        return VANITY_MARK + phonenumbers.convert_alpha_characters_in_number(text), extension
    if _LETTER.search(text):
        raise NumberError("That is not a phone number: it has letters.")
    return text, extension


def _parse_error(exc: NumberParseException, text: str, region: str | None) -> NumberError:
    kind = exc.error_type
    if kind == NumberParseException.INVALID_COUNTRY_CODE:
        plus = text.find("+")
        if plus < 0:
            plus = text.find("\uff0b")
        if plus >= 0:
            digits = "".join(_DIGIT.findall(text[plus:]))[:3]
            if digits:
                return NumberError(f"Unknown country code +{digits}.")
            return NumberError("There is a + but no country code after it.")
        if region and region not in phonenumbers.SUPPORTED_REGIONS:
            return NumberError(
                f'No country code, and the default country "{region}" is unknown: start with + and the '
                "country code."
            )
        if not region:
            return NumberError("No country code: start with + and the country code.")
        return NumberError("Unknown country code after the international prefix.")
    if kind == NumberParseException.NOT_A_NUMBER:
        if not text.strip():
            return NumberError("Empty.")
        if not _DIGIT.search(text):
            return NumberError("That is not a phone number: it has no digits.")
        if len(_DIGIT.findall(text)) < 3:  # phonenumbers calls 1–2 digits "not a number"
            return _too_short(text, region)
        return NumberError("That is not a phone number.")
    if kind == NumberParseException.TOO_SHORT_AFTER_IDD:
        return NumberError("Too short: too few digits after the international prefix.")
    if kind == NumberParseException.TOO_SHORT_NSN:
        return _too_short(text, region)
    return NumberError("Too long to be a phone number.")


def _too_short(text: str, region: str | None) -> NumberError:
    if "+" in text or "\uff0b" in text:  # the default region says nothing about this number
        return NumberError("Too short to be a phone number.")
    return NumberError(f"Too short for {_where(region)}.")


def _invalid_reason(number: PhoneNumber) -> NumberError:
    reason = phonenumbers.is_possible_number_with_reason(number)
    code = number.country_code
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        return NumberError(f"Unknown country code +{code}.")
    if reason == ValidationResult.TOO_SHORT:
        return NumberError(f"Too short for {_where_for_code(code)}.")
    if reason == ValidationResult.TOO_LONG:
        return NumberError(f"Too long for {_where_for_code(code)}.")
    if reason == ValidationResult.INVALID_LENGTH:
        return NumberError(f"Wrong number of digits for {_where_for_code(code)}.")
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return NumberError(f"Looks like a local number without its area code ({_place_for_code(code)}).")
    # A possible length but no real number: most often a digit missing or extra in a mobile number.
    return NumberError(
        f"Not a valid number in {_place_for_code(code)}: check for a missing or extra digit "
        "(numbers there do not look like this)."
    )


def _where(region: str | None) -> str:
    """ "a number in India (IN)" for the region national numbers are read in."""
    if not region or region not in phonenumbers.SUPPORTED_REGIONS:
        return "a phone number"
    return f"a number in {country_name(region)} ({region})"


def _where_for_code(country_code: int) -> str:
    """ "a number in India (IN)", or "a +1 number (United States and others)" for shared codes."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    if len(regions) == 1 and regions[0] != NON_GEOGRAPHIC_REGION:
        return f"a number in {country_name(regions[0])} ({regions[0]})"
    if len(regions) > 1:
        return f"a +{country_code} number ({country_name(regions[0])} and others)"
    return f"a +{country_code} number"


def _place_for_code(country_code: int) -> str:
    """ "India (IN)", or "the +1 area (United States and others)" for shared codes."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    if len(regions) == 1 and regions[0] != NON_GEOGRAPHIC_REGION:
        return f"{country_name(regions[0])} ({regions[0]})"
    if len(regions) > 1:
        return f"the +{country_code} area ({country_name(regions[0])} and others)"
    return f"the +{country_code} service"
