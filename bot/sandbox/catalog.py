"""The emulator's seeded catalogue: countries, directions and free numbers.

Directions (cities, national, mobile and toll-free ranges) are a fixed table
so prices and requirements are stable across runs; the free numbers and
their opaque ids come from ``random.Random(seed)``, so one seed always gives
the same market.

``restrictions.upload`` lists document types (see
:data:`bot.sandbox.documents.DOCUMENT_TYPES`); ``restrictions.specify`` lists
document-group field names that must be filled in (``address`` also means the
group's country must be the direction's country) plus ``purpose``, which is
given when ordering.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal

from bot.sandbox.documents import DOCUMENT_TYPES, GROUP_FIELDS
from bot.sandbox.money import ACCOUNT_CURRENCY, convert

DEFAULT_SEED = 20240601
PURPOSE = "purpose"

#: A direction's id as the API gives it: mostly a number, sometimes text such as ``ru495``.
DirectionId = int | str
_DIRECTION_TEXT_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def parse_direction_id(raw: str) -> DirectionId | None:
    """A direction id read from a request: digits as a number, a short code (``ru495``) as text."""
    text = raw.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    return text if _DIRECTION_TEXT_ID.match(text) else None


@dataclass(frozen=True)
class Country:
    """A country numbers can be ordered in."""

    iso: str
    dial_code: str
    name_en: str
    name_pl: str

    def name(self, language: str | None) -> str:
        """The name in ``language`` (``pl`` is Polish, anything else English)."""
        return self.name_pl if language == "pl" else self.name_en


@dataclass(frozen=True)
class Direction:
    """An orderable range of numbers (a city, national, mobile or toll-free range)."""

    id: DirectionId
    country_iso: str
    dial_code: str
    name_en: str
    name_pl: str
    area_code: str
    subscriber_digits: int
    connect_fee: Decimal
    monthly_fee: Decimal
    currency: str
    upload: tuple[str, ...] = ()
    specify: tuple[str, ...] = ()
    receive_sms: bool = False
    is_toll: bool = False
    feature: str | None = None
    connect_time: int = 0

    def name(self, language: str | None) -> str:
        """The name in ``language`` (``pl`` is Polish, anything else English)."""
        return self.name_pl if language == "pl" else self.name_en

    @property
    def info_fields(self) -> tuple[str, ...]:
        """The ``specify`` entries that are document-group fields (not ``purpose``, nor unknown names)."""
        return tuple(f for f in self.specify if f in GROUP_FIELDS)

    @property
    def known_uploads(self) -> tuple[str, ...]:
        """The ``upload`` entries that are document types the upload call accepts."""
        return tuple(t for t in self.upload if t in DOCUMENT_TYPES)

    @property
    def needs_address(self) -> bool:
        """Whether the group's address must be in this direction's country."""
        return "address" in self.specify

    @property
    def needs_purpose(self) -> bool:
        """Whether ordering requires a ``purpose`` text."""
        return PURPOSE in self.specify

    @property
    def prefix(self) -> str:
        """Country dial code plus area code: the start of every number here."""
        return self.dial_code + self.area_code


@dataclass(frozen=True)
class FreeNumber:
    """A number on the market: its opaque order id, direction and digits."""

    id: str
    direction_id: DirectionId
    number: str


@dataclass(frozen=True)
class Catalog:
    """Countries and directions in display order, plus the initial market."""

    countries: dict[str, Country]
    directions: dict[DirectionId, Direction]
    initial_market: dict[DirectionId, tuple[FreeNumber, ...]] = field(default_factory=dict)

    def directions_in(self, iso: str) -> list[Direction]:
        """The directions of one country, in catalogue order."""
        return [d for d in self.directions.values() if d.country_iso == iso]

    def country_of(self, direction: Direction) -> Country:
        """The country a direction belongs to."""
        return self.countries[direction.country_iso]


_COUNTRIES = (
    Country("PL", "48", "Poland", "Polska"),
    Country("DE", "49", "Germany", "Niemcy"),
    Country("GB", "44", "United Kingdom", "Wielka Brytania"),
    Country("US", "1", "United States", "Stany Zjednoczone"),
    Country("ES", "34", "Spain", "Hiszpania"),
    Country("FR", "33", "France", "Francja"),
    Country("NL", "31", "Netherlands", "Holandia"),
    Country("RU", "7", "Russia", "Rosja"),
)

_ALL_NETWORKS = "Available from all networks"
_SMS = "Receives SMS"
_FREE_CALL = "Free for callers"

# id, iso, English name, Polish name, area code, subscriber digits, connect fee, monthly fee,
# currency, upload, specify, receive_sms, is_toll, feature, connect_time (days)
_Row = tuple[
    DirectionId,
    str,
    str,
    str,
    str,
    int,
    str,
    str,
    str,
    tuple[str, ...],
    tuple[str, ...],
    bool,
    bool,
    str | None,
    int,
]
# fmt: off
_DIRECTIONS: tuple[_Row, ...] = (
    (3001, "PL", "Warsaw", "Warszawa", "22", 7, "20.00", "25.00", "PLN",
     ("passport",), ("address",), False, False, _ALL_NETWORKS, 1),
    (3002, "PL", "Kraków", "Kraków", "12", 7, "0.00", "22.00", "PLN",
     ("passport", "receipt"), ("address", "id_number"), False, False, None, 2),
    (3003, "PL", "Łódź", "Łódź", "42", 7, "0.00", "18.00", "PLN", (), (), False, False, None, 0),
    (3004, "PL", "Gdańsk", "Gdańsk", "58", 7, "5.00", "5.00", "USD", (), (), False, False, None, 0),
    (3005, "PL", "National", "Numer krajowy", "39", 7, "0.00", "4.00", "USD",
     ("passport",), ("id_number",), False, False, "Non-geographic number", 1),
    (3006, "PL", "Mobile", "Numer komórkowy", "57", 7, "10.00", "12.00", "EUR",
     ("passport", "photo_with_passport"), ("id_number", "date_of_birth", "nationality"),
     True, False, _SMS, 3),
    (3007, "PL", "800 number (Toll-free)", "Numer bezpłatny 800", "800", 6, "50.00", "80.00", "PLN",
     ("contract", "company_letter"), ("address", "purpose"), False, True, _FREE_CALL, 7),
    (3101, "DE", "Berlin", "Berlin", "30", 8, "0.00", "3.00", "EUR", (), ("address",), False, False, None, 1),
    (3102, "DE", "Munich", "Monachium", "89", 8, "0.00", "3.00", "EUR",
     (), ("address",), False, False, None, 1),
    (3103, "DE", "Hamburg", "Hamburg", "40", 8, "2.00", "3.50", "EUR",
     ("passport",), ("address",), False, False, None, 1),
    (3104, "DE", "Frankfurt am Main", "Frankfurt nad Menem", "69", 8, "0.00", "3.00", "EUR",
     ("phone_bill",), ("address",), False, False, None, 2),
    (3105, "DE", "National", "Numer krajowy", "32", 9, "0.00", "2.50", "EUR",
     ("passport",), ("id_number", "nationality"), False, False, "Non-geographic number", 1),
    (3106, "DE", "Mobile", "Numer komórkowy", "15", 9, "10.00", "15.00", "EUR",
     ("passport", "photo_with_passport"), ("id_number", "date_of_birth", "type_of_id"), True, False, _SMS, 5),
    (3107, "DE", "800 number (Toll-free)", "Numer bezpłatny 800", "800", 7, "30.00", "25.00", "EUR",
     ("contract",), ("address", "purpose"), False, True, _FREE_CALL, 5),
    (3201, "GB", "London", "Londyn", "20", 8, "0.00", "2.00", "GBP", (), (), False, False, _ALL_NETWORKS, 0),
    (3202, "GB", "Manchester", "Manchester", "161", 7, "0.00", "2.00", "GBP", (), (), False, False, None, 0),
    (3203, "GB", "Birmingham", "Birmingham", "121", 7, "0.00", "2.50", "USD", (), (), False, False, None, 0),
    (3204, "GB", "Edinburgh", "Edynburg", "131", 7, "1.00", "2.00", "GBP", (), (), False, False, None, 0),
    (3205, "GB", "National", "Numer krajowy", "330", 7, "0.00", "3.00", "GBP", (), (), False, False,
     "Non-geographic number", 0),
    (3206, "GB", "Mobile", "Numer komórkowy", "7", 9, "5.00", "8.00", "GBP",
     ("passport",), ("id_number", "nationality"), True, False, _SMS, 2),
    (3207, "GB", "800 number (Toll-free)", "Numer bezpłatny 800", "800", 7, "20.00", "15.00", "GBP",
     ("contract",), ("purpose",), False, True, _FREE_CALL, 3),
    (3301, "US", "New York", "Nowy Jork", "212", 7, "0.00", "5.00", "USD", (), (), True, False, _SMS, 0),
    (3302, "US", "Los Angeles", "Los Angeles", "213", 7, "0.00", "4.00", "USD", (), (), True, False, _SMS, 0),
    (3303, "US", "Chicago", "Chicago", "312", 7, "0.00", "4.00", "USD", (), (), False, False, None, 0),
    (3304, "US", "Miami", "Miami", "305", 7, "0.00", "4.50", "USD", (), (), True, False, _SMS, 0),
    (3305, "US", "San Francisco", "San Francisco", "415", 7, "0.00", "5.00", "USD",
     (), (), False, False, None, 0),
    (3306, "US", "800 number (Toll-free)", "Numer bezpłatny 800", "800", 7, "15.00", "10.00", "USD",
     (), ("purpose",), False, True, _FREE_CALL, 1),
    (3307, "US", "888 number (Toll-free)", "Numer bezpłatny 888", "888", 7, "0.00", "12.00", "USD",
     ("driver_id_us_ca",), ("address",), False, True, _FREE_CALL, 2),
    (3401, "ES", "Madrid", "Madryt", "91", 7, "0.00", "4.00", "EUR",
     ("passport",), ("type_of_id", "id_number", "address"), False, False, None, 2),
    (3402, "ES", "Barcelona", "Barcelona", "93", 7, "0.00", "4.00", "EUR",
     ("passport",), ("type_of_id", "id_number", "address"), False, False, None, 2),
    (3403, "ES", "Valencia", "Walencja", "96", 7, "0.00", "4.00", "EUR",
     ("passport", "receipt"), ("type_of_id", "id_number", "address"), False, False, None, 3),
    (3404, "ES", "National", "Numer krajowy", "51", 7, "0.00", "3.50", "EUR",
     ("passport",), ("type_of_id", "id_number"), False, False, "Non-geographic number", 2),
    (3405, "ES", "Mobile", "Numer komórkowy", "6", 8, "15.00", "18.00", "EUR",
     ("passport", "photo_with_passport"), ("type_of_id", "id_number", "date_of_birth", "nationality"),
     True, False, _SMS, 5),
    (3406, "ES", "900 number (Toll-free)", "Numer bezpłatny 900", "900", 6, "40.00", "30.00", "EUR",
     ("contract", "company_letter"), ("address", "purpose"), False, True, _FREE_CALL, 7),
    (3501, "FR", "Paris", "Paryż", "1", 8, "0.00", "5.00", "EUR",
     ("passport", "receipt"), ("address",), False, False, _ALL_NETWORKS, 2),
    (3502, "FR", "Lyon", "Lyon", "4", 8, "0.00", "4.50", "EUR",
     ("receipt",), ("address",), False, False, None, 2),
    (3503, "FR", "Bordeaux", "Bordeaux", "5", 8, "0.00", "4.50", "EUR",
     ("receipt",), ("address",), False, False, None, 2),
    (3504, "FR", "National", "Numer krajowy", "9", 8, "0.00", "3.00", "EUR",
     ("passport",), ("id_number", "issuing_date"), False, False, "Non-geographic number", 1),
    (3505, "FR", "Mobile", "Numer komórkowy", "7", 8, "12.00", "14.00", "EUR",
     ("passport", "photo_with_passport"), ("id_number", "date_of_birth"), True, False, _SMS, 3),
    (3506, "FR", "800 number (Toll-free)", "Numer bezpłatny 800", "800", 6, "35.00", "25.00", "EUR",
     ("contract",), ("address", "purpose"), False, True, _FREE_CALL, 5),
    (3601, "NL", "Amsterdam", "Amsterdam", "20", 7, "0.00", "3.00", "EUR", (), (), False, False, None, 0),
    (3602, "NL", "Rotterdam", "Rotterdam", "10", 7, "0.00", "3.00", "EUR", (), (), False, False, None, 0),
    (3603, "NL", "The Hague", "Haga", "70", 7, "0.00", "3.00", "EUR", (), (), False, False, None, 0),
    (3604, "NL", "Utrecht", "Utrecht", "30", 7, "0.00", "3.00", "USD", (), (), False, False, None, 0),
    (3605, "NL", "National", "Numer krajowy", "85", 7, "0.00", "2.50", "EUR",
     (), ("id_number",), False, False, "Non-geographic number", 0),
    (3606, "NL", "Mobile", "Numer komórkowy", "6", 8, "10.00", "12.00", "EUR",
     ("passport",), ("id_number", "nationality", "date_of_birth"), True, False, _SMS, 2),
    (3607, "NL", "800 number (Toll-free)", "Numer bezpłatny 800", "800", 7, "25.00", "20.00", "EUR",
     ("company_letter",), ("purpose",), False, True, _FREE_CALL, 3),
    # A text id, as the seed guide allows ("identyfikator kierunku lub ru495"), and a requirement
    # document and a detail outside the documented vocabulary: the bot shows them as given and
    # groups/valid decides (this emulator checks only the documents and fields it knows).
    ("ru495", "RU", "Moscow", "Moskwa", "495", 7, "0.00", "9.00", "USD",
     ("passport", "proof_of_residence"), ("address", "tax_id"), False, False, None, 2),
)
# fmt: on

_ID_ALPHABET = string.ascii_letters + string.digits


def _price(amount: str, currency: str, account_currency: str, mixed: bool) -> Decimal:
    """A table fee as the catalogue offers it: as written, or converted to the account's currency."""
    return Decimal(amount) if mixed else convert(Decimal(amount), currency, account_currency)


