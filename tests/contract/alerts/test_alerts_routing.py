"""Alert routing follows each registered platform's audience, not its name.

Two platforms this code has never heard of are registered next to Telegram and
Slack through the composition root's registry: a second team platform gets
every team alert, and a customers' platform gets the alerts of the numbers its
users own, with their stored language, and its users are marked blocked when
they block the bot.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.platforms import Platform, PlatformRegistry
from bot.services.alerts import CUSTOMERS, TEAM, AlertRoute, AlertRoutes, AlertScheduler
from bot.storage import UserRef
from tests.contract.alerts.alert_world import CHANNEL, World
from tests.unit.alerts.alert_fakes import FakeChat


def registry_of(world: World, *extra: Platform) -> PlatformRegistry:
    registry = PlatformRegistry()
    registry.register(Platform("telegram", CUSTOMERS, world.telegram))
    registry.register(Platform("slack", TEAM, world.slack, team_target=CHANNEL))
    for platform in extra:
        registry.register(platform)
    return registry


async def test_a_third_team_platform_gets_the_team_alerts_and_the_customers_theirs(world: World) -> None:
    ops = FakeChat("ops-chat")
    registry = registry_of(world, Platform("ops-chat", TEAM, ops, team_target="room-7"))
    scheduler = AlertScheduler(world.client, world.storage, registry.alert_routes(), clock=world.clock)
    await world.customer("1001")
    await world.tick(scheduler)
    number = await world.order("1001", 3301, autorenew=False)
    world.sandbox.clock.advance(timedelta(days=14))
    await world.tick(scheduler)
    expected = [f"expiry:{number}:2026-02-28:14"]
    assert world.telegram.keys("1001") == expected  # the owner, privately
    assert world.slack.keys(CHANNEL) == expected
    assert ops.keys("room-7") == expected  # the new team platform, in its team chat
    assert ops.keys() == expected  # and nowhere else


async def test_a_new_customers_platform_reaches_its_owners_and_records_who_blocks_it(world: World) -> None:
    web = FakeChat("webchat")
    registry = registry_of(world, Platform("webchat", CUSTOMERS, web))
    scheduler = AlertScheduler(world.client, world.storage, registry.alert_routes(), clock=world.clock)
    await world.tick(scheduler)
    ann, bob = UserRef("webchat", "ann"), UserRef("webchat", "bob")
    await world.storage.users.upsert(ann, chat_id="ann", default_language="pl")
    await world.storage.users.upsert(bob, chat_id="bob", default_language="en")
    mine = await world.order("1001", 3301, autorenew=False)
    theirs = await world.order("1001", 3302, autorenew=False)
    await world.storage.ownership.assign_number(mine, ann, assigned_by="test")
    await world.storage.ownership.assign_number(theirs, bob, assigned_by="test")
    web.blocked.add("bob")
    world.sandbox.clock.advance(timedelta(days=14))
    await world.tick(scheduler)
    assert [(r.to, r.alert.number, r.alert.language) for r in web.received] == [("ann", mine, "pl")]
    assert world.telegram.received == []  # the numbers moved away from the Telegram customer
    stored = await world.storage.users.get(bob)
    assert stored is not None and stored.blocked  # a customer who blocks the bot is remembered


async def test_a_team_platform_never_gets_owners_alerts_privately(world: World) -> None:
    # The same sink as a team platform: the operator owning a number hears of it only in the team chat.
    ops = FakeChat("ops-chat")
    registry = registry_of(world, Platform("ops-chat", TEAM, ops, team_target="room-7"))
    scheduler = AlertScheduler(world.client, world.storage, registry.alert_routes(), clock=world.clock)
    await world.tick(scheduler)
    number = await world.order("1001", 3301, autorenew=False)
    await world.storage.ownership.assign_number(number, UserRef("ops-chat", "U1"), assigned_by="test")
    world.sandbox.clock.advance(timedelta(days=14))
    await world.tick(scheduler)
    assert [r.to for r in ops.received] == ["room-7"]


def test_the_registry_gathers_operators_parts_and_routes_and_refuses_a_second_registration() -> None:
    chat = FakeChat("x")
    registry = PlatformRegistry()
    registry.register(Platform("alpha", CUSTOMERS, chat, operators=frozenset({"1"})))
    registry.register(Platform("beta", TEAM, chat, operators=frozenset({"U1"}), team_target="C1"))
    assert registry.operators() == {UserRef("alpha", "1"), UserRef("beta", "U1")}
    assert registry.parts() == []  # neither has a runtime part of its own
    routes = registry.alert_routes()
    assert routes.customers == frozenset({"alpha"}) and routes.platforms == frozenset({"alpha", "beta"})
    assert routes.team == ("beta:C1",)
    with pytest.raises(ValueError, match="twice"):
        registry.register(Platform("alpha", TEAM, chat))


@pytest.mark.parametrize(
    ("platform", "audience", "target"),
    [
        ("", CUSTOMERS, ""),
        ("a:b", CUSTOMERS, ""),
        ("alpha", CUSTOMERS, "C1"),  # customers have no team chat
        ("alpha", "everyone", ""),
    ],
)
def test_routes_refuse_what_could_not_be_routed(platform: str, audience: str, target: str) -> None:
    with pytest.raises(ValueError):
        AlertRoute(platform, audience, FakeChat("x"), target)  # type: ignore[arg-type]


def test_a_team_platform_without_a_team_chat_gets_no_team_alerts() -> None:
    routes = AlertRoutes([AlertRoute("beta", TEAM, FakeChat("x"))])
    assert routes.team == () and routes.team_destination is None
    assert not routes.addresses_people("beta") and not routes.addresses_people("nobody")
