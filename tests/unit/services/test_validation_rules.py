"""The field rules every form shares: names, postcodes by country, phones, dates, hidden characters, SIP."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services import validation
from bot.services.errors import InvalidInput
from bot.services.validation import group_answers, group_field

# One good answer per field of the document-group form (choices aside).
GOOD = {
    "first_name": "Zoë",
    "middle_name": "Anna Maria",
    "last_name": "O'Brien-Łukasiewicz",
    "email": "zoe@example.com",
    "phone": "+48 601 234 567",
    "country": "PL",
    "nationality": "DE",
    "city": "Kraków",
    "region": "Małopolska",
    "zip_code": "31-001",
    "street": "Aleja 3 Maja",
    "building_number": "12/3",
    "building_letter": "B",
    "address": "ul. Floriańska 1, 31-001 Kraków",
    "street_code": "04512",
    "municipality_code": "1261011",
    "organization": "Acme & Sons",
    "organization_description": "We sell phones; since 1999.",
    "organization_reg_number": "KRS 0000123456",
    "date_of_birth": "1985-04-23",
    "id_number": "ABC 123456",
    "issuing_authority": "Prezydent m.st. Warszawy",
    "issuing_date": "2020-01-31",
}
HIDDEN = {
    "NUL": "\x00",
    "BEL": "\x07",
    "ESC": "\x1b",
    "right-to-left override": "\u202e",
    "zero-width space": "\u200b",
    "left-to-right isolate": "\u2066",
    "byte order mark": "\ufeff",
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_a_good_answer_is_accepted_for_every_field(name: str) -> None:
    assert group_field(name, GOOD[name], {"country": "PL"})


@pytest.mark.parametrize("hidden", sorted(HIDDEN))
@pytest.mark.parametrize("name", sorted(GOOD))
def test_control_and_bidi_characters_are_refused_in_every_field(name: str, hidden: str) -> None:
    value = GOOD[name]
    with pytest.raises(InvalidInput) as info:
        group_field(name, value[:2] + HIDDEN[hidden] + value[2:], {"country": "PL"})
    assert info.value.code == "invalid.hidden_characters"


@pytest.mark.parametrize(
    "name",
    ["Łucja", "Jean-Luc", "D'Arcy", "N’Diaye", "'t Hooft", "Ólafur Ragnar", "Анна", "Σοφία", "张伟", "محمد",
     "אברהם", "नेहा", "さくら", "Nguyễn", "Zoë"],
)  # fmt: skip
def test_names_of_letters_in_any_script_are_accepted(name: str) -> None:
    assert validation.person_name(f"  {name} ") == name


def test_joiners_that_scripts_need_are_kept() -> None:
    persian = "مهر\u200cناز"  # ZWNJ belongs inside this name
    assert validation.person_name(persian) == persian


@pytest.mark.parametrize(
    "name", ["😀😀", "12345", "Jan3", "<script>", "Anna_Maria", "-", "Jan-", "J. R.", "@jan"]
)
def test_names_with_digits_symbols_or_no_letters_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validation.person_name(name)
    assert info.value.code == "invalid.name"


@pytest.mark.parametrize(
    ("country", "typed", "stored"),
    [
        ("PL", "31-001", "31-001"),
        ("GB", "sw1a 1aa", "SW1A 1AA"),
        ("US", "22162-1010", "22162-1010"),
        ("NL", "1234  ab", "1234 AB"),
        ("DE", "10115", "10115"),
        ("HK", "000000", "000000"),  # no postcodes there: only the general shape is checked
        ("", "A1 23", "A1 23"),  # no country known yet
    ],
)
def test_postcodes_in_their_countrys_format_are_accepted(country: str, typed: str, stored: str) -> None:
    assert validation.zip_code(typed, country) == stored


@pytest.mark.parametrize(
    ("country", "typed", "example"),
    [
        ("PL", "31001", "00-950"),
        ("PL", "10115", "00-950"),
        ("DE", "1011", "26133"),
        ("GB", "12345", "EC1Y 8SY"),
    ],
)
def test_postcodes_of_another_shape_name_the_country_and_an_example(
    country: str, typed: str, example: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        validation.zip_code(typed, country)
    assert info.value.code == "invalid.zip_code_country"
    assert info.value.params == {"country": country, "example": example}


@pytest.mark.parametrize("typed", ["<script>", "x", "-12", "12 34 56 78 90 12", "00_950"])
def test_postcodes_of_no_shape_at_all_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validation.zip_code(typed, "")
    assert info.value.code in {"invalid.zip_code", "invalid.too_long"}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+48 601 234 567", "48601234567"),
        ("0048 (22) 123-45-67", "48221234567"),
        ("12025550123", "12025550123"),
    ],
)
def test_phones_valid_by_libphonenumber(typed: str, stored: str) -> None:
    assert validation.phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["+48 000 000 000", "+999 1234567", "12ab", "+1 202 555", "601 234 567 890 123 4"]
)
def test_phones_that_cannot_exist_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validation.phone(typed)
    assert info.value.code == "invalid.phone"


def test_dates_out_of_range_name_the_range() -> None:
    today = date.today()
    with pytest.raises(InvalidInput) as info:
        validation.birth_date("1800-01-01")
    assert info.value.code == "invalid.date_range"
    assert info.value.params["latest"] == today.isoformat()
    assert str(info.value.params["earliest"]).startswith(str(today.year - 120))
    assert validation.date_between("2000-02-29", date(2000, 1, 1), date(2000, 12, 31)) == "2000-02-29"
    for typed in ("1999-12-31", "2001-01-01"):
        with pytest.raises(InvalidInput):
            validation.date_between(typed, date(2000, 1, 1), date(2000, 12, 31))
    with pytest.raises(InvalidInput) as info:
        validation.birth_date("1985-4-23")
    assert info.value.code == "invalid.date"


@pytest.mark.parametrize(
    ("field", "typed", "code"),
    [
        ("id_number", "-5", "invalid.id_number"),
        ("id_number", "ABCDEF", "invalid.id_number"),
        ("address", "x", "invalid.address"),
        ("address", "Kraków", "invalid.address"),
        ("address", "<script>alert(1)</script> 12", "invalid.address"),
        ("building_number", "-", "invalid.building_number"),
        ("building_letter", "AB1", "invalid.building_letter"),
        ("city", "12345", "invalid.place"),
        ("street_code", "n/a", "invalid.code"),
    ],
)
def test_other_fields_refuse_what_cannot_be_theirs(field: str, typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        group_field(field, typed)
    assert info.value.code == code


def test_a_whole_form_is_checked_at_once_with_the_postcode_against_its_country() -> None:
    answers, errors = group_answers({"zip_code": "10115", "first_name": "😀", "country": "pl", "city": ""})
    assert answers == {"country": "PL"}
    assert {name: e.code for name, e in errors.items()} == {
        "zip_code": "invalid.zip_code_country",
        "first_name": "invalid.name",
    }
    answers, errors = group_answers({"zip_code": "10115", "country": "DE"})
    assert errors == {} and answers == {"country": "DE", "zip_code": "10115"}


LOGINS = {"00001"}


@pytest.mark.parametrize(
    ("typed", "target"),
    [
        ("00001", "00001"),
        ("sip:00001", "00001"),
        ("1234@sip.example.com", "1234@sip.example.com"),
        ("sip:1234@SIP.Example.com:5060", "1234@sip.example.com:5060"),
        ("sips:1234@sip.example.com", "sips:1234@sip.example.com"),
        ("1234@sip.example.com;transport=tcp", "sip:1234@sip.example.com;transport=tcp"),
        (
            "sips:alice@pbx.example.org:5061;transport=tls;lr",
            "sips:alice@pbx.example.org:5061;transport=tls;lr",
        ),
        ("100@193.0.2.1", "100@193.0.2.1"),
        ("100@[2001:4860:4860::8888]:5060", "100@[2001:4860:4860::8888]:5060"),
        ("+48221234567@sip.zadarma.com", "+48221234567@sip.zadarma.com"),
    ],
)
def test_sip_logins_and_uris_are_accepted(typed: str, target: str) -> None:
    assert validation.sip_target(typed, LOGINS) == target


@pytest.mark.parametrize(
    "typed",
    [
        "1234@localhost",
        "1234@LOCALHOST:5060",
        "1234@pbx",
        "1234@pbx.local",
        "1234@box.internal",
        "1234@127.0.0.1",
        "1234@10.1.2.3",
        "1234@172.16.0.9",
        "1234@192.168.1.10:5060",
        "1234@169.254.1.1",
        "1234@100.64.0.1",
        "1234@0.0.0.0",
        "1234@[::1]",
        "1234@[fe80::1]",
        "1234@[fd00::1]",
        "sips:1234@sip.example.com;maddr=10.0.0.1",
    ],
)
def test_hosts_the_internet_cannot_reach_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validation.sip_target(typed, LOGINS)
    assert info.value.code == "invalid.sip_host_local"
    assert info.value.params["host"]


@pytest.mark.parametrize(
    "typed",
    [
        "no-at-sign",
        "@sip.example.com",
        "1234@",
        "1234@sip.example.com:0",
        "1234@sip.example.com:70000",
        "1234@sip.example.com:",
        "1234@sip.example.com;transport=carrier-pigeon",
        "1234@sip.example.com?subject=hi",
        "tel:1234@sip.example.com",
        "1234@sip..example.com",
        "1234@-sip.example.com",
        "12 34@sip.example.com",
        "1234@999.1.1.1",
        "1234@[2001:db8::zz]",
    ],
)
def test_malformed_sip_uris_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validation.sip_target(typed, LOGINS)
    assert info.value.code == "invalid.sip_uri"


def test_an_unknown_login_is_named_as_such() -> None:
    with pytest.raises(InvalidInput) as info:
        validation.sip_target("00009", LOGINS)
    assert info.value.code == "invalid.sip_login"
