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
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    BanChatMember,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    SendChatAction,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    Update,
)
from aiohttp import web

from adapters.telegram.received import ReceivedUpdates, update_texts
from adapters.telegram.render import Outgoing, keyboard
from adapters.telegram.sending import Sender, chat_action_call
from adapters.telegram.session import JsonBodySession, dumps_text
from conversations.screens import Button
from tests.fakes.clock import FakeClock

TOKEN = "42:test-token"


@dataclass
class Recorded:
    method: str
    content_type: str
    fields: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    token: str = ""


@dataclass
class BotApi:
    """The recording server: ``answers`` maps a method to (HTTP status, body text)."""

    base: str
    seen: list[Recorded]
    answers: dict[str, tuple[int, str]]
    delay: float = 0.0
    raw: Callable[[web.Request], Awaitable[web.Response]] | None = None


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
        if state.raw is not None:
            return await state.raw(request)
        method = request.match_info["method"]
        record = Recorded(method, request.content_type, {}, token=request.match_info["token"])
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
    default = DefaultBotProperties(link_preview_is_disabled=True, parse_mode="HTML")
    return Bot(TOKEN, session=session, default=default)


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
MARKUP = keyboard([[Button("+7 495 000-00-01", "n:1")], [Button("Отмена ✖", "cancel")]])
"""The same keyboard as the adapter renders it (plain data)."""

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
    # the photos' parse_mode is a Default inside a list: resolved from the bot's defaults as well
    SendMediaGroup(
        chat_id=1001,
        media=[
            InputMediaPhoto(media="https://127.0.0.1/scan-1.jpg", caption="<b>1</b>"),
            InputMediaPhoto(media="https://127.0.0.1/scan-2.jpg"),
        ],
    ),
]


@pytest.mark.parametrize("method", CALLS, ids=lambda m: type(m).__name__)
async def test_the_json_body_carries_exactly_the_fields_of_aiogram_s_form(
    api: BotApi, method: TelegramMethod[Any]
) -> None:
    api.answers["sendMessage"] = (200, json.dumps({"ok": True, "result": _message("x")}))
    api.answers["editMessageText"] = (200, json.dumps({"ok": True, "result": _message("x")}))
    api.answers["sendMediaGroup"] = (200, json.dumps({"ok": True, "result": [_message("x")]}))
    form, body = await _through_both(api, method)

    assert form.content_type != "application/json"
    assert body.content_type == "application/json"
    assert body.method == form.method
    assert body.token == form.token == TOKEN
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
    text = dumps_text({"id": 2**70, "name": "Ана"})
    assert json.loads(text) == {"id": 2**70, "name": "Ана"}
    assert "Ана" in text  # UTF-8, as orjson writes it, not \u escapes
    assert dumps_text({"name": "Ана"}) == '{"name":"Ана"}'


async def test_a_body_beyond_orjson_s_reach_is_written_by_json(api: BotApi) -> None:
    api.answers["sendMessage"] = (200, json.dumps({"ok": True, "result": _message("x")}))
    _form, body = await _through_both(api, SendMessage(chat_id=2**70, text="Ана"))

    assert body.content_type == "application/json"
    assert body.fields["chat_id"] == 2**70
    assert body.fields["text"] == "Ана"


async def test_a_relative_date_is_sent_as_the_moment_it_names(api: BotApi) -> None:
    bot = _bot(api, JsonBodySession)
    try:
        before = time.time()
        await bot(BanChatMember(chat_id=1001, user_id=5, until_date=datetime.timedelta(minutes=5)))
        after = time.time()
    finally:
        await bot.session.close()

    assert round(before) + 300 <= api.seen[-1].fields["until_date"] <= round(after) + 300


async def test_a_call_s_own_timeout_is_kept_with_or_without_a_file(api: BotApi) -> None:
    api.delay = 1.5
    bot = _bot(api, JsonBodySession)  # the session's own timeout: aiogram's 60 s
    upload = SendDocument(chat_id=1001, document=BufferedInputFile(b"scan", filename="id.pdf"))
    try:
        for method in (SendMessage(chat_id=1001, text="hi"), upload):
            with pytest.raises(TelegramNetworkError) as raised:
                await bot(method, request_timeout=1)
            assert raised.value.method is method
            assert raised.value.message == "Request timeout error"  # aiogram's own words
    finally:
        await bot.session.close()


