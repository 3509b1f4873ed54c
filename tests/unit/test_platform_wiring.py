"""The composition root registers each platform once, and every routing decision follows from it."""

from __future__ import annotations

from bot.app import PLATFORMS, build_service, open_core, operators_of
from bot.config import Settings
from bot.sandbox import Sandbox, SandboxConfig
from bot.services.alerts import CUSTOMERS, TEAM
from bot.storage import UserRef


def settings_for(sandbox: Sandbox, **values: object) -> Settings:
    return Settings.model_validate(
        {
            "database_url": "memory://",
            "zadarma_api_url": "http://sandbox.invalid",
            "zadarma_key": sandbox.key,
            "zadarma_secret": sandbox.secret,
            **values,
        }
    )


BOTH = {
    "telegram_bot_token": "123456:telegram-test-token",
    "telegram_admin_ids": "42",
    "slack_bot_token": "xoxb-test",
    "slack_signing_secret": "signing",
    "slack_admin_users": "U0OPS",
    "slack_alert_channel": "C0TEAM",
}


def test_each_platform_is_declared_once_with_an_audience() -> None:
    names = [entry.name for entry in PLATFORMS]
    assert len(names) == len(set(names))
    assert {entry.name: entry.audience for entry in PLATFORMS} == {"telegram": CUSTOMERS, "slack": TEAM}


async def test_the_service_routes_customers_and_team_by_the_registered_audiences() -> None:
    sandbox = Sandbox(SandboxConfig())
    settings = settings_for(sandbox, **BOTH)
    assert operators_of(settings) == {UserRef("telegram", "42"), UserRef("slack", "U0OPS")}
    async with open_core(settings, sandbox.transport()) as core:
        service = build_service(core)
        registry = service.platforms
        assert registry.names == {"telegram", "slack"}
        assert [part.name for part in service.parts[:2]] == ["telegram", "slack"]
        assert registry.operators() == operators_of(settings)
        routes = registry.alert_routes()
        assert routes.customers == frozenset({"telegram"})
        assert routes.team == ("slack:C0TEAM",)
        # Outcomes and pushed number events reach the same platforms and the same team chat.
        notifier = core.services.ordering.notifier
        assert notifier.platforms == routes.platforms and notifier.team == "slack:C0TEAM"
        assert core.services.events.routing.team == "slack:C0TEAM"


async def test_without_a_team_chat_nothing_is_routed_to_the_team() -> None:
    sandbox = Sandbox(SandboxConfig())
    values = {k: v for k, v in BOTH.items() if k != "slack_alert_channel"}
    async with open_core(settings_for(sandbox, **values), sandbox.transport()) as core:
        service = build_service(core)
        assert service.platforms.alert_routes().team == ()
        assert core.services.ordering.notifier.team is None


async def test_only_the_platforms_the_settings_turn_on_are_registered() -> None:
    sandbox = Sandbox(SandboxConfig())
    values = {k: v for k, v in BOTH.items() if not k.startswith("slack")}
    async with open_core(settings_for(sandbox, **values), sandbox.transport()) as core:
        service = build_service(core)
        assert service.platforms.names == {"telegram"}
        assert service.platforms.alert_routes().customers == frozenset({"telegram"})
        assert "slack" not in [part.name for part in service.parts]
