"""Shared helpers for the benchmarks, and the process under test of ``bench/order_flow.py``.

Harness side (imported by the benchmark; standard library only, so importing
it costs the measured process nothing):

* :class:`BotProcess` starts the bot under test as a separate process and
  talks to it over a JSON-lines control channel (its stdin/stdout);
* :func:`usage` samples a process's CPU time and memory, :class:`GcWatch` its
  garbage collector's runs and pauses; :func:`percentile`.

Bot side: ``python bench/support.py serve '<json config>'`` *is* the bot
under test. ``"kind": "product"`` builds the real bot exactly as
``python -m bot run`` does (:func:`bot.app.open_core` + :func:`bot.app.build_service`:
the Telegram part, the alert scheduler and the web server); ``"kind": "baseline"``
is a minimal aiogram bot (its own ``Dispatcher`` and ``Bot``) that answers every
update with one message. Either receives updates by long polling or by webhook,
as configured. ``"kind": "calls"`` is no bot: the product's Zadarma client (built by
:func:`bot.app.open_core`, as the product's) making an order's calls, the ones the
product makes, with nothing around them (control operation ``orders``).
Control operations: ``mark`` (resource sample), ``drain``
(wait until every update received so far is handled, then sample),
``reset_limiter`` (a fresh client-side Zadarma rate limiter with the configured
budget), ``conversations`` (how many the store holds), ``profile``
(cProfile on/off, stats dumped to a file), ``stop``.

Both kinds are set up alike, so that the comparison is fair: logging through
the product's :func:`bot.logs.configure_logging` (format and level from the
config: ``"log_format"`` text or json, ``"log_level"`` INFO by default as in
production, the bot token registered as a secret to mask), to stderr; and the
start-up heap frozen before serving and the collector's young threshold
raised (:func:`bot.heap.freeze_heap`, as :func:`bot.app.settle_heap` does for
``python -m bot run``), so that neither pays full collections over objects
that live as long as the process, and both collect as rarely.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import resource
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Settings

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
WEBHOOK_PATH = "/telegram/webhook"
WEBHOOK_SECRET = "bench-webhook-secret"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
WARNING_LEVELS = frozenset(LOG_LEVELS[2:])


# ---------------------------------------------------------------------------- measuring


def proc_status() -> dict[str, int]:
    """``VmRSS``/``VmHWM`` (kB) of this process from ``/proc/self/status`` (empty off Linux)."""
    wanted = {"VmRSS": "rss_kb", "VmHWM": "hwm_kb"}
    found: dict[str, int] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in wanted:
                found[wanted[name]] = int(value.split()[0])
    except OSError:
        pass
    return found


def usage() -> dict[str, Any]:
    """CPU time (all threads; this thread) and memory of this process, now."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "t": time.perf_counter(),
        "cpu": time.process_time(),
        "thread_cpu": time.thread_time(),
        "utime": ru.ru_utime,
        "stime": ru.ru_stime,
        "maxrss_kb": ru.ru_maxrss,
        "threads": threading.active_count(),
        **proc_status(),
    }


class GcWatch:
    """Counts the cyclic garbage collector's runs and pauses, per generation (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info["generation"]
        took = time.perf_counter() - self._started
        self.count[generation] += 1
        self.seconds[generation] += took
        self.longest[generation] = max(self.longest[generation], took)

    def sample(self) -> dict[str, Any]:
        """Totals so far, and the longest pauses since the previous sample."""
        sample = {
            "gc_count": list(self.count),
            "gc_s": list(self.seconds),
            "gc_longest_s": list(self.longest),
        }
        self.longest = [0.0, 0.0, 0.0]
        return sample


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (``nan`` for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


# ---------------------------------------------------------------------------- harness side


class BotProcess:
    """The bot under test, running as ``python bench/support.py serve CONFIG``."""

    def __init__(self, proc: asyncio.subprocess.Process, log_path: Path) -> None:
        self.proc = proc
        self.log_path = log_path
        self.pid = proc.pid
        self.ready: dict[str, Any] = {}

    @classmethod
    async def start(
        cls, config: dict[str, Any], log_path: Path, *, env: dict[str, str] | None = None, within: float = 60
    ) -> BotProcess:
        """Start the process and wait until it reports that it is serving."""
        with log_path.open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(SCRIPT),
                "serve",
                json.dumps(config),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                cwd=ROOT,
                env=env,
            )
        bot = cls(proc, log_path)
        try:
            bot.ready = await asyncio.wait_for(bot._read(), within)
        except BaseException:
            await bot.kill()
            raise
        return bot

    async def call(self, op: str, *, within: float = 120, **params: Any) -> dict[str, Any]:
        """Run one control operation in the bot process; returns its JSON answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"op": op, **params}) + "\n").encode())
        await self.proc.stdin.drain()
        return await asyncio.wait_for(self._read(), within)

    async def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the bot process ended; see {self.log_path}:\n{self.log_tail()}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the bot process failed: {answer['error']}")
        return answer

    async def stop(self, within: float = 30) -> int:
        """Ask the bot to stop cleanly; kill it if it does not end ``within`` seconds."""
        with contextlib.suppress(Exception):
            await self.call("stop", within=within)
        try:
            return await asyncio.wait_for(self.proc.wait(), within)
        except TimeoutError:
            await self.kill()
            return -9

    async def kill(self) -> None:
        """End the process now (only this one, by its id)."""
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    def log_lines(self) -> list[str]:
        """What the process wrote to stderr (its log, at the configured level)."""
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def warning_lines(self) -> list[str]:
        """The log lines at WARNING or above (text or JSON lines), and any line that is not a log line
        (a traceback's first line, say)."""
        return list(_warnings(self.log_lines()))

    def log_tail(self, count: int = 20) -> str:
        """The last lines of the process's log."""
        return "\n".join(self.log_lines()[-count:])


