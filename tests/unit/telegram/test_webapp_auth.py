"""The Mini App's init data check: Telegram's signature with the bot token, freshness, a user."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from adapters.telegram.webapp import InitDataCheck, InitDataRefused
from tests.fakes.init_data import forge, sign_init_data
from tests.fakes.telegram_api import FakeUser

TOKEN = "123456:AAE-test-token-for-the-mini-app"
ANN = FakeUser(4242, "Ann", language_code="pl")
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def check(max_age: float = 3600) -> InitDataCheck:
    return InitDataCheck(TOKEN, max_age, now=lambda: NOW)


def signed(user: FakeUser | None = ANN, age: float = 10, token: str = TOKEN) -> str:
    return "tma " + sign_init_data(token, user, auth_date=NOW.timestamp() - age)


def test_init_data_signed_with_the_bot_token_names_its_user() -> None:
    user = check().user(signed())
    assert (user.id, user.language_code) == (4242, "pl")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("tma ", "missing"),
        ("Bearer " + sign_init_data(TOKEN, ANN), "missing"),  # another scheme
        (signed(token="654321:AAE-another-bots-token"), "signature"),  # signed for another bot
        ("tma " + forge(signed()[4:], user='{"id":1,"first_name":"Eve"}'), "signature"),  # user swapped
        ("tma " + forge(signed()[4:], hash="0" * 64), "signature"),
        ("tma user=%7B%7D&auth_date=1", "signature"),  # no hash at all
        ("tma " + "a" * 5000, "too long"),
        (signed(age=3601), "stale"),
        (signed(age=-3600), "stale"),  # from the future: a clock far off, or a forged date
        (signed(user=None), "no user"),
    ],
)
def test_what_is_not_signed_fresh_init_data_of_a_user_is_refused(header: str | None, reason: str) -> None:
    with pytest.raises(InitDataRefused) as refused:
        check().user(header)
    assert refused.value.reason == reason


def test_the_freshness_limit_is_configurable_and_a_little_clock_skew_is_tolerated() -> None:
    assert check(max_age=7200).user(signed(age=3601)).id == 4242
    assert check().user(signed(age=-30)).id == 4242
    with pytest.raises(InitDataRefused):
        check(max_age=60).user(signed(age=61))


def test_the_signature_matches_aiograms_reading_of_telegrams_spec_in_real_time() -> None:
    """The default clock is the real one: data signed just now passes."""
    header = "tma " + sign_init_data(TOKEN, ANN, auth_date=time.time())
    assert InitDataCheck(TOKEN).user(header).id == ANN.id
