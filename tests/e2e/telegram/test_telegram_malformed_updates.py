"""Malformed updates at the webhook, with the right secret: never a 500, never a traceback.

Whoever holds the webhook secret (or Telegram itself, with an update type
newer than this aiogram) can post anything. Each request gets a 4xx, or is
acknowledged and ignored with one warning line; the log has no ERROR and no
traceback from it, and the bot keeps answering good updates afterwards.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest

from adapters.telegram.webhook import SECRET_HEADER
from tests.e2e.telegram.telegram_helpers import WEBHOOK_PATH, WEBHOOK_SECRET, TelegramHarness
from tests.fuzz_json import mutants

USER = {"id": 4242, "is_bot": False, "first_name": "Fuzz", "language_code": "en"}
CHAT = {"id": 4242, "type": "private", "first_name": "Fuzz"}


def _message(update_id: int, **fields: Any) -> dict[str, Any]:
    message = {"message_id": update_id, "date": 1_700_000_000, "chat": CHAT, "from": USER}
    message.update(fields)
    return {"update_id": update_id, "message": message}


REFUSED: list[tuple[str, bytes]] = [
    ("not json", b"{"),
    ("not utf-8", b'{"update_id": 1, "message": "\xff"}'),
    ("deeply nested", b"[" * 5000 + b"]" * 5000),
    ("deeply nested object", b'{"a":' * 5000 + b"1" + b"}" * 5000),
    ("a list", b"[]"),
    ("a string", b'"update"'),
    ("null", b"null"),
    ("an empty object", b"{}"),
    ("update_id text", json.dumps({"update_id": "abc"}).encode()),
    ("message a string", json.dumps({"update_id": 5, "message": "hi"}).encode()),
    (
        "message without a chat",
        json.dumps({"update_id": 6, "message": {"message_id": 1, "date": 1}}).encode(),
    ),
]

IGNORED: list[tuple[str, dict[str, Any]]] = [
    ("only an update_id", {"update_id": 10}),
    ("an unknown update type", {"update_id": 11, "future_update": {"what": "ever"}}),
    ("unknown type with a known-looking body", {"update_id": 12, "business_thing": {"chat": CHAT}}),
    ("a negative update_id", _message(-13, text="/start")),
    ("text of one superscript digit", _message(14, text="²")),
    ("text of 5,000 digits", _message(15, text="9" * 5000)),
    ("control characters", _message(16, text="\x00\x1b[2J\u202e")),
    ("an empty photo list", _message(17, photo=[])),
    (
        "a document with a huge size",
        _message(18, document={"file_id": "f", "file_unique_id": "u", "file_size": 10**12}),
    ),
    (
        "a message from a bot",
        {
            "update_id": 19,
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": CHAT,
                "from": dict(USER, is_bot=True),
                "text": "/start",
            },
        },
    ),
    ("a group chat", _message(20, chat={"id": -100, "type": "group", "title": "g"}, text="/order")),
    (
        "a channel post",
        {
            "update_id": 21,
            "channel_post": {"message_id": 1, "date": 1, "chat": {"id": -5, "type": "channel"}, "text": "x"},
        },
    ),
    (
        "an edited message",
        {"update_id": 22, "edited_message": _message(22, text="x", edit_date=2)["message"]},
    ),
    (
        "a press with forged data",
        {
            "update_id": 23,
            "callback_query": {
                "id": "q1",
                "from": USER,
                "chat_instance": "1",
                "data": "x" * 64,
                "message": _message(23)["message"],
            },
        },
    ),
    (
        "a press without a message",
        {"update_id": 24, "callback_query": {"id": "q2", "from": USER, "chat_instance": "1", "data": "zz"}},
    ),
    (
        "a press without data",
        {"update_id": 25, "callback_query": {"id": "q3", "from": USER, "chat_instance": "1"}},
    ),
    ("a command with a huge argument", _message(26, text="/order " + "€" * 3000)),
    ("an unknown command", _message(27, text="/../../etc/passwd")),
]


@pytest.fixture
async def webhook(harness: TelegramHarness) -> TelegramHarness:
    await harness.start(webhook=True)
    return harness


async def _post(h: TelegramHarness, body: bytes) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            h.web_url + WEBHOOK_PATH,
            data=body,
            headers={SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"},
        ) as response,
    ):
        return response.status


def _bad(records: list[logging.LogRecord]) -> list[tuple[str, str]]:
    return [(r.name, r.getMessage()) for r in records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize("body", [b for _, b in REFUSED], ids=[n for n, _ in REFUSED])
async def test_a_body_that_is_not_an_update_gets_400_and_one_warning(
    webhook: TelegramHarness, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    caplog.set_level(logging.INFO)
    assert await _post(webhook, body) == 400
    await webhook.part.drain()
    assert _bad(caplog.records) == []
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


@pytest.mark.parametrize("update", [u for _, u in IGNORED], ids=[n for n, _ in IGNORED])
async def test_an_odd_update_is_answered_without_a_traceback(
    webhook: TelegramHarness, caplog: pytest.LogCaptureFixture, update: dict[str, Any]
) -> None:
    caplog.set_level(logging.INFO)
    status = await _post(webhook, json.dumps(update).encode())
    await webhook.part.drain()
    assert status < 500
    assert _bad(caplog.records) == []
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) <= 1
    # The bot still answers a good update afterwards.
    ann = webhook.fake.user()
    shown = await webhook.say(ann, "/start")
    assert "Welcome" in shown[0].text


def _press(update_id: int, data: str) -> dict[str, Any]:
    message = {"message_id": 1, "date": 1_700_000_000, "chat": CHAT, "from": USER, "text": "menu"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": USER,
            "chat_instance": "1",
            "message": message,
            "data": data,
        },
    }


@pytest.mark.parametrize("seed", [1414, 5, 7])
async def test_fuzzed_updates_get_no_500_and_no_traceback(
    webhook: TelegramHarness, caplog: pytest.LogCaptureFixture, seed: int
) -> None:
    """Seeded random mutations of every kind of update the bot handles, posted one after another."""
    caplog.set_level(logging.INFO)
    templates = [
        _message(100, text="/start"),
        _message(101, text="Poland"),
        _press(102, "abc1"),
        _message(103, photo=[{"file_id": "p", "file_unique_id": "u", "width": 9, "height": 9}]),
        _message(104, document={"file_id": "d", "file_unique_id": "v", "file_name": "a.pdf"}),
        {
            "update_id": 105,
            "my_chat_member": {
                "chat": CHAT,
                "from": USER,
                "date": 1,
                "old_chat_member": {"status": "member", "user": USER},
                "new_chat_member": {"status": "kicked", "user": USER, "until_date": 0},
            },
        },
    ]
    statuses = []
    for index, update in enumerate(mutants(templates, 90, seed=seed)):
        if isinstance(update, dict) and isinstance(update.get("update_id"), int):
            update["update_id"] = 1000 + index  # distinct ids: none is dropped as a duplicate
        statuses.append(await _post(webhook, json.dumps(update).encode()))
    await webhook.part.drain()
    assert max(statuses) < 500, statuses
    assert _bad(caplog.records) == []
    ann = webhook.fake.user()
    shown = await webhook.say(ann, "/start")
    assert "Welcome" in shown[0].text
