"""Pure helpers that turn service values into words: numbers, statuses, document types, fields."""

from __future__ import annotations

import re
from functools import cache, lru_cache

import phonenumbers
from babel import Locale

from bot.services.types import DirectNumber
from conversations.i18n import N_, Translator

STATUS_KEYS: dict[str, str] = {
    "on": N_("status.on"),
    "parking": N_("status.parking"),
    "checking": N_("status.checking"),
    "checking_upload": N_("status.checking_upload"),
    "reserved_on": N_("status.reserved_on"),
    "reserved_checking": N_("status.reserved_checking"),
    "reserved_checking_upload": N_("status.reserved_checking_upload"),
}

RESERVED_ICON = "📌"  # held until the balance is topped up: not active, whatever follows the prefix

DOCUMENT_TYPE_KEYS: dict[str, str] = {
    "passport": N_("doctype.passport"),
    "receipt": N_("doctype.receipt"),
    "contract": N_("doctype.contract"),
    "company_letter": N_("doctype.company_letter"),
    "phone_bill": N_("doctype.phone_bill"),
    "photo_with_doc": N_("doctype.photo_with_doc"),
    "photo_with_passport": N_("doctype.photo_with_passport"),
    "certificate": N_("doctype.certificate"),
    "inn_ua": N_("doctype.inn_ua"),
    "driver_id_us_ca": N_("doctype.driver_id_us_ca"),
    "driver_id_other": N_("doctype.driver_id_other"),
}

# Label and hint of each document-group field the form may ask for.
FIELD_KEYS: dict[str, tuple[str, str]] = {
    "salutation": (N_("field.salutation"), N_("field.salutation.hint")),
    "first_name": (N_("field.first_name"), N_("field.first_name.hint")),
    "middle_name": (N_("field.middle_name"), N_("field.middle_name.hint")),
    "last_name": (N_("field.last_name"), N_("field.last_name.hint")),
    "email": (N_("field.email"), N_("field.email.hint")),
    "phone": (N_("field.phone"), N_("field.phone.hint")),
    "country": (N_("field.country"), N_("field.country.hint")),
    "nationality": (N_("field.nationality"), N_("field.nationality.hint")),
    "date_of_birth": (N_("field.date_of_birth"), N_("field.date_of_birth.hint")),
    "city": (N_("field.city"), N_("field.city.hint")),
    "region": (N_("field.region"), N_("field.region.hint")),
    "zip_code": (N_("field.zip_code"), N_("field.zip_code.hint")),
    "street": (N_("field.street"), N_("field.street.hint")),
    "street_code": (N_("field.street_code"), N_("field.street_code.hint")),
    "municipality_code": (N_("field.municipality_code"), N_("field.municipality_code.hint")),
    "building_number": (N_("field.building_number"), N_("field.building_number.hint")),
    "building_letter": (N_("field.building_letter"), N_("field.building_letter.hint")),
    "address": (N_("field.address"), N_("field.address.hint")),
    "organization": (N_("field.organization"), N_("field.organization.hint")),
    "organization_description": (
        N_("field.organization_description"),
        N_("field.organization_description.hint"),
    ),
    "organization_reg_number": (
        N_("field.organization_reg_number"),
        N_("field.organization_reg_number.hint"),
    ),
    "type_of_id": (N_("field.type_of_id"), N_("field.type_of_id.hint")),
    "id_number": (N_("field.id_number"), N_("field.id_number.hint")),
    "issuing_authority": (N_("field.issuing_authority"), N_("field.issuing_authority.hint")),
    "issuing_date": (N_("field.issuing_date"), N_("field.issuing_date.hint")),
}

CHOICE_KEYS: dict[str, str] = {
    "MR": N_("choice.MR"),
    "MS": N_("choice.MS"),
    "COMPANY": N_("choice.COMPANY"),
    "PASSPORT": N_("choice.PASSPORT"),
    "DNI": N_("choice.DNI"),
    "NIE": N_("choice.NIE"),
    "RESIDENCE_PERMIT": N_("choice.RESIDENCE_PERMIT"),
    "NATIONAL_ID_CARD": N_("choice.NATIONAL_ID_CARD"),
    "BUSINESS_REGISTRATION": N_("choice.BUSINESS_REGISTRATION"),
}

STATUS_ICONS: dict[str, str] = {
    "on": "✅",
    "parking": "⏸",
    "checking": "⏳",
    "checking_upload": "📄",
}


@cache
def _english_territories() -> dict[str, str]:
    return {name.casefold(): code for code, name in Locale("en").territories.items() if len(code) == 2}


