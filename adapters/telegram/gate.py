"""What every update goes through before its handler (an outer middleware on ``dp.update``).

In order:

1. a button press is answered at once (its spinner stops), in the background,
   before anything slow; the handler does not wait for that answer (its reply
   would cost a Bot API round trip), the gate awaits it before the update ends;
2. the update waits for the sender's previous updates (one at a time per user,
   in arrival order; different users run in parallel);
3. a duplicate ``update_id`` (Telegram re-delivering after a restart or a
   timeout) is dropped, using the shared store so replicas agree; otherwise
   the attempt is counted in the :class:`~adapters.telegram.inbox.UpdateInbox`
   and the update is marked finished when its handler ends (not when it is
   cancelled at shutdown: then it is handled again after the restart);
4. the user is recorded: chat id, name, language (the composition root's
   user directory skips the write when these are what it recorded last:
   ``bot.storage.remembered``); a user who had blocked the bot and writes
   again is unblocked.

Steps 2 and 3, the outcome, the correlation id of the log lines, the one log
line per update and the count of updates in flight (:meth:`UpdateGate.idle`)
are the kit's gate (:mod:`adapters.kit.gate`, the inbox as its ledger); this
module is its aiogram side: the press answer and the user record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, Update
from aiogram.types import User as TelegramUser

from adapters.kit.gate import Delivery
from adapters.kit.gate import UpdateGate as KitGate
from adapters.telegram.inbox import UpdateInbox
from adapters.telegram.sending import Sender
from adapters.telegram.texts import primary_language
from adapters.updates import UpdateObserver
from bot.coord import KeyLocks
from bot.services.ports import PlatformRecords
from bot.services.types import User, UserRef

log = logging.getLogger("adapters.telegram")

PLATFORM: Final = "telegram"
CUSTOMER_KEY: Final = "customer"
"""Handler argument: the stored :class:`bot.services.types.User` of the sender (``None`` if unknown)."""
EVENT_ID_KEY: Final = "event_id"
"""Handler argument: this update's id for the conversation engine (``telegram:<update_id>``)."""


class InboxLedger:
    """The :class:`UpdateInbox` as the kit gate's ledger (keys are update ids)."""

    def __init__(self, inbox: UpdateInbox) -> None:
        self._inbox = inbox

    async def begin(self, key: str) -> int | None:
        """Count an attempt at the update ``key``; ``None`` for a duplicate of a finished one."""
        return await self._inbox.begin(int(key))

    async def finish(self, key: str) -> None:
        """The update ``key`` has been handled."""
        await self._inbox.finish(int(key))


class UpdateGate(BaseMiddleware):
    """The outer middleware described in the module docstring: Telegram's side of the kit gate."""

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
        self._sender = sender
        self.gate = KitGate(PLATFORM, ledger=InboxLedger(inbox), locks=locks, observer=observer)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        """Run ``handler`` for ``event`` under the rules above."""
        if not isinstance(event, Update):
            return await handler(event, data)
        answer: asyncio.Task[None] | None = None
        if event.callback_query is not None:
            answer = asyncio.create_task(self._sender.answer(event.callback_query.id))
        user: TelegramUser | None = data.get("event_from_user")
        sender = str(user.id) if user is not None else f"update:{event.update_id}"
        delivery = Delivery(str(event.update_id), sender, event.event_type, event.update_id)

        async def handle(_attempt: int) -> Any:
            data[EVENT_ID_KEY] = f"{PLATFORM}:{event.update_id}"
            data[CUSTOMER_KEY] = await self._remember(user, data.get("event_chat"))
            return await handler(event, data)

        return await self.gate.run(delivery, handle, dropped=UNHANDLED, then=answer)

    async def idle(self) -> None:
        """Wait until no update is being handled."""
        await self.gate.idle()

    def handling(self, update_id: int) -> bool:
        """Whether this process is handling (or queueing) the update ``update_id`` right now."""
        return self.gate.handling(str(update_id))

    def update_ids(self) -> list[int]:
        """The updates this process is handling (or queueing) right now."""
        return [int(key) for key in self.gate.held()]

    @property
    def in_flight(self) -> int:
        """Updates being handled (or waiting for their turn) right now."""
        return self.gate.in_flight

    async def cancel(self) -> None:
        """Cancel the updates still being handled (shutdown after a grace period)."""
        await self.gate.cancel()

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
