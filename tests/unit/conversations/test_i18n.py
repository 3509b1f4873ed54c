"""The catalogs: every key the code uses exists in English and Polish, with matching placeholders."""

from __future__ import annotations

import re
import string
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from conversations.i18n import SUPPORTED_LANGUAGES, catalog_path, normalize_language, translator

ROOT = Path(__file__).resolve().parents[3]
KEYWORDS = {"gettext": None, "ngettext": (1,), "N_": None}


def code_keys() -> set[str]:
    """Keys passed to gettext/ngettext/N_ anywhere in ``conversations/`` and ``adapters/``."""
    found = set()
    for folder in ("conversations", "adapters"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / folder), method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def service_codes() -> set[str]:
    """Every ``InvalidInput`` code and ``ServiceError.code`` in ``bot/services``."""
    codes = set()
    for path in (ROOT / "bot" / "services").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        codes.update(re.findall(r'InvalidInput\(\s*"([a-z_.]+)"', source))
        codes.update(re.findall(r'^\s+code = "([a-z_.]+)"', source, flags=re.MULTILINE))
    return codes


def load(language: str) -> Catalog:
    with catalog_path(language).open("rb") as po:
        return read_po(po, locale=language)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def forms(catalog: Catalog, key: str) -> list[str]:
    message = catalog[key]
    assert message is not None, key
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return [str(s) for s in strings]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_key_used_in_code_and_every_service_code_is_translated(language: str) -> None:
    catalog = load(language)
    needed = code_keys() | service_codes()
    assert len(needed) > 250
    missing = sorted(k for k in needed if catalog.get(k) is None or not all(forms(catalog, k)))
    assert missing == []


def test_service_codes_are_found() -> None:
    codes = service_codes()
    for code in (
        "invalid.email",
        "invalid.mask",
        "invalid.file_type",
        "invalid.file_too_big",
        "error.not_yours",
    ):
        assert code in codes


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_catalog_holds_no_unused_keys(language: str) -> None:
    keys = {m.id if isinstance(m.id, str) else m.id[0] for m in load(language) if m.id}
    assert sorted(keys - code_keys() - service_codes()) == []


def test_english_and_polish_have_the_same_keys_and_placeholders() -> None:
    en, pl = load("en"), load("pl")
    en_keys = {m.id if isinstance(m.id, str) else m.id[0] for m in en if m.id}
    pl_keys = {m.id if isinstance(m.id, str) else m.id[0] for m in pl if m.id}
    assert en_keys == pl_keys
    for key in en_keys:
        expected = placeholders(forms(en, key)[0])
        for text in forms(en, key) + forms(pl, key):
            assert placeholders(text) == expected, (key, text)


def test_plural_forms() -> None:
    assert len(forms(load("en"), "common.months")) == 2
    assert len(forms(load("pl"), "common.months")) == 3


@pytest.mark.parametrize(
    ("count", "english", "polish"),
    [
        (1, "1 month", "1 miesiąc"),
        (2, "2 months", "2 miesiące"),
        (5, "5 months", "5 miesięcy"),
        (12, "12 months", "12 miesięcy"),
        (22, "22 months", "22 miesiące"),
        (25, "25 months", "25 miesięcy"),
    ],
)
def test_months_in_both_languages(count: int, english: str, polish: str) -> None:
    assert translator("en").ngettext("common.months", count) == english
    assert translator("pl").ngettext("common.months", count) == polish


def test_money_and_dates_follow_the_locale() -> None:
    en, pl = translator("en"), translator("pl")
    assert en.money(Decimal("25.0"), "PLN") == "PLN\u00a025.00"
    assert pl.money(Decimal("25.0"), "PLN") == "25,00\u00a0zł"
    assert en.money(Decimal("100"), "USD") == "$100.00"
    assert en.date(date(2026, 12, 28)) == "Dec 28, 2026"
    assert pl.date(date(2026, 12, 28)) == "28 gru 2026"


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("pl", "pl"),
        ("pl-PL", "pl"),
        ("PL", "pl"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("de", None),
        ("", None),
        (None, None),
    ],
)
def test_platform_locales(locale: str | None, language: str | None) -> None:
    assert normalize_language(locale) == language


def test_missing_placeholder_stays_visible() -> None:
    assert translator("en").gettext("order.number.chosen") == "👍 {number} chosen."
    assert translator("en").gettext("order.number.chosen", other="x") == "👍 {number} chosen."


def test_unknown_language_falls_back_to_english() -> None:
    assert translator("de").gettext("menu.title") == "What would you like to do?"


def test_no_literal_key_hides_inside_an_f_string() -> None:
    # The extractor cannot see into f-strings, so a key there would escape the checks above.
    for path in (ROOT / "conversations").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"""f(["']).*gettext\(\s*["']""", source), path