def country_name(tr: Translator, english: str) -> str:
    """A country the API names in English (``Poland``), in ``tr``'s language (``Polska``)."""
    code = _english_territories().get(english.strip().casefold())
    if code is None:
        return english
    return str(Locale.parse(tr.language).territories.get(code, english))


def address_text(tr: Translator, address: str | None, city: str | None, country: str | None) -> str:
    """One postal address line: the street address, then the city and the country where not already in it.

    ``ul. Floriańska 1, 31-001 Kraków`` + ``Kraków`` + ``PL`` -> ``ul. Floriańska 1, 31-001 Kraków, Poland``.
    """
    parts = [address.strip()] if address and address.strip() else []
    said = " ".join(parts).casefold()
    if city and city.strip() and not re.search(rf"(?<!\w){re.escape(city.strip().casefold())}(?!\w)", said):
        parts.append(city.strip())
    if country and country.strip():
        name = territory_name(tr, country) if len(country.strip()) == 2 else country.strip()
        if name.casefold() not in said:
            parts.append(name)
    return ", ".join(parts)


def territory_name(tr: Translator, code: str) -> str:
    """A country by its ISO code (``PL``), in ``tr``'s language (``Polska``); unknown codes as given."""
    return str(Locale.parse(tr.language).territories.get(code.strip().upper(), code))


@lru_cache(maxsize=4096)
def format_phone(number: str) -> str:
    """A number for humans: ``48223071234`` -> ``+48 22 307 12 34`` (``+digits`` when unknown)."""
    digits = number.strip().lstrip("+")
    if not digits.isdigit():
        return number
    try:
        parsed = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return "+" + digits
    if not phonenumbers.is_possible_number(parsed):
        return "+" + digits
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def status_text(tr: Translator, status: str) -> str:
    """A number's status in words with an icon (unknown statuses are shown as they come)."""
    key = STATUS_KEYS.get(status)
    if key is None:
        return status
    icon = RESERVED_ICON if status.startswith("reserved_") else STATUS_ICONS.get(status, "")
    return f"{icon} {tr.gettext(key)}".strip()


def document_type_text(tr: Translator, document_type: str) -> str:
    """A document type in words."""
    key = DOCUMENT_TYPE_KEYS.get(document_type)
    return tr.gettext(key) if key else document_type


def field_label(tr: Translator, name: str) -> str:
    """A document-group field's name in words."""
    keys = FIELD_KEYS.get(name)
    return tr.gettext(keys[0]) if keys else name


def field_hint(tr: Translator, name: str) -> str:
    """What a document-group field expects, with an example."""
    keys = FIELD_KEYS.get(name)
    return tr.gettext(keys[1]) if keys else ""


def choice_text(tr: Translator, value: str) -> str:
    """A salutation or id type in words."""
    key = CHOICE_KEYS.get(value)
    return tr.gettext(key) if key else value


def yes_no(tr: Translator, value: bool) -> str:
    """``yes``/``no`` in words."""
    return tr.gettext("common.yes") if value else tr.gettext("common.no")


def on_off(tr: Translator, value: bool) -> str:
    """``on``/``off`` in words."""
    return tr.gettext("common.on") if value else tr.gettext("common.off")


def sip_text(tr: Translator, sip: str | None, sip_name: str | None, test_mode: bool) -> str:
    """Where calls go: ``SIP 00001 (Office)``, an external URI, or not connected yet."""
    if not sip:
        return tr.gettext("number.sip_none")
    target = f"{sip} ({sip_name})" if sip_name else sip
    if test_mode:
        target = tr.gettext("number.sip_test", target=target)
    return target


def number_card_lines(tr: Translator, record: DirectNumber, caller_name: str | None = None) -> list[str]:
    """A number's card: status, expiry, renewal, fee, SIP target, caller name (when set), SMS."""
    place = ", ".join(p for p in (record.description, country_name(tr, record.country)) if p)
    parts = [f"📱 {format_phone(record.number)}"]
    if place:
        parts.append(f"🌍 {place}")
    parts.append(tr.gettext("number.status", status=status_text(tr, record.status)))
    if record.stop_date is not None:
        parts.append(tr.gettext("number.paid_until", date=tr.date(record.stop_date)))
    parts.append(tr.gettext("number.autorenew", value=on_off(tr, record.autorenew)))
    if record.currency:
        parts.append(tr.gettext("number.monthly_fee", amount=tr.money(record.monthly_fee, record.currency)))
    parts.append(
        tr.gettext("number.sip", target=sip_text(tr, record.sip, record.sip_name, record.is_on_test))
    )
    if caller_name:
        parts.append(tr.gettext("number.caller_name", name=caller_name))
    if record.receive_sms is not None:
        parts.append(tr.gettext("number.sms", value=on_off(tr, record.receive_sms)))
    return parts
