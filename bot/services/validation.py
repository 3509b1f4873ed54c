"""Validation of what users type, one rule per field, with the message id that explains it.

Each validator returns the normalised value or raises :class:`InvalidInput`
whose ``code`` names a message saying what is expected.
"""

from __future__ import annotations

import re
from datetime import date

from babel import Locale

from bot.services.errors import InvalidInput

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9]{7,15}$")
_CALLER_NAME = re.compile(r"^[A-Za-z0-9 ]{1,30}$")
_SIP_LOGIN = re.compile(r"^[0-9]{5,7}$")
_SIP_URI = re.compile(
    r"^[A-Za-z0-9._+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]{1,63})*(?::[0-9]{1,5})?$"
)
_DIGITS = re.compile(r"^[0-9]{1,15}$")
_NOT_COUNTRIES = {"ZZ", "QO", "EU", "EZ", "UN"}
_ISO_COUNTRIES = frozenset(
    code
    for code in (str(c) for c in Locale("en").territories)
    if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)

SALUTATIONS = ("MR", "MS", "COMPANY")
ID_TYPES = ("PASSPORT", "DNI", "NIE", "RESIDENCE_PERMIT", "NATIONAL_ID_CARD", "BUSINESS_REGISTRATION")


def email(value: str) -> str:
    """An e-mail address."""
    text = value.strip()
    if len(text) > 254 or not _EMAIL.match(text):
        raise InvalidInput("invalid.email")
    return text


def phone(value: str) -> str:
    """A phone number in international form: 7-15 digits; spaces, dashes and brackets are dropped."""
    text = re.sub(r"[\s\-().]", "", value.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if not _PHONE.match(text):
        raise InvalidInput("invalid.phone")
    return text.lstrip("+")


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
    code = value.strip().upper()
    if code not in _ISO_COUNTRIES:
        raise InvalidInput("invalid.country")
    return code


def past_date(value: str) -> str:
    """A date ``YYYY-MM-DD`` that is not in the future."""
    text = value.strip()
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("invalid.date") from None
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", text) or parsed.year < 1900:
        raise InvalidInput("invalid.date")
    if parsed > date.today():  # noqa: DTZ011 - a calendar date typed by a person
        raise InvalidInput("invalid.date_future")
    return parsed.isoformat()


def salutation(value: str) -> str:
    """``MR``, ``MS`` or ``COMPANY``."""
    text = value.strip().upper()
    if text not in SALUTATIONS:
        raise InvalidInput("invalid.choice")
    return text


def id_type(value: str) -> str:
    """A document type for the id number."""
    text = value.strip().upper()
    if text not in ID_TYPES:
        raise InvalidInput("invalid.choice")
    return text


def text(value: str, max_length: int = 100) -> str:
    """Non-empty free text of bounded length."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidInput("invalid.empty")
    if len(cleaned) > max_length:
        raise InvalidInput("invalid.too_long", max=max_length)
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
    """A SIP login of the account (``00001``) or an external SIP URI (``user@host[:port]``)."""
    cleaned = value.strip()
    if cleaned.lower().startswith("sip:"):
        cleaned = cleaned[4:]
    if cleaned in known_logins:
        return cleaned
    if _SIP_LOGIN.match(cleaned):
        raise InvalidInput("invalid.sip_login")
    if not _SIP_URI.match(cleaned):
        raise InvalidInput("invalid.sip_uri")
    port = cleaned.rpartition(":")[2] if ":" in cleaned else ""
    if port and not 0 < int(port) < 65536:
        raise InvalidInput("invalid.sip_uri")
    return cleaned


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


FIELD_VALIDATORS = {
    "email": email,
    "phone": phone,
    "country": country,
    "nationality": country,
    "date_of_birth": past_date,
    "issuing_date": past_date,
    "salutation": salutation,
    "type_of_id": id_type,
}


def group_field(name: str, value: str) -> str:
    """Validate one document-group form answer by field name."""
    validator = FIELD_VALIDATORS.get(name)
    if validator is not None:
        return validator(value)
    return text(value, 200 if name in {"address", "organization_description"} else 100)
