"""The Bolt listeners: ``ack()`` at once, then the work in a tracked background task.

Every request first passes :class:`~adapters.slack.gate.Gate` (repeated
deliveries dropped, only admins let in). Every listener then answers Slack
within milliseconds and hands the slow part (Zadarma, the engine, Slack
Web API calls) to :class:`~adapters.slack.tasks.BackgroundTasks`, adopted by
the request's delivery in the kit gate: one user's work runs in arrival order. Modals
live in :mod:`adapters.slack.modals`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack import actions, blocks
from adapters.slack.files import FileFetchError, FileTooBig, SlackFileFetcher
from adapters.slack.gate import Body, Gate, is_dm, is_dm_text
from adapters.slack.home import load_home
from adapters.slack.modals import Modals
from adapters.slack.outbox import Outbox
from adapters.slack.payloads import part
from adapters.slack.tasks import BackgroundTasks
from adapters.slack.team import ALERTS_PREFIX, TEAM_CHAT, TeamConsole
from adapters.slack.texts import (
    DM_HINT,
    EXPIRED,
    FILE_TOO_BIG,
    FILE_UNREADABLE,
    GENERIC_FAILURE,
    NOTHING_WAITING_FOR_FILE,
    say,
)
from adapters.slack.wizard import Wizard
from adapters.updates import UpdateObserver
from bot.coord import KeyLocks
from bot.services import Actor, Services
from bot.services.ports import PlatformRecords
from bot.services.types import UserRef
from conversations.screens import Screen
from conversations.team_commands import COMMAND, CommandError, Help, Order, parse_command

log = logging.getLogger("adapters.slack.handlers")


class SlackHandlers:
    """Everything the Bolt app listens to; :meth:`register` wires it to an :class:`AsyncApp`."""

    def __init__(
        self,
        *,
        admin_users: frozenset[str],
        services: Services,
        storage: PlatformRecords,
        team: TeamConsole,
        wizard: Wizard,
        outbox: Outbox,
        fetcher: SlackFileFetcher,
        tasks: BackgroundTasks,
        now: Callable[[], datetime],
        account_now: Callable[[], datetime],
        observer: UpdateObserver | None = None,
        locks: KeyLocks | None = None,
    ) -> None:
        self._services = services
        self._team = team
        self._wizard = wizard
        self._outbox = outbox
        self._fetcher = fetcher
        self._tasks = tasks
        self._account_now = account_now
        self._gate = Gate(
            admin_users=admin_users,
            storage=storage,
            outbox=outbox,
            tasks=tasks,
            now=now,
            observer=observer,
            language=wizard.language,
            locks=locks,
        )
        self.updates = self._gate.updates
        self._modals = Modals(wizard=wizard, outbox=outbox, spawn=self._spawn)

    def register(self, app: AsyncApp) -> None:
        """Attach the middleware and the listeners (specific ones first, then quiet catch-alls)."""
        app.middleware(self._gate.guard)
        app.command(COMMAND)(self.on_command)
        app.action(actions.ANY_ACTION)(self.on_action)
        app.view(actions.TEXT_VIEW)(self._modals.on_text_view)
        app.view(actions.FORM_VIEW)(self._modals.on_form_view)
        app.event("app_home_opened")(self.on_home_opened)
        app.event("file_shared")(self.on_file_shared)
        app.event("message")(self.on_message)
        # Anything else is acknowledged and ignored, so Bolt never logs it as unhandled (with its payload).
        anything = re.compile(".*")
        app.command(anything)(self.ignore)
        app.action(anything)(self.ignore)
        app.view(anything)(self.ignore)
        app.event(anything)(self.ignore)
        app.shortcut(anything)(self.ignore)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Start ``work`` in the background as a part of the request being dispatched (its user's turn)."""
        self._tasks.spawn(self.updates.adopt(work), name)

    async def _say(self, response_url: str, text: str) -> None:
        await self._outbox.respond(response_url, blocks.note(text))

    async def _language(self, user: str, chat_id: str = "") -> str:
        """The language to tell ``user`` something in: their conversation's in ``chat_id``, else
        their console's (every user here is an operator)."""
        if chat_id and chat_id != TEAM_CHAT and not chat_id.startswith(ALERTS_PREFIX):
            return await self._wizard.language_of(chat_id, user)
        return await self._team.language(user)

    async def _post(self, channel: str, message: blocks.Rendered) -> None:
        try:
            await self._outbox.post(channel, message)
        except Exception:  # noted by the outbox (health shows it); nobody else to tell
            return

    async def ignore(self, ack: AsyncAck) -> None:
        """Acknowledge and do nothing."""
        await ack()

    # -- /numbers ------------------------------------------------------------------------

    async def on_command(self, ack: AsyncAck, body: Body) -> None:
        """Help and usage answer at once (ephemeral); the rest through ``response_url``.

        ``/numbers ARGS`` is the engine's team console (``Command("team", ARGS)``), but for
        ``order``: the order wizard in the channel's own conversation, as for customers.
        """
        text = str(body.get("text") or "")
        user = str(body.get("user_id"))
        channel = str(body.get("channel_id") or "")
        url = str(body.get("response_url") or "")
        try:
            command = parse_command(text)
        except CommandError:
            command = None
        if command is None or isinstance(command, Help):
            try:
                message, _ = await self._team.command(user, text)  # no API call: answered within the 3 s
            except Exception:
                await ack(response_type="ephemeral", text=say(self._wizard.language, GENERIC_FAILURE))
                raise
            await ack(response_type="ephemeral", text=message.text)
            return
        await ack()

        async def work() -> None:
            try:
                if isinstance(command, Order):
                    message = await self._wizard.start_order(channel, user)
                else:
                    message, _ = await self._team.command(user, text)
            except Exception:
                failure = blocks.note(say(await self._language(user), GENERIC_FAILURE))
                await self._outbox.answer(response_url=url, channel=channel, user=user, message=failure)
                raise
            await self._outbox.answer(response_url=url, channel=channel, user=user, message=message)

        self._spawn(work(), f"command:{type(command).__name__.lower()}")

    # -- buttons -------------------------------------------------------------------------

    async def on_action(self, ack: AsyncAck, body: Body, action: Body) -> None:
        """Every ``zb.*`` button: acknowledge, then act (modals open first thing, within the 3 s)."""
        await ack()
        self._spawn(self._act(body, action), f"action:{action.get('action_id', '')}")

    async def _act(self, body: Body, action: Body) -> None:
        action_id = str(action.get("action_id") or "")
        value = str(action.get("value") or "")
        user = str(part(body, "user").get("id") or "")
        channel = str(part(body, "channel").get("id") or part(body, "container").get("channel_id") or "")
        url = str(body.get("response_url") or "")
        trigger = str(body.get("trigger_id") or "")
        interim_shown = False  # "⏳" replaced the pressed message: what follows replaces it in turn
        try:
            if actions.WIZARD_PATTERN.match(action_id):
                parsed = actions.parse_wizard_value(value)
                if parsed is None:
                    await self._say(url, say(await self._language(user), EXPIRED))
                    return
                chat_id, token = parsed
                if chat_id == TEAM_CHAT or chat_id.startswith(ALERTS_PREFIX):
                    await self._team_press(body, chat_id, user, token)
                    return

                async def interim(screen: Screen) -> None:
                    # "⏳" in place of the pressed message (its buttons go) while a payment runs.
                    nonlocal interim_shown
                    rendered = blocks.render_screens([screen], chat_id, self._wizard.language)
                    interim_shown = await self._outbox.respond(url, rendered, replace=True)

                message = await self._wizard.press(chat_id, user, token, interim=interim)
                await self._outbox.answer(
                    response_url=url,
                    channel=channel,
                    user=user,
                    message=message,
                    replace=message.replaces_pressed or interim_shown,
                )
            elif action_id == actions.TEXT_ANSWER:
                await self._modals.open_text_answer(trigger, value, channel, url, user)
            elif action_id == actions.FORM_OPEN:
                await self._modals.open_screen_form(trigger, value, channel, url, user)
        except Exception:
            failure = blocks.note(say(await self._language(user), GENERIC_FAILURE))
            await self._outbox.respond(url, failure, replace=interim_shown)
            raise

    async def _team_press(self, body: Body, chat_id: str, user: str, token: str) -> None:
        """A console or alert button: the answer replaces a confirmation, else comes as a new message.

        A change made from an alert in a channel (no new screen to show, only what was done)
        is also noted on the alert, with who made it, for the rest of the team.
        """
        url = str(body.get("response_url") or "")
        answer = await self._team.press(chat_id, user, token)
        message = answer.message
        if answer.empty:  # a confirmation cancelled: nothing left to show
            await self._outbox.delete_original(url)
            return
        await self._outbox.respond(url, message, replace=message.replaces_pressed)
        container = part(body, "container")
        original = part(body, "message")
        channel = str(part(body, "channel").get("id") or container.get("channel_id") or "")
        if not chat_id.startswith(ALERTS_PREFIX) or not answer.applied or message.has_buttons:
            return
        if container.get("is_ephemeral"):
            return
        if not original.get("ts") or not channel:
            return
        noted = [*original.get("blocks", [])[: blocks.MAX_BLOCKS - 1]]
        noted.append(blocks.context(f"<@{user}>: {blocks.escape(message.text)}"))
        await self._outbox.update(
            channel, str(original["ts"]), blocks.Rendered(str(original.get("text") or " "), noted)
        )

    # -- events --------------------------------------------------------------------------

    async def on_home_opened(self, event: Body) -> None:
        """Publish the App Home tab."""
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user") or "")
        self._spawn(self._home(user), "home")

    async def _home(self, user: str) -> None:
        actor = Actor(UserRef("slack", user), is_operator=True)  # the gate let only admins in
        language = await self._team.language(user)
        view = await load_home(self._services, actor, self._account_now, language)
        await self._outbox.publish_home(user, view)

    async def on_file_shared(self, event: Body) -> None:
        """A file shared in the bot's DM goes to the conversation that waits for one."""
        channel = str(event.get("channel_id") or "")
        user = str(event.get("user_id") or "")
        file_id = str(event.get("file_id") or (event.get("file") or {}).get("id") or "")
        if not is_dm(channel) or not file_id:
            return
        self._spawn(self._file(channel, user, file_id), "file")

    async def _file(self, channel: str, user: str, file_id: str) -> None:
        chat_id = await self._wizard.chat_waiting_for_file(user)
        if chat_id is None:
            language = await self._language(user)
            await self._post(channel, blocks.note(say(language, NOTHING_WAITING_FOR_FILE, command=COMMAND)))
            return
        language = await self._language(user, chat_id)
        try:
            upload = await self._fetcher.fetch(file_id)
        except FileTooBig as exc:
            await self._post(channel, blocks.note(say(language, FILE_TOO_BIG, max_mb=exc.max_mb)))
            return
        except FileFetchError as exc:
            log.warning("could not fetch a shared file", extra={"reason": exc.reason})
            await self._post(channel, blocks.note(say(language, FILE_UNREADABLE)))
            return
        try:
            message = await self._wizard.file(chat_id, user, upload)
        except Exception:
            await self._post(channel, blocks.note(say(language, GENERIC_FAILURE)))
            raise
        await self._post(channel, message)

    async def on_message(self, event: Body) -> None:
        """Text typed in the bot's DM answers that DM's conversation when it waits for text."""
        if not is_dm_text(event):
            return
        channel = str(event.get("channel") or "")
        user = str(event.get("user") or "")
        text = str(event.get("text") or "")
        self._spawn(self._dm_text(channel, user, text), "dm")

    async def _dm_text(self, channel: str, user: str, text: str) -> None:
        screens = await self._wizard.current_screens(channel, user)
        if screens and screens[-1].expects == "text":
            await self._post(channel, await self._wizard.text(channel, user, text))
            return
        language = await self._language(user, channel)
        hint = say(language, DM_HINT, command=COMMAND)
        await self._post(channel, blocks.note(hint))