async def test_an_unreachable_api_is_named_in_the_error(api: BotApi) -> None:
    method = SendMessage(chat_id=1001, text="hi")
    unreachable = Bot(TOKEN, session=JsonBodySession(api=TelegramAPIServer.from_base("http://127.0.0.1:9")))
    try:
        with pytest.raises(TelegramNetworkError) as raised:
            await unreachable(method)
    finally:
        await unreachable.session.close()

    assert raised.value.method is method
    assert raised.value.message.startswith("ClientConnectorError: ")


async def test_a_reply_that_is_not_utf_8_is_a_decode_error(api: BotApi) -> None:
    bot = _bot(api, JsonBodySession)

    async def latin1(request: web.Request) -> web.Response:
        return web.Response(body=b'{"ok": true, "result": "caf\xe9"}', content_type="application/json")

    api.raw = latin1
    try:
        with pytest.raises(ClientDecodeError):
            await bot(SendMessage(chat_id=1001, text="hi"))
    finally:
        await bot.session.close()


# -- replies the bot does not read ------------------------------------------------------


async def test_an_edit_s_reply_is_checked_but_the_edited_message_is_not_built(api: BotApi) -> None:
    """The edited message in the reply is never read, so even one aiogram cannot build is no error."""
    api.answers["editMessageText"] = (200, UNREADABLE[1])
    api.answers["editMessageReplyMarkup"] = (200, UNREADABLE[1])
    bot = _bot(api, JsonBodySession)
    sender = Sender(bot)
    shown = Outgoing("⏳ Placing the order…", MARKUP)
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
        "parse_mode": "HTML",
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


async def test_flood_waits_are_sat_out_only_as_long_as_the_caller_allows(api: BotApi) -> None:
    flood = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests",
        "parameters": {"retry_after": 1},
    }
    api.answers["sendMessage"] = (429, json.dumps(flood))
    api.answers["editMessageText"] = (429, json.dumps(flood))
    bot, clock = _bot(api, JsonBodySession), FakeClock()
    sender = Sender(bot, attempts=3, sleep=clock.skip)
    try:
        with pytest.raises(TelegramRetryAfter):
            await sender.send(1001, Outgoing("hi"), max_wait=0)
        with pytest.raises(TelegramRetryAfter):
            await sender.edit(1001, 7, Outgoing("hi"), max_wait=0)
        assert clock.sleeps == []
        with pytest.raises(TelegramRetryAfter):
            await sender.send(1001, Outgoing("hi"))  # the default wait allows 1 s: sat out, then given up
        assert clock.sleeps == [1, 1]
    finally:
        await bot.session.close()


@pytest.mark.parametrize(
    ("description", "logged"),
    [
        ("Bad Request: message is not modified", False),
        ("Bad Request: message can't be edited", False),
        ("Bad Request: chat not found", True),
    ],
)
async def test_removing_old_buttons_fails_quietly(
    api: BotApi, caplog: pytest.LogCaptureFixture, description: str, *, logged: bool
) -> None:
    refusal = {"ok": False, "error_code": 400, "description": description}
    api.answers["editMessageReplyMarkup"] = (400, json.dumps(refusal))
    bot = _bot(api, JsonBodySession)
    try:
        with caplog.at_level(logging.INFO, logger="adapters.telegram"):
            await Sender(bot).strip_keyboard(1001, 7)
    finally:
        await bot.session.close()

    assert ("could not remove old buttons" in caplog.messages) is logged


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
        assert await Sender(bot).send(1001, Outgoing("Ваш номер готов", MARKUP)) == 815
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
        with pytest.raises(ClientDecodeError, match="the reply names no message_id") as raised:
            await Sender(bot).send(1001, Outgoing("hi"))
    finally:
        await bot.session.close()

    assert raised.value.message == "Failed to deserialize object"  # aiogram's words for such a reply
    assert raised.value.data == {"ok": True, "result": result}


# -- the adapter's own calls against aiogram's methods ----------------------------------

