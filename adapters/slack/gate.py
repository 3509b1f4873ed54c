"""The gate every request passes first: drop Slack's repeated deliveries, let only admins in.

A delivery is identified by its event id (Events API) or the trigger id of
a command, button press or form submission; ``storage.dedup`` remembers it
for two hours, across restarts and replicas, so a retried delivery
(``X-Slack-Retry-Num``) is acknowledged and otherwise ignored. A body not
shaped like Slack's (:func:`adapters.slack.payloads.problem`; Socket Mode
requests meet this check here first) gets 400 and one warning line (in Socket
Mode the part still acknowledges the envelope, so Slack does not resend it). The gate
fails closed: a request without a user is acknowledged and ignored, and a
user who is not in ``admin_users`` gets a polite refusal (ephemeral, in the
modal, in the DM or on the home tab); nothing else happens for either.

The de-duplication (``storage.dedup`` as the ledger, :class:`SeenOnce`), the
outcomes and the order are the kit's gate (:mod:`adapters.kit.gate`): a request
let in is done when its listener and the background work it adopted have ended,
and one user's work runs after the work of their earlier requests. This module
is its Bolt side: the middleware, the checks of Slack's bodies, the refusals.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from slack_bolt.response import BoltResponse

from adapters.kit.gate import Delivery, UpdateGate
from adapters.slack import blocks, forms
from adapters.slack.home import refusal_home
from adapters.slack.outbox import Outbox
from adapters.slack.payloads import problem
from adapters.slack.tasks import BackgroundTasks
from adapters.slack.texts import NOT_ALLOWED, REFUSAL, say
from adapters.updates import UpdateObserver
from bot.coord import KeyLocks, LocalLocks
from bot.services.ports import PlatformRecords

log = logging.getLogger("adapters.slack.gate")

PLATFORM = "slack"

DEDUP_TTL_SECONDS = 2 * 3600.0
Body = dict[str, Any]


def delivery_key(body: Body) -> str | None:
    """The key that identifies one delivery, the same on Slack's retries; None if there is none."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"slack:event:{body['event_id']}"
    trigger = body.get("trigger_id")
    if not trigger:
        return None
    if body.get("command"):
        return f"slack:command:{trigger}"
    kind = str(body.get("type") or "interaction")
    acted = body.get("actions") or [{}]
    stamp = acted[0].get("action_ts", "") if isinstance(acted[0], dict) else ""
    return f"slack:{kind}:{trigger}:{stamp}"


def delivery_kind(body: Body) -> str:
    """What the log line calls a request: ``command``, else its type (``block_actions``...)."""
    return "command" if body.get("command") else str(body.get("type") or "")


def acting_user(body: Body) -> str | None:
    """The Slack user behind a command, an interaction or an event (None when there is none)."""
    if body.get("command"):
        who: Any = body.get("user_id")
    elif body.get("type") == "event_callback":
        event = body.get("event")
        who = (event.get("user_id") or event.get("user")) if isinstance(event, dict) else None
    else:
        who = body.get("user")
    if isinstance(who, dict):
        who = who.get("id")
    return who if isinstance(who, str) and who else None


def is_dm(channel: str) -> bool:
    """Whether a channel id names a direct message (``D...``)."""
    return channel.startswith("D")


def is_dm_text(event: Body) -> bool:
    """Whether an event is text a person typed in a DM (not a bot's, not an edit or a file share)."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("text"))
    )


class SeenOnce:
    """``storage.dedup`` as the kit gate's ledger: a delivery begins once; there is nothing to finish."""

    def __init__(self, storage: PlatformRecords, now: Callable[[], datetime]) -> None:
        self._storage = storage
        self._now = now

    async def begin(self, key: str) -> int | None:
        """1 the first time ``key`` is seen (or it is empty: nothing to tell retries by); else ``None``."""
        if not key:
            return 1
        try:
            first = await self._storage.dedup.seen_once(key, self._now(), DEDUP_TTL_SECONDS)
        except Exception:
            # Better to risk handling a repeated delivery than to drop one.
            log.exception("slack de-duplication failed; handling the request anyway")
            return 1
        return 1 if first else None

    async def finish(self, key: str) -> None:
        """Nothing: a key is remembered from its first sight."""