def log_level_of(line: str) -> str | None:
    """The level of one line written by :mod:`bot.logs` (text or JSON); ``None`` if it is not one."""
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:
            return None
        level = record.get("level") if isinstance(record, dict) else None
        return level if isinstance(level, str) else None
    parts = line.split(maxsplit=2)  # "HH:MM:SS.mmm LEVEL logger [cid] message"
    if len(parts) >= 2 and parts[0][:2].isdigit() and parts[1] in LOG_LEVELS:
        return parts[1]
    return None


def logger_of(line: str) -> str | None:
    """The logger name of one line written by :mod:`bot.logs` (text or JSON); ``None`` if it is not one."""
    if log_level_of(line) is None:
        return None
    if line.startswith("{"):
        name = json.loads(line).get("logger")
        return name if isinstance(name, str) else None
    parts = line.split(maxsplit=3)
    return parts[2] if len(parts) >= 3 else None


def _warnings(lines: list[str]) -> Iterator[str]:
    in_traceback = False
    for line in lines:
        level = log_level_of(line)
        if level is not None:
            in_traceback = level in WARNING_LEVELS
            if in_traceback:
                yield line
        elif not in_traceback and line.strip():
            yield line  # not a log line and not the continuation of a warning's traceback
            in_traceback = True


# ---------------------------------------------------------------------------- bot side


def _configure_logging(config: dict[str, Any], secrets: list[str]) -> None:
    """The product's logging set-up, with the configured format and level (INFO by default)."""
    from bot.logs import configure_logging

    configure_logging(config.get("log_format", "text"), config.get("log_level", "INFO"), secrets)


Handler = Callable[..., Awaitable[dict[str, Any]]]