SENDER_CALLS: list[tuple[str, Callable[[Sender], Awaitable[object]], TelegramMethod[Any]]] = [
    (
        "send",
        lambda sender: sender.send(1001, Outgoing("Ваш номер — «+48 22 000 00 01»", MARKUP)),
        SendMessage(chat_id=1001, text="Ваш номер — «+48 22 000 00 01»", reply_markup=KEYBOARD),
    ),
    (
        "send without buttons",
        lambda sender: sender.send("@channel", Outgoing("Done.")),
        SendMessage(chat_id="@channel", text="Done."),
    ),
    (
        "edit",
        lambda sender: sender.edit(1001, 7, Outgoing("⏳ Placing the order…", MARKUP)),
        EditMessageText(chat_id=1001, message_id=7, text="⏳ Placing the order…", reply_markup=KEYBOARD),
    ),
    (
        "edit without buttons",
        lambda sender: sender.edit(1001, 7, Outgoing("Done.")),
        EditMessageText(chat_id=1001, message_id=7, text="Done."),
    ),
    (
        "strip",
        lambda sender: sender.strip_keyboard(1001, 7),
        EditMessageReplyMarkup(chat_id=1001, message_id=7, reply_markup=None),
    ),
    ("answer", lambda sender: sender.answer("cb-9"), AnswerCallbackQuery(callback_query_id="cb-9")),
    (
        "answer with an empty text",
        lambda sender: sender.answer("cb-9", text=""),
        AnswerCallbackQuery(callback_query_id="cb-9", text=""),
    ),
    (
        "typing",
        lambda sender: sender.call(chat_action_call(1001, "typing")),
        SendChatAction(chat_id=1001, action="typing"),
    ),
    (
        "answer with a text",
        lambda sender: sender.answer("cb-9", text="Saved", show_alert=True, cache_time=0),
        AnswerCallbackQuery(callback_query_id="cb-9", text="Saved", show_alert=True, cache_time=0),
    ),
]


@pytest.mark.parametrize(
    ("name", "call", "method"), SENDER_CALLS, ids=[name for name, _call, _method in SENDER_CALLS]
)
@pytest.mark.parametrize(
    "default",
    [
        DefaultBotProperties(link_preview_is_disabled=True, parse_mode="HTML"),
        DefaultBotProperties(protect_content=True, link_preview_prefer_small_media=True),
    ],
    ids=["preview-off-html", "protected-small-preview"],
)
async def test_the_adapter_s_calls_send_what_aiogram_s_methods_send(
    api: BotApi,
    name: str,
    call: Callable[[Sender], Awaitable[object]],
    method: TelegramMethod[Any],
    default: DefaultBotProperties,
) -> None:
    """Written without aiogram's method models, each call's body is still exactly aiogram's method's."""
    for answered in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
        api.answers[answered] = (200, json.dumps({"ok": True, "result": _message("x")}))
    bot = Bot(TOKEN, session=JsonBodySession(api=TelegramAPIServer.from_base(api.base)), default=default)
    try:
        await bot(method)
        expected = api.seen[-1]
        await call(Sender(bot))
        made = api.seen[-1]
        await call(Sender(bot))  # the bot's defaults, worked out once, are the same the second time
        again = api.seen[-1]
    finally:
        await bot.session.close()

    assert (made.method, made.content_type) == (expected.method, "application/json")
    assert made.fields == expected.fields == again.fields


async def test_defaults_are_worked_out_for_each_bot(api: BotApi) -> None:
    session = JsonBodySession(api=TelegramAPIServer.from_base(api.base))
    plain = Bot(TOKEN, session=session)
    html = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    try:
        await Sender(plain).answer("cb-1")
        await Sender(plain).edit(1001, 7, Outgoing("a"))
        await Sender(html).edit(1001, 7, Outgoing("b"))
        await Sender(plain).edit(1001, 7, Outgoing("c"))
    finally:
        await session.close()

    assert [r.fields.get("parse_mode") for r in api.seen[1:]] == [None, "HTML", None]


async def test_an_ok_reply_only_aiogram_s_reading_accepts_is_still_read(api: BotApi) -> None:
    """``"ok": 1`` is not plainly true; aiogram's lax reading takes it as ok, and so does the adapter."""
    api.answers["sendMessage"] = (200, json.dumps({"ok": 1, "result": {"message_id": 816}}))
    api.answers["editMessageText"] = (200, json.dumps({"ok": 1, "result": _message("x")}))
    bot = _bot(api, JsonBodySession)
    try:
        assert await Sender(bot).send(1001, Outgoing("hi")) == 816
        assert await Sender(bot).edit(1001, 7, Outgoing("hi")) is True
    finally:
        await bot.session.close()


