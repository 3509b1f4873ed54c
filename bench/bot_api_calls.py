"""CPU per Bot API call: aiogram's own session against the bot's (JSON bodies, replies read only as needed).

Run: ``.venv/bin/python bench/bot_api_calls.py [--calls 2000] [--rounds 7] [--concurrency 20]``.
A stand-in Bot API (aiohttp, canned replies shaped like Telegram's: the sent
or edited message with its chat, sender and buttons echoed back) runs in a
separate process on a free 127.0.0.1 port, so this process's CPU time is the
client's alone. The calls are the ones the order flow makes, with its keyboard
(six buttons): ``sendMessage`` and ``editMessageText`` with the keyboard,
``answerCallbackQuery``, ``editMessageReplyMarkup`` removing it. Three ways
of making them, alternated round by round, medians printed in microseconds
of this process's CPU per call:

- ``aiogram``: ``AiohttpSession`` and ``bot(method)``, as the order-flow
  bench's mirror makes them;
- ``json body``: :class:`~adapters.telegram.session.JsonBodySession`, the
  same ``bot(method)``;
- ``product``: ``JsonBodySession`` through the adapter's
  :class:`~adapters.telegram.sending.Sender`: each call's fields written as
  plain data (no aiogram method model built and dumped), an edit's reply
  checked, not built, a sent message read for its id alone.

The keyboard is built once for all three (aiogram's model for the first two,
the adapter's plain data for the third), so rendering is not counted here.

The last line weighs each way by the calls per update the order-flow bench
counts (``--mode throughput``).

``--offline`` measures, without any network, what a screen shown by an edit
costs before and after the request: the screen rendered, the call built,
its body written and an ``ok`` reply read. aiogram's way (the screen's
buttons as ``InlineKeyboardMarkup``, ``EditMessageText``, aiogram's form and
``check_response``) against the adapter's (``render_screen``, a prepared
call, its JSON body, the reply checked for ``ok``), alternated round by round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiogram import Bot  # noqa: E402
from aiogram.client.default import DefaultBotProperties  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.methods import (  # noqa: E402
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup  # noqa: E402
from aiohttp import ClientSession, web  # noqa: E402

from adapters.telegram.render import Outgoing, keyboard, render_screen  # noqa: E402
from adapters.telegram.response_types import keep_response_types  # noqa: E402
from adapters.telegram.sending import Sender, edit_call  # noqa: E402
from adapters.telegram.session import JsonBodySession  # noqa: E402
from conversations.screens import Button, Screen  # noqa: E402

TOKEN = "123456:bench-token"
CALLS_PER_UPDATE = {
    "editMessageText": 1.00,
    "sendMessage": 0.67,
    "answerCallbackQuery": 0.67,
    "editMessageReplyMarkup": 0.31,
}
"""Calls per update in ``bench/order_flow.py --mode throughput`` (getUpdates, chat actions aside)."""

TEXT = (
    "Номер +7 495 000-00-01 — Москва.\n"
    "Абонентская плата: 5.00 USD в месяц.\n"
    "Подтвердите заказ или выберите другой."
)
BUTTONS = [[Button(f"+7 495 000-00-0{i}", f"v1:number:{i}:9f2c4e")] for i in range(1, 5)] + [
    [Button("◀ Back", "v1:back"), Button("✖ Cancel", "v1:cancel")]
]
MARKUP = keyboard(BUTTONS)
KEYBOARD = InlineKeyboardMarkup.model_validate(MARKUP)
"""The same keyboard as aiogram's model, for aiogram's methods (built once, as ``MARKUP`` is)."""


def _message(with_keyboard: bool) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": 4711,
        "from": {"id": 123456, "is_bot": True, "first_name": "Numbers", "username": "numbers_bot"},
        "chat": {
            "id": 100001,
            "first_name": "Ana",
            "last_name": "Silva",
            "username": "ana",
            "type": "private",
        },
        "date": 1_764_900_000,
        "edit_date": 1_764_900_001,
        "text": TEXT,
    }
    if with_keyboard:
        message["reply_markup"] = MARKUP
    return message


REPLIES = {
    "sendMessage": json.dumps({"ok": True, "result": _message(True)}),
    "editMessageText": json.dumps({"ok": True, "result": _message(True)}),
    "editMessageReplyMarkup": json.dumps({"ok": True, "result": _message(False)}),
    "answerCallbackQuery": json.dumps({"ok": True, "result": True}),
}


def serve(port: int) -> None:
    """The stand-in Bot API: reads each body whole, answers the canned reply."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text=REPLIES[request.match_info["method"]], content_type="application/json")

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


Call = Callable[[], Awaitable[object]]