class Control:
    """The bot side of the control channel: JSON lines on stdin, answers on the original stdout."""

    def __init__(self) -> None:
        # Answers go to a private copy of fd 1; anything else printing to stdout lands on stderr.
        self._out = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)
        self._profiler: Any = None
        self.gc = GcWatch()
        gc.callbacks.append(self.gc)

    def usage(self) -> dict[str, Any]:
        """:func:`usage` plus the garbage collector's figures."""
        return {**usage(), **self.gc.sample()}

    def reply(self, answer: dict[str, Any]) -> None:
        """Send one answer line."""
        self._out.write(json.dumps(answer) + "\n")
        self._out.flush()

    async def serve(self, handlers: dict[str, Handler]) -> None:
        """Answer operations until ``stop`` (or the harness going away)."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        handlers = {"mark": self._mark, "profile": self._profile, "heap": self._heap, **handlers}
        while line := await reader.readline():
            request = json.loads(line)
            op = request.pop("op")
            if op == "stop":
                self.reply({"ok": True})
                return
            try:
                self.reply(await handlers[op](**request))
            except Exception as error:  # reported to the harness, which fails the run
                self.reply({"error": f"{op}: {type(error).__name__}: {error}"})

    async def _mark(self) -> dict[str, Any]:
        return self.usage()

    async def _heap(self, top: int = 15) -> dict[str, Any]:
        """What the collector tracks outside the frozen start-up objects, by generation and type."""
        from collections import Counter

        kinds = Counter(type(o).__qualname__ for o in gc.get_objects(2))
        return {
            "frozen": gc.get_freeze_count(),
            "generations": [len(gc.get_objects(g)) for g in range(3)],
            "oldest_by_type": kinds.most_common(top),
        }

    async def _profile(self, on: bool, path: str = "") -> dict[str, Any]:
        import cProfile

        if on:
            self._profiler = cProfile.Profile()
            self._profiler.enable()
        elif self._profiler is not None:
            self._profiler.disable()
            self._profiler.dump_stats(path)
            self._profiler = None
        return {"ok": True}


async def _serve_product(config: dict[str, Any], control: Control) -> None:
    from bot.app import build_service, open_core, settle_heap
    from bot.zadarma.ratelimit import RateLimiter

    webhook_port = config.get("webhook_port")
    settings = _zadarma_settings(
        config,
        telegram_bot_token=config["token"],
        telegram_api_base=config["telegram_url"],
        telegram_webhook_url=f"http://127.0.0.1:{webhook_port}{WEBHOOK_PATH}" if webhook_port else "",
        telegram_webhook_secret=WEBHOOK_SECRET if webhook_port else "",
        http_host="127.0.0.1",
        http_port=webhook_port or 0,
    )
    _configure_logging(config, settings.secret_values())
    client_limit = config.get("client_rate_limit")
    async with open_core(settings) as core:
        if client_limit:
            # Settings cap ZADARMA_RATE_LIMIT at 10,000/min; the throughput mode lifts it further.
            core.client.limiter = RateLimiter(client_limit)
        service = build_service(core)
        telegram: Any = next(part for part in service.parts if part.name == "telegram")
        settle_heap()  # as `python -m bot run` does
        await service.runner.start()

        async def drain() -> dict[str, Any]:
            await telegram.drain()
            return control.usage()

        async def reset_limiter() -> dict[str, Any]:
            core.client.limiter = RateLimiter(client_limit or settings.zadarma_rate_limit)
            return {"ok": True}

        async def conversations() -> dict[str, Any]:
            return {"count": await core.storage.conversations.count()}

        control.reply({"ready": True, "mode": telegram.mode, "pid": os.getpid(), **control.usage()})
        try:
            await control.serve(
                {"drain": drain, "reset_limiter": reset_limiter, "conversations": conversations}
            )
        finally:
            await service.runner.stop()


def _zadarma_settings(config: dict[str, Any], **more: Any) -> Settings:
    """The product's settings for the emulator and the store of ``config`` (``more`` on top)."""
    from bot.config import Settings

    return Settings.model_validate(
        {
            "zadarma_api_url": config["zadarma_url"],
            "zadarma_key": config["zadarma_key"],
            "zadarma_secret": config["zadarma_secret"],
            "database_url": "sqlite:///" + config["db_path"],
            "log_format": config.get("log_format", "text"),
            "log_level": config.get("log_level", "INFO"),
            **more,
        }
    )


async def _serve_calls(config: dict[str, Any], control: Control) -> None:
    """The Zadarma calls of the product's orders, made alone by the product's client.

    ``orders`` takes a plan: per user, a list of ``[direction_id, number_id, number]``; the users
    run at once, each ordering its numbers one after another as a customer does. Each order makes
    the calls the product makes for it, in its order and with its arguments: the account check
    (``find_direct_number``), the order, the SIP login, and the number's card.
    """
    from bot.app import open_core
    from bot.heap import freeze_heap
    from bot.zadarma.ratelimit import Priority, RateLimiter

    settings = _zadarma_settings(config)
    _configure_logging(config, settings.secret_values())
    async with open_core(settings) as core:
        client = core.client
        if config.get("client_rate_limit"):
            client.limiter = RateLimiter(config["client_rate_limit"])
        sip = (await client.sip_logins()).sips[0].id  # the product's catalog keeps these for a minute
        freeze_heap()

        async def order(direction_id: int | str, number_id: str, number: str) -> None:
            if await client.find_direct_number(number, priority=Priority.START) is not None:
                raise RuntimeError(f"{number} is in the account already")
            placed = await client.order_number(
                direction_id=direction_id,
                documents_group_id=0,
                number_id=number_id,
                period="month",
                autorenew_period="month",
            )
            await client.set_sip_target(placed.number, sip, test_mode=False)  # the order's SIP step sends it
            await client.direct_number(placed.number)

        async def orders(plan: list[list[list[Any]]]) -> dict[str, Any]:
            async def customer(items: list[list[Any]]) -> None:
                for direction_id, number_id, number in items:
                    await order(direction_id, number_id, number)

            await asyncio.gather(*(customer(items) for items in plan))
            return control.usage()

        control.reply({"ready": True, "mode": "calls", "pid": os.getpid(), **control.usage()})
        await control.serve({"orders": orders})