@pytest.mark.parametrize(
    "reply", ['{"ok": false}', '{"ok": true, "result": ', "[true]", "null", '{"result": {"message_id": 5}}']
)
async def test_a_reply_that_is_not_plainly_ok_is_aiogram_s_error(api: BotApi, reply: str) -> None:
    api.answers["sendMessage"] = (200, reply)
    bot = _bot(api, JsonBodySession)
    try:
        with pytest.raises(Exception) as raised:
            await Sender(bot).send(1001, Outgoing("hi"))
        with pytest.raises(type(raised.value)):  # what aiogram's own method raises for that reply
            await bot(SendMessage(chat_id=1001, text="hi"))
    finally:
        await bot.session.close()

    assert isinstance(raised.value, ClientDecodeError | TelegramAPIError)


async def test_a_prepared_call_is_refused_by_a_session_that_cannot_send_it(api: BotApi) -> None:
    bot = _bot(api, AiohttpSession)
    try:
        with pytest.raises(TypeError, match=r"^_Sent is sent only through JsonBodySession$"):
            await Sender(bot).send(1001, Outgoing("hi"))
    finally:
        await bot.session.close()
    assert api.seen == []


async def test_a_plainly_ok_reply_is_read_without_aiogram_s_reading(
    api: BotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of a prepared call: a 200 reply with ``"ok": true`` never goes through ``check_response``."""
    api.answers["sendMessage"] = (
        200,
        json.dumps({"ok": True, "result": {**_message("x"), "message_id": 817}}),
    )
    api.answers["editMessageText"] = (200, json.dumps({"ok": True, "result": _message("x")}))
    read_by_aiogram: list[str] = []
    original = JsonBodySession.check_response

    def spy(self: JsonBodySession, **kwargs: Any) -> Any:
        read_by_aiogram.append(kwargs["method"].__api_method__)
        return original(self, **kwargs)

    monkeypatch.setattr(JsonBodySession, "check_response", spy)
    bot = _bot(api, JsonBodySession)
    try:
        assert await Sender(bot).send(1001, Outgoing("hi")) == 817
        assert await Sender(bot).edit(1001, 7, Outgoing("hi")) is True
        await bot(SendMessage(chat_id=1001, text="hi"))  # aiogram's own method: read by aiogram, as always
    finally:
        await bot.session.close()

    assert read_by_aiogram == ["sendMessage"]


async def test_a_bot_s_defaults_are_worked_out_once() -> None:
    session = JsonBodySession()
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(link_preview_is_disabled=True))
    other = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    try:
        first = session.defaults(bot, EditMessageText)
        assert session.defaults(bot, EditMessageText) is first
        assert first["link_preview_options"] == {"is_disabled": True}
        assert session.defaults(other, EditMessageText)["parse_mode"] == "HTML"
        assert session.defaults(bot, EditMessageText) == first
    finally:
        await session.close()


def _update(update_id: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {**_message(text), "message_id": update_id}}


async def test_polled_updates_come_with_each_one_s_json_as_received(api: BotApi) -> None:
    served = [_update(5, "Привет"), _update(6, "/start")]
    served[1]["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
    api.answers["getUpdates"] = (200, json.dumps({"ok": True, "result": served}))
    read: list[Any] = []
    for session_type in (AiohttpSession, JsonBodySession):
        bot = _bot(api, session_type)
        try:
            read.append(await bot(GetUpdates(offset=5, timeout=0)))
        finally:
            await bot.session.close()
    aiogram_s, ours = read

    assert isinstance(ours, ReceivedUpdates)
    assert list(ours) == aiogram_s  # the same Update models aiogram's session reads
    assert {k: json.loads(v) for k, v in ours.texts.items()} == {5: served[0], 6: served[1]}
    assert all(
        Update.model_validate_json(ours.texts[u.update_id]).model_dump() == u.model_dump() for u in ours
    )


def test_update_texts_leave_out_what_cannot_be_told_apart_or_written() -> None:
    items: list[Any] = [
        _update(1, "a"),
        "not an object",
        {"update_id": "2"},
        {"update_id": True},
        {"update_id": 3, "big": 2**70},
        _update(4, "first"),
        _update(4, "second"),
        _update(5, "e"),
    ]
    texts = update_texts(items)
    assert sorted(texts) == [1, 5]
    assert json.loads(texts[5]) == items[-1]
    assert update_texts({"update_id": 1}) == {} and update_texts(None) == {}