def calls_of(way: str, bot: Bot) -> dict[str, Call]:
    """The four calls, made the ``way`` named."""
    chat, message_id = 100001, 4711
    if way == "product":
        sender = Sender(bot)
        shown = Outgoing(TEXT, MARKUP)
        return {
            "sendMessage": lambda: sender.send(chat, shown),
            "editMessageText": lambda: sender.edit(chat, message_id, shown),
            "answerCallbackQuery": lambda: sender.answer("4382bfdwdsb323b2d9"),
            "editMessageReplyMarkup": lambda: sender.strip_keyboard(chat, message_id),
        }
    return {
        "sendMessage": lambda: bot(SendMessage(chat_id=chat, text=TEXT, reply_markup=KEYBOARD)),
        "editMessageText": lambda: bot(
            EditMessageText(chat_id=chat, message_id=message_id, text=TEXT, reply_markup=KEYBOARD)
        ),
        "answerCallbackQuery": lambda: bot(AnswerCallbackQuery(callback_query_id="4382bfdwdsb323b2d9")),
        "editMessageReplyMarkup": lambda: bot(
            EditMessageReplyMarkup(chat_id=chat, message_id=message_id, reply_markup=None)
        ),
    }


async def measure(call: Call, total: int, concurrency: int) -> float:
    """CPU microseconds of this process per call, ``total`` calls by ``concurrency`` callers."""
    per_worker = total // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    cpu = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - cpu) / (per_worker * concurrency) * 1e6


async def one_round(way: str, base: str, total: int, concurrency: int) -> dict[str, float]:
    session_type = AiohttpSession if way == "aiogram" else JsonBodySession
    bot = Bot(
        TOKEN,
        session=session_type(api=TelegramAPIServer.from_base(base)),
        default=DefaultBotProperties(link_preview_is_disabled=True),
    )
    try:
        figures = {}
        for name, call in calls_of(way, bot).items():
            await measure(call, 100, concurrency)  # connections open, types built
            figures[name] = await measure(call, total, concurrency)
        return figures
    finally:
        await bot.session.close()


async def wait_ready(base: str) -> None:
    async with ClientSession() as http:
        for _ in range(100):
            try:
                async with http.post(f"{base}/bot{TOKEN}/answerCallbackQuery") as response:
                    await response.read()
                return
            except OSError:
                await asyncio.sleep(0.1)
    raise SystemExit("the stand-in Bot API did not start")


async def run(total: int, rounds: int, concurrency: int) -> None:
    from api_client import free_port  # bench/ is on the path when run as a script

    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    keep_response_types()
    ways = ("aiogram", "json body", "product")
    results: dict[str, dict[str, list[float]]] = {way: {} for way in ways}
    try:
        await wait_ready(base)
        for _ in range(rounds):
            for way in ways:
                for name, figure in (await one_round(way, base, total, concurrency)).items():
                    results[way].setdefault(name, []).append(figure)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{total} calls of each kind x {rounds} rounds, {concurrency} callers at once, on loopback")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'CPU us per call (median, min-max)':<34}" + "".join(f"{way:>22}" for way in ways))
    for name in CALLS_PER_UPDATE:
        cells = []
        for way in ways:
            runs = results[way][name]
            cells.append(f"{statistics.median(runs):.0f} ({min(runs):.0f}-{max(runs):.0f})")
        print(f"{name:<34}" + "".join(f"{cell:>22}" for cell in cells))
    per_update = {
        way: sum(statistics.median(results[way][name]) * weight for name, weight in CALLS_PER_UPDATE.items())
        for way in ways
    }
    print(f"{'per update (order-flow mix)':<34}" + "".join(f"{per_update[way]:>22.0f}" for way in ways))


SCREEN = Screen(TEXT, tuple(tuple(row) for row in BUTTONS))


def offline_ways(bot: Bot) -> dict[str, Callable[[], object]]:
    """A screen shown by an edit, request written and ok reply read, aiogram's way and the adapter's."""
    session = bot.session
    assert isinstance(session, JsonBodySession)
    reply = REPLIES["editMessageText"]
    chat, message_id = 100001, 4711

    def aiogram_way() -> object:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=b.label, callback_data=b.action) for b in row]
                for row in SCREEN.buttons
            ]
        )
        method = EditMessageText(chat_id=chat, message_id=message_id, text=SCREEN.text, reply_markup=markup)
        session.build_form_data(bot, method)
        return session.check_response(bot=bot, method=method, status_code=200, content=reply).result

    def adapter_way() -> object:
        [message] = render_screen(SCREEN)
        call = edit_call(chat, message_id, message)
        session.json_body(bot, call)
        return session.read_reply(bot, call, 200, reply.encode())

    return {"aiogram": aiogram_way, "product": adapter_way}


def offline(rounds: int, calls: int) -> None:
    keep_response_types()
    bot = Bot(TOKEN, session=JsonBodySession(), default=DefaultBotProperties(link_preview_is_disabled=True))
    ways = offline_ways(bot)
    figures: dict[str, list[float]] = {name: [] for name in ways}
    for way in ways.values():
        for _ in range(200):
            way()
    for _ in range(rounds):
        for name, way in ways.items():
            cpu = time.process_time()
            for _ in range(calls):
                way()
            figures[name].append((time.process_time() - cpu) / calls * 1e6)
    print(f"a screen shown by an edit, no network: {calls} x {rounds} rounds")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, runs in figures.items():
        spread = f"(min {min(runs):.1f}, max {max(runs):.1f})"
        print(f"{name:<10} {statistics.median(runs):8.1f} us per screen {spread}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--offline", action="store_true", help="no network: render, call, body, reply read")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.offline:
        offline(args.rounds, args.calls)
        return
    asyncio.run(run(args.calls, args.rounds, args.concurrency))


if __name__ == "__main__":
    main()