class Gate:
    """The global Bolt middleware: :meth:`guard`; the kit gate behind it is :attr:`updates`."""

    def __init__(
        self,
        *,
        admin_users: frozenset[str],
        storage: PlatformRecords,
        outbox: Outbox,
        tasks: BackgroundTasks,
        now: Callable[[], datetime],
        observer: UpdateObserver | None = None,
        language: str = "en",
        locks: KeyLocks | None = None,
    ) -> None:
        """``language``: what a refusal is written in (the team's Slack locale; a stranger has no other);
        ``locks``: one user's requests are worked on in order (default: in this process only)."""
        self._admins = admin_users
        self._language = language
        self._outbox = outbox
        self._tasks = tasks
        self.updates = UpdateGate(
            PLATFORM,
            ledger=SeenOnce(storage, now),
            locks=locks if locks is not None else LocalLocks(),
            observer=observer,
        )

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.spawn(work, name)

    async def guard(self, body: Body, next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        """Refuse malformed bodies, drop repeated deliveries, let only admins through.

        A request let through is worked on by its listener and the work the listener
        adopts (:meth:`adapters.kit.gate.UpdateGate.adopt`), after the user's earlier requests.
        """
        reason = problem(body)
        if reason is not None:
            log.warning("slack request refused: malformed", extra={"reason": reason})
            self.updates.observe("malformed")
            return BoltResponse(status=400, body="")
        key = delivery_key(body)
        user = acting_user(body)
        ticket = await self.updates.admit(Delivery(key or "", f"slack:{user or key}", delivery_kind(body)))
        if ticket is None:  # a repeated delivery: acknowledged, nothing else
            return BoltResponse(status=200, body="")
        if user is None:
            # Nobody to check: acknowledged (Slack must not retry it) and never acted on.
            log.info("ignored a slack request without a user")
            ticket.end("ignored")
            return BoltResponse(status=200, body="")
        if user in self._admins:
            ticket.pass_on()
            await next()
            return None
        log.info("refused a slack user who is not an admin")
        ticket.end("refused")
        return self._refuse(body, user)

    def _refuse(self, body: Body, user: str) -> BoltResponse:
        refusal = say(self._language, REFUSAL)
        if body.get("command"):
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": refusal})
        kind = body.get("type")
        if kind == "block_actions":
            self._spawn(self._say(body.get("response_url", ""), refusal), "refuse")
        elif kind == "view_submission":
            view = forms.message_view(say(self._language, NOT_ALLOWED), refusal, self._language)
            return BoltResponse(status=200, body={"response_action": "update", "view": view})
        elif kind == "event_callback":
            event = body.get("event") or {}
            if event.get("type") == "app_home_opened":
                self._spawn(self._publish(user, refusal_home(self._language)), "refuse")
            elif is_dm_text(event) or (
                event.get("type") == "file_shared" and is_dm(str(event.get("channel_id") or ""))
            ):
                channel = str(event.get("channel") or event.get("channel_id"))
                self._spawn(self._post(channel, blocks.note(refusal)), "refuse")
        return BoltResponse(status=200, body="")

    async def _say(self, response_url: str, text: str) -> None:
        await self._outbox.respond(response_url, blocks.note(text))

    async def _publish(self, user: str, view: dict[str, Any]) -> None:
        await self._outbox.publish_home(user, view)

    async def _post(self, channel: str, message: blocks.Rendered) -> None:
        try:
            await self._outbox.post(channel, message)
        except Exception:  # noted by the outbox (health shows it); nobody else to tell
            return
