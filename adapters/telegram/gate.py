"""What every update goes through before its handler (an outer middleware on ``dp.update``).

In order:

1. a button press is answered at once (its spinner stops), in the background,
   before anything slow; the handler awaits that answer before working;
2. the update waits for the sender's previous updates (one at a time per user,
   in arrival order; different users run in parallel);
3. a duplicate ``update_id`` (Telegram re-delivering after a restart or a
   timeout) is dropped, using the shared store so replicas agree; otherwise
   the attempt is counted in the :class:`~adapters.telegram.inbox.UpdateInbox`
   and the update is marked finished when its handler ends (not when it is
   cancelled at shutdown: then it is handled again after the restart);
4. the user is recorded: chat id, name, language; a user who had blocked the
   bot and writes again is unblocked.

Every log line written while an update is handled carries a fresh correlation
id (:func:`bot.logs.correlated`). The gate also counts updates in flight, so the
part can wait for them (:meth:`UpdateGate.idle`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, Update
from aiogram.types import User as TelegramUser

from adapters.telegram.inbox import UpdateInbox
from adapters.telegram.sending import Sender
from adapters.telegram.texts import primary_language
from adapters.updates import UpdateObserver
from bot.coord import KeyLocks
from bot.logs import correlated
from bot.services.ports import PlatformRecords
from bot.services.types import User, UserRef

log = logging.getLogger("adapters.telegram")

PLATFORM: Final = "telegram"
CUSTOMER_KEY: Final = "customer"
"""Handler argument: the stored :class:`bot.services.types.User` of the sender (``None`` if unknown)."""
PRESS_ANSWER_KEY: Final = "press_answer"
"""Handler argument: the task answering this update's callback query (``None`` for other updates)."""
EVENT_ID_KEY: Final = "event_id"
"""Handler argument: this update's id for the conversation engine (``telegram:<update_id>``)."""


class UpdateGate(BaseMiddleware):
    """The outer middleware described in the module docstring."""

    def __init__(
        self,
        *,
        storage: PlatformRecords,
        inbox: UpdateInbox,
        sender: Sender,
        locks: KeyLocks,
        observer: UpdateObserver | None = None,
    ) -> None:
        self._storage = storage
        self._observer = observer
        self._inbox = inbox
        self._sender = sender
        self._locks = locks
        self._in_flight = 0
        self._handling: dict[int, int] = {}  # update id -> how many tasks of this process handle it
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        """Run ``handler`` for ``event`` under the rules above."""
        if not isinstance(event, Update):
            return await handler(event, data)
        # Nothing may suspend before the lock is queued for: that keeps arrival order.
        self._enter()
        update_id = event.update_id
        self._handling[update_id] = self._handling.get(update_id, 0) + 1
        answer: asyncio.Task[None] | None = None
        try:
            if event.callback_query is not None:
                answer = asyncio.create_task(self._sender.answer(event.callback_query.id))
            data[PRESS_ANSWER_KEY] = answer
            user: TelegramUser | None = data.get("event_from_user")
            order_key = str(user.id) if user is not None else f"update:{event.update_id}"
            async with self._locks.hold(order_key):
                with correlated():
                    attempt = await self._inbox.begin(event.update_id)
                    if attempt is None:
                        log.info("duplicate update dropped", extra={"update_id": event.update_id})
                        self._observe("duplicate", None)
                        return UNHANDLED
                    data[EVENT_ID_KEY] = f"{PLATFORM}:{event.update_id}"
                    started = time.perf_counter()
                    outcome = "failed"
                    try:
                        data[CUSTOMER_KEY] = await self._remember(user, data.get("event_chat"))
                        result = await handler(event, data)
                        outcome = "handled"
                        return result
                    except asyncio.CancelledError:
                        outcome = "cancelled"  # handled again after the restart
                        raise
                    finally:
                        elapsed = time.perf_counter() - started
                        if outcome != "cancelled":
                            await self._inbox.finish(event.update_id)
                        self._observe(outcome, elapsed if outcome != "cancelled" else None)
                        log.info(
                            "telegram update",
                            extra={
                                "update_id": event.update_id,
                                "kind": event.event_type,
                                "user": order_key,
                                "outcome": outcome,
                                "attempt": attempt,
                                "ms": round(elapsed * 1000, 1),
                            },
                        )
        finally:
            if (left := self._handling.pop(update_id) - 1) > 0:
                self._handling[update_id] = left
            if answer is not None:
                await answer
            self._leave()

    def _observe(self, outcome: str, seconds: float | None) -> None:
        if self._observer is not None:
            self._observer.update(PLATFORM, outcome, seconds)

    async def idle(self) -> None:
        """Wait until no update is being handled."""
        await asyncio.sleep(0)  # updates just received reach the gate first
        await self._idle.wait()

    def handling(self, update_id: int) -> bool:
        """Whether this process is handling (or queueing) the update ``update_id`` right now."""
        return update_id in self._handling

    @property
    def in_flight(self) -> int:
        """Updates being handled (or waiting for their turn) right now."""
        return self._in_flight

    async def cancel(self) -> None:
        """Cancel the updates still being handled (shutdown after a grace period)."""
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _enter(self) -> None:
        self._in_flight += 1
        self._idle.clear()
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)

    def _leave(self) -> None:
        self._in_flight -= 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.discard(task)
        if self._in_flight == 0:
            self._idle.set()

    async def _remember(self, user: TelegramUser | None, chat: Chat | None) -> User | None:
        if user is None or user.is_bot:
            return None
        ref = UserRef(PLATFORM, str(user.id))
        private_chat = str(chat.id) if chat is not None and chat.type == ChatType.PRIVATE else None
        try:
            record = await self._storage.users.upsert(
                ref,
                chat_id=private_chat,
                display_name=user.full_name,
                default_language=primary_language(user.language_code),
            )
            if record.blocked:
                await self._storage.users.mark_unblocked(ref)
        except Exception:  # the store (or its driver) failed
            log.exception("could not record the user")
            return None
        return record