def new_number_id(rng: random.Random, taken: set[str]) -> str:
    """A fresh opaque order id shaped like the API's (``1712p0D1643D0t42r198658``)."""
    while True:
        candidate = (
            f"{rng.randint(1000, 9999)}{rng.choice(string.ascii_lowercase)}{rng.randint(0, 9)}"
            f"{rng.choice(string.ascii_uppercase)}{rng.randint(1000, 9999)}"
            f"{rng.choice(_ID_ALPHABET)}{rng.randint(0, 9)}{rng.choice(string.ascii_lowercase)}"
            f"{rng.randint(10, 99)}{rng.choice(string.ascii_lowercase)}{rng.randint(100000, 999999)}"
        )
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def new_number_digits(rng: random.Random, direction: Direction, taken: set[str]) -> str:
    """A fresh E.164 number (digits only, no ``+``) in ``direction``'s range."""
    while True:
        subscriber = str(rng.randint(2, 9)) + "".join(
            str(rng.randint(0, 9)) for _ in range(direction.subscriber_digits - 1)
        )
        candidate = direction.prefix + subscriber
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def build_catalog(
    seed: int = DEFAULT_SEED,
    *,
    min_free: int = 30,
    max_free: int = 60,
    account_currency: str = ACCOUNT_CURRENCY,
    mixed_currencies: bool = False,
) -> Catalog:
    """The catalogue for ``seed``: the fixed direction table and a seeded market.

    Every direction is priced in ``account_currency`` (its table fees converted
    at the fixed rates), as Zadarma prices an account's numbers. With
    ``mixed_currencies`` the table's own currencies are kept (PLN, EUR, GBP
    beside a USD account), for tests of an account whose prices and balance
    differ in currency.
    """
    countries = {c.iso: c for c in _COUNTRIES}
    directions: dict[DirectionId, Direction] = {}
    for row in _DIRECTIONS:
        (
            did,
            iso,
            en,
            pl,
            area,
            digits,
            connect,
            monthly,
            currency,
            upload,
            specify,
            sms,
            toll,
            feature,
            days,
        ) = row
        directions[did] = Direction(
            id=did,
            country_iso=iso,
            dial_code=countries[iso].dial_code,
            name_en=en,
            name_pl=pl,
            area_code=area,
            subscriber_digits=digits,
            connect_fee=_price(connect, currency, account_currency, mixed_currencies),
            monthly_fee=_price(monthly, currency, account_currency, mixed_currencies),
            currency=currency if mixed_currencies else account_currency,
            upload=upload,
            specify=specify,
            receive_sms=sms,
            is_toll=toll,
            feature=feature,
            connect_time=days,
        )
    rng = random.Random(seed)
    ids: set[str] = set()
    digits_taken: set[str] = set()
    market: dict[DirectionId, tuple[FreeNumber, ...]] = {}
    for direction in directions.values():
        count = rng.randint(min_free, max_free)
        market[direction.id] = tuple(
            FreeNumber(new_number_id(rng, ids), direction.id, new_number_digits(rng, direction, digits_taken))
            for _ in range(count)
        )
    return Catalog(countries=countries, directions=directions, initial_market=market)
