"""How updates arrive and replies leave: polling, webhook, flood waits, duplicates, order, start-up."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from adapters.telegram import TelegramPart, texts
from bot.storage import UserRef
from tests.e2e.telegram.telegram_helpers import PDF, WEBHOOK_PATH, WEBHOOK_SECRET, TelegramHarness
from tests.fakes.telegram_api import SECRET_HEADER, FakeTelegram

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


async def test_polling_mode_publishes_the_commands_and_reports_health(polling: TelegramHarness) -> None:
    fake = polling.fake
    await fake.wait_for_call("getUpdates")

    assert fake.count("deleteWebhook") == 1
    assert fake.count("setWebhook") == 0
    english = [(c["command"], c["description"]) for c in fake.commands[""]]
    polish = dict((c["command"], c["description"]) for c in fake.commands["pl"])
    assert [name for name, _ in english] == [
        "start",
        "order",
        "numbers",
        "documents",
        "language",
        "help",
        "cancel",
    ]
    assert dict(english)["order"] == "Order a new number"
    assert polish["order"] == "Zamów nowy numer"
    health = polling.part.health()
    assert health["ok"] is True
    assert health["mode"] == "polling"
    assert health["last_error"] is None


async def test_webhook_mode_registers_the_webhook_and_handles_pushed_updates(
    harness: TelegramHarness,
) -> None:
    fake = harness.fake
    await harness.start(webhook=True)
    ann = fake.user()

    assert fake.webhook_url == harness.web_url + WEBHOOK_PATH
    assert fake.webhook_secret == WEBHOOK_SECRET
    shown = await harness.say(ann, "/start")

    assert "Welcome" in shown[0].text
    assert fake.webhook_responses[-1][1] == 200
    assert fake.count("getUpdates") == 0
    async with aiohttp.ClientSession() as http, http.get(harness.web_url + "/healthz") as response:
        report = await response.json()
    assert response.status == 200
    assert report["parts"]["telegram"]["mode"] == "webhook"
    assert report["parts"]["telegram"]["ok"] is True


async def test_webhook_requests_without_the_right_secret_are_refused(harness: TelegramHarness) -> None:
    fake = harness.fake
    await harness.start(webhook=True)
    ann = fake.user()
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": ann.chat_json(),
            "from": ann.to_json(),
            "text": "/start",
        },
    }
    url = harness.web_url + WEBHOOK_PATH
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: WEBHOOK_SECRET[:-1]}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 401
        async with http.post(url, data=b"not json", headers={SECRET_HEADER: WEBHOOK_SECRET}) as response:
            assert response.status == 400
        async with http.post(url, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}) as response:
            assert response.status == 200
    await harness.part.drain()

    assert len(fake.bot_messages(ann.chat_id)) == 2  # welcome + menu, for the one good request


@pytest.mark.parametrize("secret", ["XXXX", "_"])  # short, plain secrets Telegram allows
async def test_a_request_without_the_secret_header_is_refused_whatever_the_secret(
    harness: TelegramHarness, secret: str
) -> None:
    await harness.start(webhook=True, secret=secret)
    ann = harness.fake.user()
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": ann.chat_json(),
            "from": ann.to_json(),
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(harness.web_url + WEBHOOK_PATH, json=update) as response:
            assert response.status == 401
        async with http.post(
            harness.web_url + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: secret}
        ) as response:
            assert response.status == 200
    await harness.part.drain()
    assert len(harness.fake.bot_messages(ann.chat_id)) == 2  # the one request with the header


async def test_a_flood_wait_on_send_is_waited_out_and_the_message_sent(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    fake.fail_next("sendMessage", status=429, retry_after=1)

    shown = await h.say(ann, "/start")

    sends = fake.calls_to("sendMessage")
    assert [c.status for c in sends] == [429, 200, 200]
    assert sends[1].at - sends[0].at >= 0.95
    assert sends[0].params["text"] == sends[1].params["text"]
    assert "Welcome" in shown[0].text


async def test_start_up_calls_that_fail_are_retried_in_the_background(harness: TelegramHarness) -> None:
    fake = harness.fake
    fake.fail_next("setMyCommands", status=500)
    fake.fail_next("deleteWebhook", status=502)

    await harness.start()
    health = harness.part.health()
    assert "setMyCommands" in (health["last_error"] or "") or "deleteWebhook" in (health["last_error"] or "")
    assert health["retrying"]

    ann = fake.user()
    shown = await harness.say(ann, "/start")  # the bot works meanwhile
    assert "Welcome" in shown[0].text

    await fake.wait_for(lambda: set(fake.commands) == {"", "pl"}, within=5)
    await fake.wait_for(lambda: harness.part.health()["retrying"] == [], within=5)
    assert [c.status for c in fake.calls_to("deleteWebhook")] == [502, 200]
    assert [c.status for c in fake.calls_to("setMyCommands")] == [500, 200, 200]


async def test_a_redelivered_update_is_handled_once_even_after_a_restart(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    first = fake.send_text(ann, "/start")
    await h.settle(first)
    assert len(fake.bot_messages(ann.chat_id)) == 2

    await h.settle(fake.redeliver(first))
    assert len(fake.bot_messages(ann.chat_id)) == 2

    await h.restart()
    await h.settle(fake.redeliver(first))
    assert len(fake.bot_messages(ann.chat_id)) == 2
    assert fake.count("sendMessage") == 2


async def test_a_redelivered_press_is_answered_before_the_bot_is_idle_and_not_handled_again(
    polling: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiogram.event")
    h, fake = polling, polling.fake
    ann = fake.user()
    await h.settle(fake.send_text(ann, "/start"))
    press = fake.press(ann, "Help")
    await h.settle(press)
    shown = len(fake.bot_messages(ann.chat_id))

    fake.fail_next("answerCallbackQuery", status=429, retry_after=1)  # its answer waits out a flood limit
    await h.settle(fake.redeliver(press))

    # Still counted in flight until its spinner was stopped, although nothing else was done.
    # (The fake, like Telegram, refuses a second answer to the same press once the flood wait is over.)
    assert [c.status for c in fake.calls_to("answerCallbackQuery")] == [200, 429, 400]
    assert len(fake.bot_messages(ann.chat_id)) == shown
    prefix = f"Update id={press.update_id} "
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith(prefix)]
    assert [line.split(". ")[0] for line in said] == [
        f"Update id={press.update_id} is handled",
        f"Update id={press.update_id} is not handled",  # aiogram is told the duplicate was dropped
    ]


async def test_one_users_updates_wait_their_turn_while_other_users_go_ahead(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann, bob = fake.user(first_name="Ann"), fake.user(first_name="Bob")
    fake.hold_downloads()

    scan = fake.send_document(ann, PDF, "scan.pdf", "application/pdf")
    await fake.wait_for(lambda: len(fake.downloads) == 1, what="Ann's download to start")
    hello = fake.send_text(ann, "/start")
    bob_start = fake.send_text(bob, "/start")
    await fake.delivered(scan, hello, bob_start)
    await fake.wait_for(lambda: len(fake.bot_messages(bob.chat_id)) == 2, what="Bob's answer")

    assert fake.bot_messages(ann.chat_id) == []  # Ann's /start waits behind her file

    fake.release_downloads()
    await h.part.drain()
    texts = fake.texts(ann.chat_id)
    assert len(texts) >= 3
    assert "Welcome" not in texts[0]  # the file's answer comes first
    assert "Welcome" in texts[-2]


async def test_a_user_who_blocked_the_bot_is_marked_and_unmarked_when_writing_again(
    polling: TelegramHarness,
) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    ref = UserRef("telegram", str(ann.id))
    fake.block(ann)

    await h.say(ann, "/start")
    user = await h.storage.users.get(ref)
    assert user is not None and user.blocked

    fake.unblock(ann)
    await h.say(ann, "/start")
    user = await h.storage.users.get(ref)
    assert user is not None and not user.blocked


async def test_blocking_and_restarting_the_bot_is_recorded(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    ref = UserRef("telegram", str(ann.id))
    await h.say(ann, "/start")

    await h.settle(fake.block_bot(ann))
    user = await h.storage.users.get(ref)
    assert user is not None and user.blocked

    await h.settle(fake.restart_bot(ann))
    user = await h.storage.users.get(ref)
    assert user is not None and not user.blocked
    assert "my_chat_member" in fake.calls_to("getUpdates")[-1].params["allowed_updates"]


async def test_message_is_not_modified_is_ignored(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await h.say(ann, "/start")
    before = len(fake.bot_messages(ann.chat_id))
    fake.fail_next("editMessageText", status=400, description=NOT_MODIFIED)

    await h.press(ann, "Help")

    assert [c.status for c in fake.calls_to("editMessageText")] == [400]
    assert len(fake.bot_messages(ann.chat_id)) == before
    assert not any("went wrong" in t for t in fake.texts(ann.chat_id))


async def test_messages_the_bot_cannot_use_get_a_hint(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()

    await h.settle(fake.send_message(ann, location={"latitude": 52.23, "longitude": 21.01}))
    assert "photos and documents" in fake.texts(ann.chat_id)[-1]

    shown = await h.say(ann, "/weather")
    assert "I don't know /weather" in shown[-1].text


async def test_the_token_never_reaches_the_logs(
    harness: TelegramHarness, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail_next("setMyCommands", status=500)
    fake.fail_next("sendMessage", status=502)
    await harness.start()
    ann = fake.user()
    await harness.say(ann, "/start")
    await harness.photo(ann, b"\xff\xd8\xff\xe0 not a real photo")
    await asyncio.sleep(0)
    await harness.stop()

    assert caplog.records
    assert fake.token not in caplog.text
    assert fake.token.split(":", 1)[1] not in caplog.text


async def test_a_malformed_token_is_refused_without_quoting_it(harness: TelegramHarness) -> None:
    stack = await harness.start()
    bad = "not-a-token-but-secret"
    with pytest.raises(ValueError, match="malformed") as raised:
        TelegramPart(
            token=bad,
            api_base=harness.fake.base_url,
            engine=stack.engine,
            storage=stack.storage,
        )
    assert bad not in str(raised.value)


async def test_health_while_running_and_after_stop(harness: TelegramHarness) -> None:
    stack = await harness.start()
    assert stack.part.health()["ok"] is True
    await harness.stop()
    assert stack.part.health()["ok"] is False


async def test_a_command_in_a_group_points_to_the_private_chat_and_other_group_talk_is_ignored(
    polling: TelegramHarness,
) -> None:
    h, fake = polling, polling.fake
    ann = fake.user(language_code="en")
    group = {"id": -100_200_301, "type": "supergroup", "title": "Team"}
    await h.settle(fake.send_message(ann, chat=group, text="hello everyone"))
    assert fake.calls_to("sendMessage", chat_id=group["id"]) == []
    await h.settle(fake.send_message(ann, chat=group, text="/order"))
    [pointer] = fake.calls_to("sendMessage", chat_id=group["id"])
    assert pointer.params["text"] == texts.message("en", "private_only")
    shown = await h.say(ann, "/start")  # in the private chat: the conversation itself
    assert "Welcome" in shown[0].text


def test_no_filter_or_handler_runs_on_a_thread(polling: TelegramHarness) -> None:
    # aiogram runs a plain (not async) filter or handler with asyncio.to_thread, once per update
    routers = [polling.part.dispatcher, *polling.part.dispatcher.sub_routers]
    for router in routers:
        for observer in router.observers.values():
            for handler in observer.handlers:
                assert handler.awaitable, (router.name, handler.callback)
                for check in handler.filters or ():
                    assert check.awaitable, (router.name, check.callback)
