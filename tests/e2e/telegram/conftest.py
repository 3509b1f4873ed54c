"""The real Telegram stack for end-to-end tests.

The real aiogram ``Bot`` and ``Dispatcher`` of :class:`TelegramPart` talk over
HTTP to the fake Bot API server (``tests.fakes.telegram_api``); the
conversations run over the real services, the Zadarma emulator in-process and
a real SQLite file. Webhook mode serves the part's routes with the bot's own
``bot.runtime.health_app`` on 127.0.0.1.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from bot.sandbox import Sandbox  # noqa: E402
from tests.e2e.telegram.telegram_helpers import TelegramHarness, make_sandbox  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API server."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_realistic: bool) -> Sandbox:
    """The Zadarma emulator (frozen clock, generous balance and rate limit), exact or realistic."""
    return make_sandbox(sandbox_realistic)


@pytest.fixture
async def harness(fake: FakeTelegram, sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[TelegramHarness]:
    """A harness whose bot is not started yet (tests choose polling or webhook)."""
    bench = TelegramHarness(fake, sandbox, tmp_path / "bot.db")
    try:
        yield bench
    finally:
        await bench.stop()


@pytest.fixture
async def polling(harness: TelegramHarness) -> TelegramHarness:
    """The harness with the bot running in long-polling mode."""
    await harness.start()
    return harness
