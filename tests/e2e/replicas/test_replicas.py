"""Two real ``python -m bot run`` replicas behind a round-robin proxy, on one PostgreSQL database and
one Redis: Telegram by webhook through the fake Bot API, Slack by signed requests, Zadarma the
emulator. What one bot promises must hold with two: one order, one charge, one message per outcome,
one alert, one answer per Slack request, whichever replica each request lands on and whichever dies.
"""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.sandbox import Sandbox
from tests.e2e.replicas.support import WEBHOOK_PATH, cluster
from tests.e2e.service.support import act, slack_signed
from tests.fakes.telegram_api import FakeTelegram, FakeUser
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(180)

ORDERED = "is yours"
ALREADY = "This order was already placed"
FORWARDING = "Where should calls to"
EXPIRES = "expires in"


KILLED_AT = [
    pytest.param(
        "order.pressed",
        marks=pytest.mark.exact_emulator_only("replayed whole: the replies of the whole-order test"),
    ),
    "order.answered",
]
"""Where a replica is killed after the confirmation reached it (``BOT_CRASH_AT``): the press kept and
nothing else; Zadarma placed the order and nothing was recorded."""


def said(telegram: FakeTelegram, user: FakeUser, text: str) -> int:
    """How many of the bot's messages to ``user`` contain ``text``."""
    return sum(text in message for message in telegram.texts(user.chat_id))


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


async def owners(database_url: str) -> list[tuple[str, str]]:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT number, owner_platform || ':' || owner_user_id AS owner FROM number_owners"
        )
    finally:
        await conn.close()
    return [(str(r["number"]), str(r["owner"])) for r in rows]


async def test_a_whole_order_alternating_between_replicas_orders_once_for_its_customer(
    emulator: tuple[Sandbox, str], postgres_url: str, redis_url: str
) -> None:
    async with cluster(emulator, postgres_url, redis_url) as running:
        telegram, sandbox = running.telegram, running.sandbox
        ann, bob = telegram.user(first_name="Ann"), telegram.user(first_name="Bob")
        number = await to_confirm(telegram, ann)
        await act(telegram, ann, lambda: telegram.press(ann, "Confirm and pay"))
        await telegram.wait_for(lambda: said(telegram, ann, ORDERED) > 0, within=20, what="the order told")
        mine = await act(telegram, ann, lambda: telegram.send_command(ann, "numbers"))
        theirs = await act(telegram, bob, lambda: telegram.send_command(bob, "numbers"))

        routed = running.proxy.replicas_of(WEBHOOK_PATH)
        assert set(routed) == {0, 1}, routed  # both replicas took part of the flow
        assert sandbox.call_count("order") == 1
        assert said(telegram, ann, ORDERED) == 1
        assert number in mine
        assert number not in theirs
        digits = "".join(ch for ch in number if ch.isdigit())
        assert await owners(running.database_url) == [(digits, f"telegram:{ann.id}")], running.logs()


async def test_the_same_confirmation_on_both_replicas_at_once_charges_once_and_tells_once(
    emulator: tuple[Sandbox, str], postgres_url: str, redis_url: str
) -> None:
    async with cluster(emulator, postgres_url, redis_url) as running:
        telegram, sandbox, proxy = running.telegram, running.sandbox, running.proxy
        ann = telegram.user()
        await to_confirm(telegram, ann)
        before = sandbox.state.balance
        summary = telegram.menu(ann.chat_id)
        proxy.pin(0, 1)
        press = telegram.press(ann, "Confirm and pay")  # Telegram's delivery, to replica 1
        assert await running.post_update(press) == 200  # the same update id, at once, to replica 2
        await telegram.delivered(press, within=10)
        await telegram.wait_for(lambda: said(telegram, ann, ORDERED) > 0, within=20, what="the order told")
        telegram.redeliver(press)  # Telegram's own re-delivery after a timeout, to the next replica
        await asyncio.sleep(3)  # room for a wrong second message or charge to show

        assert {r.replica for r in proxy.routed if r.path == WEBHOOK_PATH} == {0, 1}, (
            proxy.routed,
            running.logs(),
        )
        assert sandbox.call_count("order") == 1
        assert sandbox.state.balance < before
        assert said(telegram, ann, ORDERED) == 1, telegram.texts(ann.chat_id)
        assert said(telegram, ann, FORWARDING) == 1, telegram.texts(ann.chat_id)

        # A double tap: another press of the same button (a new update id), on the other replica.
        proxy.pin(1)
        await act(telegram, ann, lambda: telegram.press(ann, "Confirm and pay", message=summary))
        assert sandbox.call_count("order") == 1
        told = [t for t in telegram.texts(ann.chat_id) if ORDERED in t or ALREADY in t]
        assert len(told) == 1, telegram.texts(ann.chat_id)  # the summary, edited: no second outcome message


