"""The seeded catalogue: countries, directions and the free-number market."""

from __future__ import annotations

import re
from decimal import Decimal

from bot.sandbox import build_catalog
from bot.sandbox.documents import DOCUMENT_TYPES, GROUP_FIELDS
from bot.sandbox.money import RATES_TO_USD


def test_has_the_eight_countries_with_dial_codes_and_polish_names() -> None:
    catalog = build_catalog()
    expected = {"PL": "48", "DE": "49", "GB": "44", "US": "1", "ES": "34", "FR": "33", "NL": "31", "RU": "7"}
    assert {iso: c.dial_code for iso, c in catalog.countries.items()} == expected
    assert catalog.countries["PL"].name("pl") == "Polska"
    assert catalog.countries["DE"].name("pl") == "Niemcy"
    assert catalog.countries["DE"].name("en") == "Germany"
    assert catalog.countries["DE"].name(None) == "Germany"


def test_one_direction_has_a_text_id_and_requirements_outside_the_vocabulary() -> None:
    catalog = build_catalog()
    moscow = catalog.directions["ru495"]
    assert moscow.id == "ru495" and moscow.country_iso == "RU" and moscow.prefix == "7495"
    assert "proof_of_residence" in moscow.upload and "proof_of_residence" not in DOCUMENT_TYPES
    assert "tax_id" in moscow.specify and "tax_id" not in GROUP_FIELDS
    assert moscow.known_uploads == ("passport",) and moscow.info_fields == ("address",)
    assert all(n.direction_id == "ru495" for n in catalog.initial_market["ru495"])


def test_directions_are_priced_in_the_account_currency_unless_mixed_currencies_are_asked_for() -> None:
    priced = build_catalog().directions
    mixed = build_catalog(mixed_currencies=True).directions
    assert {d.currency for d in priced.values()} == {"USD"}
    # Warsaw's table fees, 20 + 25 PLN, are offered as 5.00 + 6.25 USD; the mixed catalogue keeps PLN
    assert (priced[3001].connect_fee, priced[3001].monthly_fee) == (Decimal("5.00"), Decimal("6.25"))
    assert (mixed[3001].connect_fee, mixed[3001].monthly_fee, mixed[3001].currency) == (
        Decimal("20.00"),
        Decimal("25.00"),
        "PLN",
    )
    assert priced[3301].monthly_fee == mixed[3301].monthly_fee == Decimal("5.00")  # USD rows unchanged


def test_directions_are_varied_and_use_the_documented_vocabulary() -> None:
    catalog = build_catalog()
    directions = [d for d in catalog.directions.values() if d.country_iso != "RU"]
    assert all(isinstance(d.id, int) and d.id >= 3000 for d in directions)
    mixed = [d for d in build_catalog(mixed_currencies=True).directions.values() if d.country_iso != "RU"]
    assert {d.currency for d in mixed} == set(RATES_TO_USD)
    assert any(d.receive_sms for d in directions) and any(not d.receive_sms for d in directions)
    assert any(d.is_toll for d in directions)
    assert any(not d.upload and not d.specify for d in directions)
    assert any(d.upload for d in directions)
    for d in directions:
        assert set(d.upload) <= set(DOCUMENT_TYPES)
        assert set(d.specify) <= set(GROUP_FIELDS) | {"purpose"}
    for iso in set(catalog.countries) - {"RU"}:
        names = {d.name_en for d in catalog.directions_in(iso)}
        assert len(names) >= 5, iso
        assert any("Toll-free" in n for n in names), iso
    polish_cities = {d.name_en: d.area_code for d in catalog.directions_in("PL")}
    assert (
        polish_cities["Warsaw"] == "22" and polish_cities["Kraków"] == "12" and polish_cities["Łódź"] == "42"
    )
    # US, GB and NL city numbers need nothing
    for iso, city in (("US", "New York"), ("GB", "London"), ("NL", "Amsterdam")):
        d = next(d for d in catalog.directions_in(iso) if d.name_en == city)
        assert d.upload == () and d.specify == ()


def test_market_has_hundreds_of_realistic_unique_numbers() -> None:
    catalog = build_catalog()
    numbers = [n for free in catalog.initial_market.values() for n in free]
    assert len(numbers) > 500
    assert len({n.id for n in numbers}) == len(numbers)
    assert len({n.number for n in numbers}) == len(numbers)
    for direction_id, free in catalog.initial_market.items():
        direction = catalog.directions[direction_id]
        assert 30 <= len(free) <= 60
        for n in free:
            assert n.direction_id == direction_id
            assert n.number.startswith(direction.dial_code + direction.area_code)
            assert re.fullmatch(r"[0-9]{7,15}", n.number)
            assert len(n.number) == len(direction.prefix) + direction.subscriber_digits
            assert re.fullmatch(r"[0-9A-Za-z]{15,30}", n.id)


def test_same_seed_same_market_other_seed_other_market() -> None:
    first, again, other = build_catalog(7), build_catalog(7), build_catalog(8)
    assert first.initial_market == again.initial_market
    assert first.initial_market != other.initial_market
    assert first.directions == other.directions
