"""The bot's Bot API session sends JSON bodies that say what aiogram's own form says.

A real aiohttp server on 127.0.0.1 records every request and answers as the
Bot API does; each call is made once through aiogram's ``AiohttpSession`` and
once through :class:`JsonBodySession`, and the parameters that arrive are
compared field by field.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    BanChatMember,
    EditMessageText,
    SendDocument,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiohttp import web

from adapters.telegram.render import Outgoing
from adapters.telegram.sending import Sender
from adapters.telegram.session import JsonBodySession, dumps_text

TOKEN = "42:test-token"


@dataclass
class Recorded:
    method: str
    content_type: str
    fields: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class BotApi:
    """The recording server: ``answers`` maps a method to (HTTP status, body text)."""

    base: str
    seen: list[Recorded]
    answers: dict[str, tuple[int, str]]
    delay: float = 0.0


def _message(text: str) -> dict[str, Any]:
    return {
        "message_id": 7,
        "date": 1_700_000_000,
        "chat": {"id": 1001, "type": "private", "first_name": "Ana"},
        "from": {"id": 42, "is_bot": True, "first_name": "Bot"},
        "text": text,
    }


@pytest.fixture
async def api() -> AsyncIterator[BotApi]:
    seen: list[Recorded] = []
    answers: dict[str, tuple[int, str]] = {}
    state = BotApi("", seen, answers)

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        record = Recorded(method, request.content_type, {})
        if request.content_type == "application/json":
            record.fields = json.loads(await request.read())
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    record.files[key] = value.file.read()
                else:
                    record.fields[key] = str(value)
        seen.append(record)
        if state.delay:
            await asyncio.sleep(state.delay)
        status, body = answers.get(method, (200, json.dumps({"ok": True, "result": True})))
        return web.Response(status=status, text=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.base = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


def _bot(api: BotApi, session_type: type[AiohttpSession]) -> Bot:
    session = session_type(api=TelegramAPIServer.from_base(api.base))
    return Bot(TOKEN, session=session, default=DefaultBotProperties(link_preview_is_disabled=True))


async def _through_both(api: BotApi, method: TelegramMethod[Any]) -> tuple[Recorded, Recorded]:
    results = []
    for session_type in (AiohttpSession, JsonBodySession):
        bot = _bot(api, session_type)
        try:
            await bot(method)
        finally:
            await bot.session.close()
        results.append(api.seen[-1])
    return results[0], results[1]


def _form_value(text: str, json_value: Any) -> Any:
    """A form field read back the way the Bot API reads it: a JSON value where the body has one."""
    return text if isinstance(json_value, str) else json.loads(text)


KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="+7 495 000-00-01", callback_data="n:1")],
        [InlineKeyboardButton(text="Отмена ✖", callback_data="cancel")],
    ]
)

CALLS: list[TelegramMethod[Any]] = [
    SendMessage(chat_id=1001, text="Выберите номер — «Москва»", reply_markup=KEYBOARD),
    SendMessage(chat_id=1001, text="Your reference?", reply_markup=ForceReply(force_reply=True)),
    EditMessageText(chat_id=1001, message_id=7, text="⏳ Placing the order…", reply_markup=None),
    AnswerCallbackQuery(callback_query_id="cb-1", text="Done", show_alert=False),
    AnswerCallbackQuery(callback_query_id="cb-2", text="", cache_time=0),
    BanChatMember(
        chat_id=1001,
        user_id=5,
        until_date=datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        revoke_messages=True,
    ),
]


@pytest.mark.parametrize("method", CALLS, ids=lambda m: type(m).__name__)
async def test_the_json_body_carries_exactly_the_fields_of_aiogram_s_form(
    api: BotApi, method: TelegramMethod[Any]
) -> None:
    api.answers["sendMessage"] = (200, json.dumps({"ok": True, "result": _message("x")}))
    api.answers["editMessageText"] = (200, json.dumps({"ok": True, "result": _message("x")}))
    form, body = await _through_both(api, method)

    assert form.content_type != "application/json"
    assert body.content_type == "application/json"
    assert body.method == form.method
    assert set(body.fields) == set(form.fields)
    for key, value in body.fields.items():
        assert _form_value(form.fields[key], value) == value, key


async def test_the_bot_s_default_link_preview_setting_is_sent(api: BotApi) -> None:
    api.answers["sendMessage"] = (200, json.dumps({"ok": True, "result": _message("hi")}))
    _form, body = await _through_both(api, SendMessage(chat_id=1001, text="hi"))

    assert body.fields["link_preview_options"] == {"is_disabled": True}
    assert "reply_markup" not in body.fields


async def test_a_reply_becomes_aiogram_s_typed_result_bound_to_the_bot(api: BotApi) -> None:
    api.answers["sendMessage"] = (200, json.dumps({"ok": True, "result": _message("Привет")}))
    bot = _bot(api, JsonBodySession)
    try:
        sent = await bot(SendMessage(chat_id=1001, text="Привет"))
    finally:
        await bot.session.close()

    assert isinstance(sent, Message)
    assert (sent.message_id, sent.text, sent.chat.id) == (7, "Привет", 1001)
    assert sent.bot is bot


async def test_a_file_upload_still_goes_as_a_multipart_form(api: BotApi) -> None:
    api.answers["sendDocument"] = (200, json.dumps({"ok": True, "result": _message("")}))
    bot = _bot(api, JsonBodySession)
    try:
        await bot(
            SendDocument(
                chat_id=1001,
                document=BufferedInputFile(b"%PDF-1.4 scan", filename="passport.pdf"),
                caption="Your scan",
            )
        )
    finally:
        await bot.session.close()

    upload = api.seen[-1]
    assert upload.content_type == "multipart/form-data"
    assert upload.fields["caption"] == "Your scan"
    assert list(upload.files.values()) == [b"%PDF-1.4 scan"]
    assert upload.fields["document"].startswith("attach://")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            400,
            {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"},
            TelegramBadRequest,
        ),
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests",
                "parameters": {"retry_after": 3},
            },
            TelegramRetryAfter,
        ),
    ],
)
async def test_refusals_are_aiogram_s_errors(
    api: BotApi, status: int, body: dict[str, Any], error: type[Exception]
) -> None:
    api.answers["sendMessage"] = (status, json.dumps(body))
    bot = _bot(api, JsonBodySession)
    try:
        with pytest.raises(error) as raised:
            await bot(SendMessage(chat_id=1001, text="hi"))
    finally:
        await bot.session.close()

    assert body["description"] in str(raised.value)
    if isinstance(raised.value, TelegramRetryAfter):
        assert raised.value.retry_after == 3


UNREADABLE = ["<html>502 Bad Gateway</html>", '{"ok": true, "result": {"message_id": "x"}}']


@pytest.mark.parametrize("text", UNREADABLE)
async def test_an_unreadable_reply_is_a_decode_error(api: BotApi, text: str) -> None:
    api.answers["sendMessage"] = (200, text)
    bot = _bot(api, JsonBodySession)
    try:
        with pytest.raises(ClientDecodeError):
            await bot(SendMessage(chat_id=1001, text="hi"))
    finally:
        await bot.session.close()


async def test_an_unreachable_api_and_a_late_reply_are_network_errors(api: BotApi) -> None:
    unreachable = Bot(TOKEN, session=JsonBodySession(api=TelegramAPIServer.from_base("http://127.0.0.1:9")))
    try:
        with pytest.raises(TelegramNetworkError):
            await unreachable(SendMessage(chat_id=1001, text="hi"))
    finally:
        await unreachable.session.close()

    api.delay = 1.0
    bot = Bot(TOKEN, session=JsonBodySession(api=TelegramAPIServer.from_base(api.base), timeout=0.2))
    try:
        with pytest.raises(TelegramNetworkError, match="timeout"):
            await bot(SendMessage(chat_id=1001, text="hi"))
    finally:
        await bot.session.close()


def test_json_text_beyond_orjson_s_reach_is_written_by_json() -> None:
    assert json.loads(dumps_text({"id": 2**70, "name": "Ана"})) == {"id": 2**70, "name": "Ана"}
    assert dumps_text({"name": "Ана"}) == '{"name":"Ана"}'


# -- replies the bot does not read ------------------------------------------------------


async def test_an_edit_s_reply_is_checked_but_the_edited_message_is_not_built(api: BotApi) -> None:
    """The edited message in the reply is never read, so even one aiogram cannot build is no error."""
    api.answers["editMessageText"] = (200, UNREADABLE[1])
    api.answers["editMessageReplyMarkup"] = (200, UNREADABLE[1])
    bot = _bot(api, JsonBodySession)
    sender = Sender(bot)
    shown = Outgoing("⏳ Placing the order…", KEYBOARD)
    try:
        with pytest.raises(ClientDecodeError):  # what aiogram's own method does with that reply
            await bot(EditMessageText(chat_id=1001, message_id=7, text="x"))
        assert await sender.edit(1001, 7, shown) is True
        await sender.strip_keyboard(1001, 7)
    finally:
        await bot.session.close()

    edit, strip = api.seen[-2:]
    assert (edit.method, strip.method) == ("editMessageText", "editMessageReplyMarkup")
    assert edit.fields == {
        "chat_id": 1001,
        "message_id": 7,
        "text": shown.text,
        "reply_markup": KEYBOARD.model_dump(exclude_none=True),
        "link_preview_options": {"is_disabled": True},
        "disable_web_page_preview": True,  # aiogram fills both from the bot's default
    }
    assert strip.fields == {"chat_id": 1001, "message_id": 7}


@pytest.mark.parametrize(
    ("description", "edited"),
    [("Bad Request: message is not modified", True), ("Bad Request: message to edit not found", False)],
)
async def test_an_edit_s_refusal_is_still_read(api: BotApi, description: str, *, edited: bool) -> None:
    api.answers["editMessageText"] = (
        400,
        json.dumps({"ok": False, "error_code": 400, "description": description}),
    )
    bot = _bot(api, JsonBodySession)
    try:
        assert await Sender(bot).edit(1001, 7, Outgoing("hi", None)) is edited
    finally:
        await bot.session.close()


async def test_an_edit_s_other_refusals_reach_the_caller(api: BotApi) -> None:
    api.answers["editMessageText"] = (
        400,
        json.dumps({"ok": False, "error_code": 400, "description": "Bad Request: text is too long"}),
    )
    bot = _bot(api, JsonBodySession)
    try:
        with pytest.raises(TelegramBadRequest, match="too long"):
            await Sender(bot).edit(1001, 7, Outgoing("hi", None))
    finally:
        await bot.session.close()


async def test_a_sent_message_is_read_for_its_id_alone(api: BotApi) -> None:
    """Only ``message_id`` is read: a reply aiogram could not build a Message from still gives the id."""
    api.answers["sendMessage"] = (
        200,
        json.dumps({"ok": True, "result": {"message_id": 815, "date": "soon"}}),
    )
    bot = _bot(api, JsonBodySession)
    try:
        with pytest.raises(ClientDecodeError):  # what aiogram's own method does with that reply
            await bot(SendMessage(chat_id=1001, text="x"))
        assert await Sender(bot).send(1001, Outgoing("Ваш номер готов", KEYBOARD)) == 815
    finally:
        await bot.session.close()

    sent = api.seen[-1]
    assert sent.method == "sendMessage"
    assert sent.fields["text"] == "Ваш номер готов"
    assert sent.fields["reply_markup"] == KEYBOARD.model_dump(exclude_none=True)


@pytest.mark.parametrize("result", [{"date": 1}, {"message_id": "815"}, {"message_id": True}, [815], True])
async def test_a_sent_message_without_an_id_is_a_decode_error(api: BotApi, result: object) -> None:
    api.answers["sendMessage"] = (200, json.dumps({"ok": True, "result": result}))
    bot = _bot(api, JsonBodySession)
    try:
        with pytest.raises(ClientDecodeError):
            await Sender(bot).send(1001, Outgoing("hi"))
    finally:
        await bot.session.close()
