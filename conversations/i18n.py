"""Translated texts, money and dates.

Texts live in gettext catalogs managed with Babel
(``conversations/locales/<lang>/LC_MESSAGES/messages.po``). Message ids are
stable keys (``order.country.prompt``); placeholders use ``str.format``
syntax (``{number}``). The ``.po`` files are compiled in memory when first
needed, so no binary ``.mo`` is kept in the tree. Keys are extracted with
``pybabel extract -k gettext -k ngettext:1 -k N_ conversations adapters`` (the test
suite does the same and checks that both catalogs hold every key).
"""

from __future__ import annotations

import gettext as gettext_module
import logging
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

log = logging.getLogger("conversations.i18n")

LOCALES_DIR = Path(__file__).parent / "locales"
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "pl")
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "pl": "Polski"}
FALLBACK_LANGUAGE = "en"

_ALPHA_SYMBOL = re.compile(r"^([A-Z]{3})(?=[\d-])")


def N_(key: str) -> str:
    """Mark a key for extraction where it is looked up later (tables of statuses, fields...)."""
    return key


def normalize_language(locale: str | None) -> str | None:
    """A supported language for a platform locale (``pl-PL``, ``en_US``, ``PL`` -> ``pl``/``en``)."""
    if not locale:
        return None
    language = re.split(r"[-_]", locale.strip(), maxsplit=1)[0].lower()
    return language if language in SUPPORTED_LANGUAGES else None


def catalog_path(language: str) -> Path:
    """Where the ``.po`` catalog of ``language`` lives."""
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


@cache
def _compiled(language: str) -> gettext_module.GNUTranslations:
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


class _Params(dict[str, object]):
    """Placeholder values; a placeholder without a value stays visible instead of failing."""

    def __missing__(self, key: str) -> str:
        log.warning("missing placeholder in message", extra={"placeholder": key})
        return "{" + key + "}"


class Translator:
    """Texts, money and dates in one language (``en`` or ``pl``)."""

    def __init__(self, language: str) -> None:
        self.language = language if language in SUPPORTED_LANGUAGES else FALLBACK_LANGUAGE
        self._own = _compiled(self.language)
        self._fallback = _compiled(FALLBACK_LANGUAGE)

    def gettext(self, key: str, **params: object) -> str:
        """The text for ``key`` with ``params`` filled in."""
        text = self._own.gettext(key)
        if text == key and self.language != FALLBACK_LANGUAGE:
            text = self._fallback.gettext(key)
        return text.format_map(_Params(params)) if params else text

    def ngettext(self, key: str, count: int, **params: object) -> str:
        """The plural form of ``key`` for ``count`` (also available as ``{count}``)."""
        text = self._own.ngettext(key, key, count)
        if text == key and self.language != FALLBACK_LANGUAGE:
            text = self._fallback.ngettext(key, key, count)
        return text.format_map(_Params({"count": count, **params}))

    def money(self, amount: Decimal, currency: str) -> str:
        """``amount`` in ``currency`` as this language writes it (``PLN 25.00``, ``25,00 zł``)."""
        return _money(amount, currency, self.language)

    def date(self, value: date | datetime) -> str:
        """A calendar date, medium length (``Dec 28, 2026``, ``28 gru 2026``)."""
        day = value.date() if isinstance(value, datetime) else value
        return format_date(day, "medium", locale=self.language)

    def language_name(self, language: str) -> str:
        """The name of ``language`` in that language (for the language buttons)."""
        return LANGUAGE_NAMES.get(language, language)


def translator(language: str) -> Translator:
    """The (shared, immutable) translator of ``language``; unknown languages get English."""
    return _translator(language if language in SUPPORTED_LANGUAGES else FALLBACK_LANGUAGE)


@cache
def _translator(language: str) -> Translator:
    return Translator(language)


@lru_cache(maxsize=4096)
def _money(amount: Decimal, currency: str, language: str) -> str:
    try:
        text = format_currency(amount, currency, locale=language)
    except (ValueError, KeyError):
        return f"{format_decimal(amount, locale=language)} {currency}"
    # Babel glues letter codes to the digits ("PLN25.00"); CLDR's spacing rules add a space.
    return _ALPHA_SYMBOL.sub("\\1\u00a0", text)
