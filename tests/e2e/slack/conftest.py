"""The real Slack stack for end-to-end tests.

The Bolt app of :class:`SlackPart` is served by the bot's own runtime
(``bot.runtime.Runner`` on 127.0.0.1, random port) and talks to the fake
Slack Web API (``tests.fakes.slack_api``); the core (services, engine, store
on a real SQLite file, client of the in-process Zadarma emulator) is opened by
the composition root from the Slack settings (``tests.stack``).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from adapters.slack import SlackPart  # noqa: E402
from bot.metrics import Metrics  # noqa: E402
from bot.runtime import Runner, health_app  # noqa: E402
from bot.sandbox import Sandbox, SandboxConfig  # noqa: E402
from bot.services.types import UserRef  # noqa: E402
from conversations.engine import ConversationEngine  # noqa: E402
from tests.e2e.slack.slack_helpers import (  # noqa: E402
    ADMIN,
    ALERTS,
    BOT_TOKEN,
    OTHER_ADMIN,
    SIGNING_SECRET,
    SignedSlack,
    SlackStack,
)
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.stack import open_stack  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slack_setup(locale=None, engine_operators=None): the Slack part's locale, and which of the "
        "admitted Slack users the engine takes for operators (default: every admin)",
    )


@pytest.fixture
def sandbox(sandbox_realistic: bool) -> Sandbox:
    box = Sandbox(SandboxConfig(rate_limit=10_000, balance=Decimal("500.00"), realistic=sandbox_realistic))
    box.seed_owned_numbers(12, seed=7)
    return box


@pytest.fixture
async def stack(
    sandbox: Sandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[SlackStack]:
    marker = request.node.get_closest_marker("slack_setup")
    setup: dict[str, Any] = dict(marker.kwargs) if marker else {}
    operators: frozenset[str] = setup.get("engine_operators") or frozenset({ADMIN, OTHER_ADMIN})
    async with (
        FakeSlackApi(bot_token=BOT_TOKEN) as fake,
        open_stack(
            sandbox,
            database_url=f"sqlite:///{tmp_path / 'bot.db'}",
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_base=fake.api_base,
            slack_admin_users=f"{ADMIN},{OTHER_ADMIN}",
            slack_alert_channel=ALERTS,
        ) as core,
        aiohttp.ClientSession() as http,
    ):
        settings = core.settings
        engine = ConversationEngine(
            core.services,
            operators=frozenset(UserRef("slack", u) for u in operators),
            customers_platform="telegram",
        )
        metrics = Metrics()
        part = SlackPart(
            bot_token=settings.slack_bot_token.get_secret_value(),
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            api_base=settings.slack_api_base,
            admin_users=settings.slack_admins,
            alert_channel=settings.slack_alert_channel,
            engine=engine,
            services=core.services,
            storage=core.storage,
            observer=metrics,
            locale=setup.get("locale"),
        )
        runner = Runner(health_app([part], {}), [part], "127.0.0.1", 0)
        await runner.start()
        base = f"http://127.0.0.1:{runner.bound_port}"
        try:
            yield SlackStack(
                sandbox,
                core.storage,
                core.services,
                fake,
                part,
                SignedSlack(http, f"{base}/slack/events", fake),
                base,
                http,
                metrics,
            )
        finally:
            await runner.stop()
