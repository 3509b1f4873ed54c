"""The terminal loop: read a line, run the conversation, print the screens."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol, TextIO

from adapters.console.samples import sample_scan_png
from adapters.console.translate import (
    AdvanceDays,
    PlaceCall,
    Problem,
    Quit,
    SendFile,
    SendSample,
    SendSms,
    answers_at_stake,
    confirms,
    file_event,
    parse,
    render,
)
from adapters.kit.commands import help_lines
from bot.services.types import ConversationKey, StoredConversation
from conversations.demo import days_unavailable, days_usage, event_line
from conversations.engine import ConversationEngine
from conversations.events import Command, Event, FileUpload
from conversations.i18n import Translator, translator
from conversations.screens import Expects, Screen
from conversations.state import ConversationState, load_state

SavedState = Callable[[ConversationKey], Awaitable[StoredConversation | None]]


class DaysControl(Protocol):
    """Moves the emulator's clock for ``/days N``; returns what to show (a summary, then alert cards)."""

    async def advance(self, days: int) -> list[Screen]:
        """Move ``days`` days ahead and return the screens to print."""
        ...


class EventsControl(Protocol):
    """Has the built-in emulator send an SMS or a call (``/sms``, ``/call``); returns what to show."""

    async def sms(self, text: str) -> list[Screen]:
        """An SMS with ``text`` arrives on the user's newest number; the notice or what happened."""
        ...

    async def call(self, seconds: int) -> list[Screen]:
        """A call of ``seconds`` (0: missed) arrives on the newest number; the notice or what happened."""
        ...


class ConsoleSession:
    """One user's conversation in a terminal."""

    def __init__(
        self,
        engine: ConversationEngine,
        key: ConversationKey,
        *,
        stdin: TextIO,
        stdout: TextIO,
        locale: str | None = None,
        interactive: bool | None = None,
        saved: SavedState | None = None,
        clock: DaysControl | None = None,
        events: EventsControl | None = None,
        log_file: str | None = None,
    ) -> None:
        """``saved`` reads the stored conversation, to ask before a form's answers are thrown away.

        ``clock`` serves ``/days N`` and ``events`` serves ``/sms`` and ``/call``
        (the built-in emulator only); ``log_file`` is
        where the demo's log goes (named in the introduction).
        """
        self._engine = engine
        self._key = key
        self._in = stdin
        self._out = stdout
        self._locale = locale
        self._interactive = stdin.isatty() if interactive is None else interactive
        self._actions: tuple[str, ...] = ()
        self._paging: dict[str, str] = {}
        self._expects: Expects = "choice"
        self._saved = saved
        self._clock = clock
        self._events = events
        self._log_file = log_file
        self._tr: Translator = translator(locale or "en")

    async def _follow_language(self) -> None:
        """Speak the conversation's language (it changes with /language)."""
        self._tr = translator(await self._engine.language_of(self._key, locale=self._locale))

    def _say(self, text: str) -> None:
        self._out.write(text + "\n\n")
        self._out.flush()

    def _show(self, screens: list[Screen]) -> None:
        rendered = render(screens)
        self._actions = rendered.actions
        self._paging = dict(rendered.paging)
        self._expects = rendered.expects
        self._out.write(rendered.text + "\n\n")
        self._out.flush()

    async def _read(self) -> str | None:
        if self._interactive:
            self._out.write("> ")
        else:
            self._out.write("> \n")
        self._out.flush()
        line = await asyncio.to_thread(self._in.readline)
        return line if line else None

    async def _interim(self, screen: Screen) -> None:
        """The conversation waits on Zadarma for a while: say so at once ("⏳ …")."""
        self._say(screen.text)

    async def _send(self, event: Event) -> None:
        screens = await self._engine.handle(self._key, event, locale=self._locale, interim=self._interim)
        await self._follow_language()
        self._show(screens)
        await self._engine.acknowledge(self._key, screens)

    async def _state(self) -> ConversationState | None:
        if self._saved is None:
            return None
        stored = await self._saved(self._key)
        return load_state(stored.data) if stored is not None else None

    async def _language(self) -> str:
        state = await self._state()
        return state.language if state is not None else (self._locale or "en")

    async def _advance(self, command: AdvanceDays) -> None:
        """``/days N``: the clock moves, what happened and the alerts are shown, then the screen goes on."""
        if self._clock is None:
            self._say(days_unavailable(await self._language()))
            return
        if command.days is None:
            self._say(days_usage(await self._language()))
            return
        screens = await self._clock.advance(command.days)
        if len(screens) <= 1:  # no alert card: the screen the user was on stays live
            screens += await self._engine.current(self._key, locale=self._locale)
        self._show(screens)

    async def _number_event(self, command: SendSms | PlaceCall) -> None:
        """``/sms`` or ``/call``: the notice as the chat would get it, then the screen the user was on."""
        if self._events is None:
            self._say(event_line(await self._language(), "unavailable").text)
            return
        if isinstance(command, SendSms):
            screens = await self._events.sms(command.text)
        else:
            screens = await self._events.call(command.seconds)
        if not any(screen.buttons for screen in screens):  # the screen the user was on stays live
            screens += await self._engine.current(self._key, locale=self._locale)
        self._show(screens)

    async def _discard_confirmed(self, event: Event) -> bool:
        """True unless ``event`` would throw form answers away and the user does not confirm it."""
        count = answers_at_stake(await self._state(), event)
        if not count:
            return True
        self._say(self._tr.ngettext("console.discard", count))
        answer = await self._read()
        return answer is not None and confirms(answer)

    async def run(self, *, resume: bool) -> int:
        """Run until ``/quit`` or end of input; ``resume`` continues a saved conversation."""
        await self._follow_language()
        intro = self._tr.gettext("console.intro") + "\n" + help_lines(self._tr.language)
        if self._log_file:
            intro += "\n" + self._tr.gettext("console.log_file", path=self._log_file)
        self._say(intro)
        if resume:
            self._show(await self._engine.current(self._key, locale=self._locale))
        else:
            await self._send(Command("start"))
        while (line := await self._read()) is not None:
            if not line.strip():
                continue
            parsed = parse(line, self._actions, self._expects, self._paging)
            if isinstance(parsed, Quit):
                break
            if isinstance(parsed, Problem):
                self._say(parsed.text(self._tr))
                continue
            if isinstance(parsed, AdvanceDays):
                await self._advance(parsed)
                continue
            if isinstance(parsed, SendSms | PlaceCall):
                await self._number_event(parsed)
                continue
            if isinstance(parsed, SendSample):
                parsed_event: Event = FileUpload("sample-scan.png", sample_scan_png(), "image/png")
            elif isinstance(parsed, SendFile):
                loaded = file_event(parsed.path)
                if isinstance(loaded, Problem):
                    self._say(loaded.text(self._tr))
                    continue
                parsed_event = loaded
            else:
                parsed_event = parsed
            if not await self._discard_confirmed(parsed_event):
                self._show(await self._engine.current(self._key, locale=self._locale))
                continue
            await self._send(parsed_event)
        self._out.write(self._tr.gettext("console.bye") + "\n")
        self._out.flush()
        return 0
