"""The money path through the real ``python -m bot run``: what the customer is told, and how often
money moves, when a reply is late, lost or contested, and when the bot is killed at every point
between storing the intent and telling the customer.

Telegram runs against the fake Bot API, Zadarma is the emulator on a real socket (so a request the
client gave up on still lands, late), the store is a real SQLite file.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from bot.sandbox import Sandbox
from bot.services.ordering import add_months
from tests.e2e.service.support import ZADARMA_SECRET, Service, act, free_port, start_service
from tests.fakes.telegram_api import FakeTelegram, FakeUser

pytestmark = pytest.mark.timeout(150)

CHECKING = "⏳ Checking with Zadarma"
ORDERED = "Checked with Zadarma: your order went through"
NOT_PLACED = "did not go through"
# After a restart the press comes back from the update inbox: whichever tells first, the settled
# outcome's alert or the press handled again, says the order went through.
PLACED_AFTER_RESTART = (ORDERED, "This order was already placed", "is yours")
# A crash point whose restart settles the order from the bot's own store reads no Zadarma reply anew.
EXACT_ONLY = pytest.mark.exact_emulator_only("settled from the bot's own store after the restart")


def env_for(sandbox: Sandbox, url: str, telegram: FakeTelegram, db: Path, **extra: str) -> dict[str, str]:
    return {
        "ZADARMA_API_URL": url,
        "ZADARMA_KEY": sandbox.key,
        "ZADARMA_SECRET": ZADARMA_SECRET,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE": telegram.base_url,
        "DATABASE_URL": f"sqlite:///{db}",
        "ALERT_INTERVAL": "3600",
        "ZADARMA_TIMEOUT": "1",
        "SETTLE_WINDOW": "6",
        "OUTCOME_GRACE": "1",
        **extra,
    }


async def to_confirm(telegram: FakeTelegram, user: FakeUser, number: str | None = None) -> str:
    """Walk ``user`` to the order summary of ``number`` (default: the first one offered); return it."""
    await act(telegram, user, lambda: telegram.send_command(user, "order"))
    await act(telegram, user, lambda: telegram.send_text(user, "PL"))
    await act(telegram, user, lambda: telegram.press(user, "Gdańsk"))
    if number is None:
        number = next(label for label in telegram.menu(user.chat_id).labels if label.startswith("+"))
    summary = await act(telegram, user, lambda: telegram.press(user, number))
    assert "Please check your order" in summary
    return number


@asynccontextmanager
async def running(
    emulator: tuple[Sandbox, str], tmp_path: Path
) -> AsyncIterator[tuple[Sandbox, FakeTelegram]]:
    """The bot running against the emulator and a fresh fake Bot API; stopped on exit."""
    sandbox, url = emulator
    async with FakeTelegram() as telegram:
        service = await start_service(env_for(sandbox, url, telegram, tmp_path / "bot.db"))
        try:
            yield sandbox, telegram
        finally:
            await service.stop()


def price_on(summary: str) -> Decimal:
    found = re.search(r"To pay now: \$([\d.,]+)", summary)
    assert found is not None, summary
    return Decimal(found.group(1).replace(",", ""))


def said(telegram: FakeTelegram, user: FakeUser, text: str) -> bool:
    return any(text in message for message in telegram.texts(user.chat_id))


async def told(telegram: FakeTelegram, user: FakeUser, text: str, within: float = 30) -> None:
    await telegram.wait_for(lambda: said(telegram, user, text), within=within, what=repr(text))


def digits(label: str) -> str:
    return "".join(ch for ch in label if ch.isdigit())


async def test_a_late_order_is_told_checking_then_the_truth_and_charged_once(
    emulator: tuple[Sandbox, str], tmp_path: Path
) -> None:
    async with running(emulator, tmp_path) as (sandbox, telegram):
        ann = telegram.user()
        number = await to_confirm(telegram, ann)
        price = price_on(telegram.menu(ann.chat_id).text)
        before = sandbox.state.balance
        sandbox.set_faults(latency_ms=2500, paths=["/v1/direct_numbers/order/"])
        shown = await act(telegram, ann, lambda: telegram.press(ann, f"Confirm and pay ${price:.2f}"))
        assert shown.startswith(CHECKING)
        await told(telegram, ann, ORDERED)
        sandbox.clear_faults()
        assert not said(telegram, ann, NOT_PLACED)
        assert sandbox.call_count("order") == 1
        assert sandbox.state.balance == before - price
        mine = await act(telegram, ann, lambda: telegram.send_command(ann, "numbers"))
        assert number in mine


async def test_a_contested_number_stays_with_its_owner_and_the_other_is_told_it_was_taken(
    emulator: tuple[Sandbox, str], tmp_path: Path
) -> None:
    async with running(emulator, tmp_path) as (sandbox, telegram):
        ann, bob = telegram.user(first_name="Ann"), telegram.user(first_name="Bob")
        number = await to_confirm(telegram, ann)
        assert await to_confirm(telegram, bob, number) == number
        await act(telegram, bob, lambda: telegram.press(bob, "Confirm and pay"))
        assert said(telegram, bob, "is yours")
        sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
        await act(telegram, ann, lambda: telegram.press(ann, "Confirm and pay"))
        sandbox.clear_faults()
        assert said(telegram, ann, "Someone has just taken that number")
        assert not said(telegram, ann, "is yours")
        assert sandbox.call_count("order") == 1
        assert "You have no numbers yet" in await act(
            telegram, ann, lambda: telegram.send_command(ann, "numbers")
        )
        assert number in await act(telegram, bob, lambda: telegram.send_command(bob, "numbers"))


async def test_a_late_renewal_is_paid_once_and_cannot_be_started_again_meanwhile(
    emulator: tuple[Sandbox, str], tmp_path: Path
) -> None:
    async with running(emulator, tmp_path) as (sandbox, telegram):
        ann = telegram.user()
        number = await to_confirm(telegram, ann)
        await act(telegram, ann, lambda: telegram.press(ann, "Confirm and pay"))
        owned = sandbox.state.numbers[digits(number)]
        stop_before = owned.stop_date
        await act(telegram, ann, lambda: telegram.send_command(ann, "numbers"))
        await act(telegram, ann, lambda: telegram.press(ann, number))
        await act(telegram, ann, lambda: telegram.press(ann, "Prolong"))
        await act(telegram, ann, lambda: telegram.press(ann, "1 month"))
        sandbox.set_faults(latency_ms=2500, paths=["/v1/direct_numbers/prolong/"])
        shown = await act(telegram, ann, lambda: telegram.press(ann, "Confirm and pay"))
        assert shown.startswith(CHECKING)
        # The customer goes back to the number at once: renewing again is not offered meanwhile.
        await act(telegram, ann, lambda: telegram.send_command(ann, "numbers"))
        card = await act(telegram, ann, lambda: telegram.press(ann, number))
        assert "Renewal being checked" in " ".join(telegram.menu(ann.chat_id).labels), card
        await told(telegram, ann, "is renewed, paid until")
        sandbox.clear_faults()
        assert sandbox.call_count("prolong") == 1
        assert sandbox.state.numbers[digits(number)].stop_date == add_months(stop_before, 1)
        assert not said(telegram, ann, "renewal of")  # never told it failed


async def wait_killed(service: Service) -> int:
    return await asyncio.wait_for(service.proc.wait(), timeout=20)


@pytest.mark.parametrize(
    ("point", "placed"),
    [
        pytest.param("order.created", False, marks=EXACT_ONLY),
        ("order.sending", False),
        ("order.answered", True),
        pytest.param("order.recorded", True, marks=EXACT_ONLY),
        pytest.param("order.queued", True, marks=EXACT_ONLY),
    ],
)
async def test_a_crash_at_any_point_ends_with_one_charge_and_the_customer_told(
    emulator: tuple[Sandbox, str], tmp_path: Path, point: str, placed: bool
) -> None:
    sandbox, url = emulator
    db = tmp_path / "bot.db"
    async with FakeTelegram() as telegram:
        service = await start_service(env_for(sandbox, url, telegram, db, BOT_CRASH_AT=point))
        try:
            ann = telegram.user()
            number = await to_confirm(telegram, ann)
            press = telegram.press(ann, "Confirm and pay")
            assert await wait_killed(service) == -9
            del press
        finally:
            await service.stop()
        service = await start_service(env_for(sandbox, url, telegram, db))
        try:
            if placed:
                await telegram.wait_for(
                    lambda: any(said(telegram, ann, text) for text in PLACED_AFTER_RESTART),
                    within=30,
                    what="the order told as placed",
                )
                assert not said(telegram, ann, NOT_PLACED)
                assert sandbox.call_count("order") == 1
                assert number in await act(telegram, ann, lambda: telegram.send_command(ann, "numbers"))
            else:
                await told(telegram, ann, NOT_PLACED)
                assert not said(telegram, ann, "is yours")
                assert sandbox.call_count("order") == 0
        finally:
            await service.stop()


@pytest.mark.parametrize(
    "mode",
    [
        "polling",
        pytest.param(
            "webhook",
            marks=pytest.mark.exact_emulator_only(
                "the same Zadarma replies as polling; only Telegram differs"
            ),
        ),
    ],
)
async def test_a_confirmation_the_crash_took_before_anything_was_stored_is_handled_after_the_restart(
    emulator: tuple[Sandbox, str], tmp_path: Path, mode: str
) -> None:
    """Telegram had been told the press arrived (offset confirmed, webhook answered 200): the bot's own copy
    of the update is what brings it back, and the customer is told the one outcome."""
    sandbox, url = emulator
    db = tmp_path / "bot.db"
    port = free_port()
    extra = {"TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook"} if mode == "webhook" else {}
    async with FakeTelegram() as telegram:
        env = env_for(sandbox, url, telegram, db, **extra)
        service = await start_service({**env, "BOT_CRASH_AT": "order.pressed"}, port=port)
        try:
            ann = telegram.user()
            number = await to_confirm(telegram, ann)
            telegram.press(ann, "Confirm and pay")
            assert await wait_killed(service) == -9
            assert not said(telegram, ann, "is yours")
            if mode == "polling":  # the bot had already asked for the updates after this one
                assert telegram.pending_count() == 0
        finally:
            await service.stop()
        assert sandbox.call_count("order") == 0
        service = await start_service(env, port=port)
        try:
            await told(telegram, ann, "is yours")
            assert sandbox.call_count("order") == 1
            assert not said(telegram, ann, NOT_PLACED)
            assert not said(telegram, ann, "expired")
            assert number in await act(telegram, ann, lambda: telegram.send_command(ann, "numbers"))
            shown = telegram.texts(ann.chat_id)
            assert sum("is yours" in text for text in shown) == 1, shown
        finally:
            await service.stop()
