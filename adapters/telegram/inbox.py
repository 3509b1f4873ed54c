"""Updates kept from receipt until handled: a crash mid-update loses nothing.

Telegram forgets an update once the bot confirms it: by asking ``getUpdates``
for the next offset (polling) or by answering the webhook request with 200.
:class:`UpdateInbox` keeps each update in the store before that confirmation
(as a request middleware on ``getUpdates``, and in the webhook endpoint), the
gate marks it begun and finished around its handler, and at start-up
:meth:`UpdateInbox.left_over` hands back what a killed process had received
but not finished, to be handled again. The conversation engine ignores an
event it has already applied (see ``event_id`` in
:meth:`conversations.engine.ConversationEngine.handle`), and money moves once
per confirmation whatever is replayed, so handling an update again is safe.

With replicas, a live replica takes over what a dead one left: the
unfinished updates received long enough ago (``received_before``), and those
the replicas' view (:mod:`bot.coord.in_hand`) says no live replica holds.
Taking one over marks it received now, only if nobody has since, so of
replicas looking at once one takes it, and the others see it young again
(listed by the taker's gate soon after). Handling one that another replica
is still on (its age alone made it look left) waits for that user's lock,
then finds it finished and drops it.

An update that was begun :data:`MAX_ATTEMPTS` times without finishing (one
that crashes the process each time) is given up with one warning line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update
from pydantic import ValidationError

from adapters.telegram.received import ReceivedUpdates
from bot.coord.in_hand import WorkView, taken_over, update_key
from bot.services.ports import PlatformRecords
from bot.services.types import utc_now

log = logging.getLogger("adapters.telegram")

MAX_ATTEMPTS: Final = 3
"""Handling begun this often without finishing: the update is given up."""

KEEP_FINISHED: Final = timedelta(days=2)
"""Telegram keeps undelivered updates for 24 hours; finished ids are remembered twice that."""


def _replay_order(received_at: datetime, key: str) -> tuple[datetime, int, str]:
    """Oldest first; the updates of one poll (kept at one time) by update id.

    The store orders those by key, as text, where update 10 comes before 9;
    of keys under one bot's prefix, the shorter holds the smaller id.
    """
    return received_at, len(key), key


class UpdateInbox(BaseRequestMiddleware):
    """Keeps, tracks and hands back the updates of one bot (see the module docstring)."""

    def __init__(self, storage: PlatformRecords, bot_id: int) -> None:
        self._storage = storage
        self._prefix = f"telegram:{bot_id}:update:"

    def key(self, update_id: int) -> str:
        """The store's key of an update of this bot."""
        return f"{self._prefix}{update_id}"

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        """Keep the updates a ``getUpdates`` call returns before the next call confirms them."""
        response = await make_request(bot, method)
        if isinstance(method, GetUpdates):
            # aiogram's sessions return the result itself, whatever the annotation says
            received: object = response.result if isinstance(response, Response) else response
            if isinstance(received, list):
                texts = received.texts if isinstance(received, ReceivedUpdates) else None
                await self.keep([u for u in received if isinstance(u, Update)], texts)
        return response

    async def keep(self, updates: Sequence[Update], texts: Mapping[int, str] | None = None) -> bool:
        """Keep ``updates`` (a whole poll in one store call); ``False`` (logged) when the store failed.

        ``texts`` are updates' JSON objects as received, by update id; an update
        without one is written from its model. Kept all or none: after a failure
        they are handled without a copy.
        """
        given = texts or {}
        try:
            entries = [
                (self.key(u.update_id), given.get(u.update_id) or u.model_dump_json(exclude_unset=True))
                for u in updates
            ]
            await self._storage.inbox.receive_many(entries, utc_now())
        except Exception:  # the store (or its driver) failed
            # Handling them without a copy beats stalling every chat until the store is back.
            log.exception("could not keep received updates; handling them without a copy")
            return False
        return True

    async def begin(self, update_id: int) -> int | None:
        """Count an attempt at handling the update; ``None`` for a duplicate of a finished one."""
        try:
            return await self._storage.inbox.begin(self.key(update_id), utc_now())
        except Exception:
            # Better to risk handling a duplicate than to drop an update.
            log.exception("update de-duplication failed; handling the update anyway")
            return 1

    async def finish(self, update_id: int) -> None:
        """The update has been handled (or failed in a way a retry would repeat)."""
        try:
            await self._storage.inbox.finish(self.key(update_id))
        except Exception:
            log.exception("could not mark an update handled", extra={"update_id": update_id})

    async def left_over(
        self, bot: Bot, *, received_before: datetime | None = None, view: WorkView | None = None
    ) -> list[Update]:
        """Updates received but not finished before the last stop, oldest first, to handle again.

        With ``received_before``, only those received before that time (what a
        replica that died left; younger ones may be in a live replica's hands),
        and with ``view`` also those that no live replica holds and that were
        received before every live replica last listed its work.
        """

        again: list[Update] = []
        now = utc_now()
        entries = await self._storage.inbox.unfinished(self._prefix)
        for entry in sorted(entries, key=lambda e: _replay_order(e.received_at, e.key)):
            if not taken_over(update_key(entry.key), entry.received_at, before=received_before, view=view):
                continue
            update_id = entry.key.removeprefix(self._prefix)
            if entry.payload is None or entry.attempts >= MAX_ATTEMPTS:
                reason = "not kept" if entry.payload is None else f"begun {entry.attempts} times"
                extra = {"update_id": update_id, "reason": reason}
                log.warning("an unfinished update is given up", extra=extra)
                await self._storage.inbox.finish(entry.key)
                continue
            try:
                update = Update.model_validate_json(entry.payload, context={"bot": bot})
            except ValidationError:
                log.warning("an unfinished update is unreadable; given up", extra={"update_id": update_id})
                await self._storage.inbox.finish(entry.key)
                continue
            # Another replica looking at the same time may have taken it since we read it.
            if await self._storage.inbox.take(entry.key, entry.received_at, now):
                again.append(update)
        return again

    async def purge(self, now: datetime) -> int:
        """Forget finished updates older than :data:`KEEP_FINISHED`."""
        return await self._storage.inbox.purge(now - KEEP_FINISHED)