async def _serve_baseline(config: dict[str, Any], control: Control) -> None:
    from aiogram import BaseMiddleware, Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
    from aiohttp import web

    _configure_logging(config, [config["token"]])
    session = AiohttpSession(api=TelegramAPIServer.from_base(config["telegram_url"]))
    bot = Bot(config["token"], session=session)
    dispatcher = Dispatcher()
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Next", callback_data="next")]]
    )
    in_flight = 0
    idle = asyncio.Event()
    idle.set()

    class Count(BaseMiddleware):
        """Counts updates in flight so ``drain`` can wait for them (as the product's gate does)."""

        async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
            nonlocal in_flight
            in_flight += 1
            idle.clear()
            try:
                return await handler(event, data)
            finally:
                in_flight -= 1
                if in_flight == 0:
                    idle.set()

    dispatcher.update.outer_middleware(Count())

    mirror = bool(config.get("mirror"))
    presses: dict[int, int] = {}
    menus: dict[int, int] = {}  # mirror: each chat's live menu message

    @dispatcher.message()
    async def on_message(message: Message) -> None:
        sent = await bot.send_message(message.chat.id, "ok", reply_markup=keyboard)
        if mirror:
            # The product answers typed text with a new menu and takes the old menu's keyboard off.
            previous = menus.get(message.chat.id)
            menus[message.chat.id] = sent.message_id
            if previous is not None:
                await bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=previous)

    @dispatcher.callback_query()
    async def on_press(query: CallbackQuery) -> None:
        chat = query.from_user.id
        if not mirror:
            await bot.send_message(chat, "ok", reply_markup=keyboard)
            return
        # The product's Bot API calls for the 4 presses of an order (16 calls an order with the two
        # texts' sends and keyboards taken off): every press is answered and edits its message
        # (direction: the number list; number: the confirmation); confirming and choosing the SIP
        # login edit in "⏳" first, then the outcome's note, then send the new menu. The answer
        # is not waited for, as the product does not.
        n = presses[chat] = presses.get(chat, 0) + 1
        assert query.message is not None
        message_id = query.message.message_id
        answer = asyncio.create_task(bot.answer_callback_query(query.id))
        step = n % 4  # 1 direction, 2 number, 3 confirm, 0 sip
        if step in (3, 0):
            await bot.edit_message_text(f"wait {n}", chat_id=chat, message_id=message_id)
        if step in (1, 2):
            await bot.edit_message_text(f"ok {n}", chat_id=chat, message_id=message_id, reply_markup=keyboard)
        else:
            await bot.edit_message_text(f"note {n}", chat_id=chat, message_id=message_id)
            sent = await bot.send_message(chat, "ok", reply_markup=keyboard)
            menus[chat] = sent.message_id
        await answer

    runner: web.AppRunner | None = None
    polling: asyncio.Task[None] | None = None
    tasks: set[asyncio.Task[Any]] = set()
    webhook_port = config.get("webhook_port")
    from bot.heap import freeze_heap

    freeze_heap()  # set up, not yet serving: where the product's settle_heap does the same
    if webhook_port:

        async def webhook(request: web.Request) -> web.Response:
            update = Update.model_validate(await request.json(), context={"bot": bot})
            task = asyncio.create_task(dispatcher.feed_update(bot, update))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            return web.Response()

        app = web.Application()
        app.router.add_post(WEBHOOK_PATH, webhook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", webhook_port).start()
        await bot.set_webhook(f"http://127.0.0.1:{webhook_port}{WEBHOOK_PATH}")
    else:
        await bot.delete_webhook()
        polling = asyncio.create_task(
            dispatcher.start_polling(
                bot,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=dispatcher.resolve_used_update_types(),
            )
        )

    async def drain() -> dict[str, Any]:
        await asyncio.sleep(0)
        while tasks:
            await asyncio.gather(*list(tasks), return_exceptions=True)
        await idle.wait()
        return control.usage()

    mode = "webhook" if webhook_port else "polling"
    control.reply({"ready": True, "mode": mode, "pid": os.getpid(), **control.usage()})
    try:
        await control.serve({"drain": drain})
    finally:
        if polling is not None:
            with contextlib.suppress(RuntimeError):
                await asyncio.wait_for(dispatcher.stop_polling(), 5)
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
        if runner is not None:
            await runner.cleanup()
        await session.close()


def main(argv: list[str]) -> int:
    """``serve CONFIG``: run the bot under test (see the module docstring)."""
    if len(argv) != 3 or argv[1] != "serve":
        print(__doc__, file=sys.stderr)
        return 2
    config = json.loads(argv[2])
    if str(ROOT) not in sys.path:
        sys.path.insert(1, str(ROOT))  # the product's packages, installed or not
    control = Control()
    serve = {"product": _serve_product, "calls": _serve_calls}.get(config["kind"], _serve_baseline)
    from bot import eventloop  # after the path is set

    eventloop.run(serve(config, control), config.get("event_loop", "auto"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