async def test_a_slack_command_and_its_retry_on_the_other_replica_are_handled_once(
    emulator: tuple[Sandbox, str], postgres_url: str, redis_url: str
) -> None:
    async with cluster(emulator, postgres_url, redis_url) as running:
        slack, proxy = running.slack, running.proxy
        body = urlencode(
            {
                "command": "/numbers",
                "text": "list",
                "user_id": "UADMIN1",
                "team_id": "T1",
                "channel_id": "C1",
                "trigger_id": "13345224609.738474920.8088930838d88f008e0",
                "response_url": slack.response_url("list"),
            }
        )
        proxy.pin(0, 1)
        async with aiohttp.ClientSession() as http:
            async with http.post(proxy.url + "/slack/events", data=body, headers=slack_signed(body)) as r:
                assert r.status == 200
            retry = {**slack_signed(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            async with http.post(proxy.url + "/slack/events", data=body, headers=retry) as r:
                assert r.status == 200
        assert proxy.replicas_of("/slack/events") == [0, 1]
        await slack.wait_for("response_url", seconds=15)
        await asyncio.sleep(2)  # room for a second answer to show
        answers = [c for c in slack.calls if c.method in ("response_url", "chat.postEphemeral")]
        assert len(answers) == 1, answers


@pytest.mark.parametrize("point", KILLED_AT)
async def test_a_replica_killed_after_the_confirmation_reached_it_leaves_one_charge_told_once(
    emulator: tuple[Sandbox, str], postgres_url: str, redis_url: str, point: str
) -> None:
    """``order.pressed``: the press was kept, nothing else; ``order.answered``: Zadarma placed the order,
    nothing was recorded. The other replica, without a restart of the dead one, finishes it."""
    async with cluster(
        emulator, postgres_url, redis_url, replica_env=({"BOT_CRASH_AT": point}, {})
    ) as running:
        telegram, sandbox, proxy = running.telegram, running.sandbox, running.proxy
        ann = telegram.user()
        number = await to_confirm(telegram, ann)
        proxy.pin(0)
        telegram.press(ann, "Confirm and pay")
        dead = running.replica(0)
        assert await asyncio.wait_for(dead.proc.wait(), timeout=20) == -9
        running.replicas[0] = None

        await telegram.wait_for(
            lambda: said(telegram, ann, ORDERED) + said(telegram, ann, ALREADY) > 0,
            within=60,
            what="the order told by the replica left",
        )
        assert sandbox.call_count("order") == 1
        # The dead one comes back: it finds nothing left to do twice.
        await running.start_replica(0)
        mine = await act(telegram, ann, lambda: telegram.send_command(ann, "numbers"))
        await asyncio.sleep(3)
        assert sandbox.call_count("order") == 1
        assert number in mine
        # Told it went through: by the settled outcome's alert, by the press handled again, or by both
        # when they cross (as after a single bot's restart); never told otherwise.
        told = [t for t in telegram.texts(ann.chat_id) if ORDERED in t or ALREADY in t]
        assert 1 <= len(told) <= 2, telegram.texts(ann.chat_id)
        assert sum(ORDERED in t for t in told) <= 1, told
        assert not said(telegram, ann, "did not go through")
        assert not said(telegram, ann, "expired")


@pytest.mark.parametrize("point", KILLED_AT)
async def test_what_a_killed_replica_left_is_taken_over_once_its_heartbeat_stops_not_orphan_after_later(
    emulator: tuple[Sandbox, str], postgres_url: str, redis_url: str, point: str
) -> None:
    """With ``ORPHAN_AFTER`` at ten minutes, the customer still hears the outcome within seconds of the
    kill: the replica left knows, from the roster in Redis, that nobody holds the work any more."""
    async with cluster(
        emulator,
        postgres_url,
        redis_url,
        replica_env=({"BOT_CRASH_AT": point}, {}),
        ORPHAN_AFTER="600",
        REPLICA_HEARTBEAT="0.5",
    ) as running:
        telegram, sandbox, proxy = running.telegram, running.sandbox, running.proxy
        ann = telegram.user()
        await to_confirm(telegram, ann)
        proxy.pin(0)
        telegram.press(ann, "Confirm and pay")
        assert await asyncio.wait_for(running.replica(0).proc.wait(), timeout=20) == -9
        killed = time.monotonic()
        running.replicas[0] = None

        await telegram.wait_for(
            lambda: said(telegram, ann, ORDERED) + said(telegram, ann, ALREADY) > 0,
            within=20,
            what="the order told by the replica left, well before ORPHAN_AFTER",
        )
        told_after = time.monotonic() - killed
        assert told_after < 20, told_after
        assert sandbox.call_count("order") == 1
        assert not said(telegram, ann, "did not go through")


async def test_an_expiry_alert_goes_out_once_though_both_replicas_scan_and_deliver(
    emulator: tuple[Sandbox, str], postgres_url: str, redis_url: str
) -> None:
    # The digest goes out once an account-local day from ALERT_DIGEST_HOUR on; hour 0 makes it
    # due whatever the time of the run (the default, 9, failed every run before 09:00).
    async with cluster(
        emulator, postgres_url, redis_url, ALERT_INTERVAL="1", ALERT_DIGEST_HOUR="0"
    ) as running:
        telegram, sandbox, slack = running.telegram, running.sandbox, running.slack
        ann = telegram.user()
        number = await to_confirm(telegram, ann)
        await act(telegram, ann, lambda: telegram.press(ann, "Confirm and pay"))
        owned = sandbox.state.numbers["".join(ch for ch in number if ch.isdigit())]
        owned.autorenew = False
        owned.stop_date = sandbox.clock.now() + timedelta(days=6, hours=12)

        await telegram.wait_for(lambda: said(telegram, ann, EXPIRES) > 0, within=30, what="the expiry alert")
        await slack.wait_for("chat.postMessage", seconds=15)
        await asyncio.sleep(5)  # several more scans and delivery rounds on both replicas

        assert said(telegram, ann, EXPIRES) == 1, telegram.texts(ann.chat_id)
        texts = [str(c.args.get("text")) for c in slack.calls_to("chat.postMessage")]
        assert sum(EXPIRES in text for text in texts) == 1, texts  # the team's copy
        assert sum(text.startswith("Daily digest") for text in texts) == 1, texts


async def health_of(base: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(base + "/healthz") as answer:
        return answer.status, await answer.json()


@pytest.mark.exact_emulator_only("about the process's drain; the replies of the whole-order test")
async def test_sigterm_drains_a_replica_unhealthy_first_serving_still_then_finishing_its_work(
    emulator: tuple[Sandbox, str], postgres_url: str, redis_url: str
) -> None:
    drain = 2.0
    envs: tuple[dict[str, str], ...] = ({"DRAIN_SECONDS": str(drain)}, {})
    async with cluster(emulator, postgres_url, redis_url, replica_env=envs, ZADARMA_TIMEOUT="15") as running:
        telegram, sandbox, proxy = running.telegram, running.sandbox, running.proxy
        ann, bob = telegram.user(first_name="Ann"), telegram.user(first_name="Bob")
        await to_confirm(telegram, ann)
        replica = running.replica(0)
        sandbox.set_faults(latency_ms=int((drain + 2) * 1000), paths=["/v1/direct_numbers/order/"])
        proxy.pin(0)
        await telegram.delivered(telegram.press(ann, "Confirm and pay"), within=10)

        async def in_flight() -> int:
            _, body = await health_of(replica.base)
            return int(body["parts"]["telegram"]["updates_in_flight"])

        async def unhealthy() -> bool:
            return (await health_of(replica.base))[0] != 200

        await eventually(in_flight, within=30, every=0.05, what="the order in flight on the replica")
        replica.proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        await eventually(unhealthy, within=1, every=0.05, what="unhealthy within a second of SIGTERM")
        assert await health_of(replica.base) == (503, {"ok": False, "draining": True})
        # The balancer has not noticed yet: what still reaches the draining replica is served.
        proxy.pin(0)
        await act(telegram, bob, lambda: telegram.send_command(bob, "start"))
        assert proxy.routed[-1].replica == 0 and proxy.routed[-1].status == 200
        assert replica.proc.returncode is None

        assert await asyncio.wait_for(replica.proc.wait(), timeout=40) == 0, replica.stderr.decode()[-3000:]
        took = time.monotonic() - signalled
        running.replicas[0] = None
        sandbox.clear_faults()
        assert took >= drain
        # The order in progress when the signal came was finished before the exit, not left to others.
        assert said(telegram, ann, ORDERED) == 1, telegram.texts(ann.chat_id)
        assert sandbox.call_count("order") == 1
        logs = replica.stderr.decode()
        assert "updates still running at shutdown are cancelled" not in logs
