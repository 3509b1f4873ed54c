"""Start-up calls that must not stop the bot when they fail.

``setMyCommands``, ``deleteWebhook`` or ``setWebhook`` failing at start-up
(Telegram briefly unreachable, a flood wait) is logged and retried in the
background with growing pauses (the kit's :func:`~adapters.kit.backoff.retry`
loop, run by the part's :class:`~adapters.kit.tasks.TaskSupervisor`) until it
succeeds or the part stops. A
rejected token is the exception: it is logged once, as one error line, and
nothing is retried (a wrong token does not heal by waiting).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram.exceptions import TelegramUnauthorizedError

from adapters.kit.backoff import Backoff, Sleep, retry
from adapters.kit.tasks import TaskSupervisor
from adapters.telegram.sending import describe
from adapters.telegram.status import ApiStatus

log = logging.getLogger("adapters.telegram")

Attempt = Callable[[], Awaitable[object]]


class BackgroundRetries:
    """Runs named calls once now and, if they fail, again later in the background."""

    def __init__(
        self,
        status: ApiStatus,
        supervisor: TaskSupervisor,
        *,
        first_delay: float = 1.0,
        max_delay: float = 300.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._status = status
        self._supervisor = supervisor
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.done: set[str] = set()

    async def run(self, name: str, attempt: Attempt, *, time_limit: float = 10.0) -> bool:
        """Try ``attempt`` now; on failure keep retrying in the background. Returns whether it worked."""
        if self._status.rejected:
            return False
        if await self._try(name, attempt, time_limit):
            return True
        if name not in self._tasks and not self._status.rejected:
            self._tasks[name] = self._supervisor.loop(self._retry(name, attempt, time_limit), name)
        return False

    def pending(self) -> list[str]:
        """Names still being retried."""
        return sorted(name for name, task in self._tasks.items() if not task.done())

    async def close(self) -> None:
        """Stop retrying."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _try(self, name: str, attempt: Attempt, time_limit: float) -> bool:
        try:
            await asyncio.wait_for(attempt(), time_limit)
        except TelegramUnauthorizedError:
            token_rejected(self._status, name)
            return False
        except Exception as error:
            self._status.record(name, error)
            log.warning(
                "start-up call failed; retrying in the background",
                extra={"call": name, "error": describe(error)},
            )
            return False
        self.done.add(name)
        return True

    async def _retry(self, name: str, attempt: Attempt, time_limit: float) -> None:
        backoff = Backoff(first=self._first_delay, cap=self._max_delay)

        async def again() -> bool:
            if await self._try(name, attempt, time_limit):
                log.info("start-up call succeeded on retry", extra={"call": name})
                self._tasks.pop(name, None)
                return True
            return self._status.rejected is not None

        await self._sleep(backoff.delay())  # the call failed just now: wait before the first retry
        await retry(again, backoff, sleep=self._sleep)


def token_rejected(status: ApiStatus, what: str) -> None:
    """Record a 401 from Telegram and say so in one error line (only the first time)."""
    if status.reject(what):
        log.error(
            "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): not retrying; "
            "set the token @BotFather gave and restart",
            extra={"call": what},
        )
