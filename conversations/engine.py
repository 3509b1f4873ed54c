"""The conversation engine: one event in, the screens to show out, the state saved.

:meth:`ConversationEngine.handle` loads the user's state (or starts one),
runs one step, renders the current screen with a fresh token table, and
saves the state with optimistic concurrency. Events of one conversation
never interleave within a process (a lock per key); across processes a
stale save is detected by the revision and the event is run once more on
the newer state.

Before each handler and each render the engine sets ``ctx.trigger`` (a
command, a button, typed text, a redirect...), so every move made with
:meth:`~conversations.context.Ctx.go` is checked against
:mod:`conversations.transitions` as (from step, to step, trigger).

Rendering has no side effects (:mod:`conversations.purity`): before it renders
a step the engine asks the step's ``route`` where the state belongs and makes
that move itself; after it, the engine keeps the screen's token table (and the
team console's one-tap buttons). Nothing else changes while a screen is built.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TypeVar

from bot.services import Actor, Services
from bot.services.errors import NotFound, NotYours, ServiceError
from bot.services.types import ConversationKey, StaleRevisionError, StoredConversation, UserRef
from bot.services.validation import visible
from conversations.context import Ctx, Interim, error_text
from conversations.events import Command, Event, FileUpload, FormSubmitted, Press, Text
from conversations.formatting import format_phone, on_off
from conversations.i18n import normalize_language
from conversations.notices import Notice, notice_actions, render_notice_text
from conversations.parsed import DEFAULT_LIMIT, ParsedStates
from conversations.purity import compare, watched
from conversations.screens import Form, Screen
from conversations.state import (
    MAX_ALERT_ACTIONS,
    MAX_TEAM_ACTIONS,
    Action,
    ConversationState,
    PaidAction,
    StepName,
    load_state,
)
from conversations.steps import STEPS, FlowLost, Step
from conversations.steps.confirm import replay_order
from conversations.steps.country import start_order
from conversations.steps.menu import go_menu, set_language
from conversations.steps.my_documents import open_documents
from conversations.steps.numbers import open_number, open_numbers
from conversations.steps.prolong import open_prolong_confirm, replay_prolong
from conversations.steps.team import TEAM_COMMAND, TEAM_START, team_command, team_notice_buttons, team_press
from conversations.tokens import new_salt
from conversations.ui import ScreenBuilder

log = logging.getLogger("conversations.engine")

T = TypeVar("T")

NumberGiven = Callable[[str, UserRef], Awaitable[None]]
"""Tells a customer that a number (digits) is now theirs; set by the platform that serves customers."""
MAX_REDIRECTS = 3
SAVE_ATTEMPTS = 2


def lock_name(key: ConversationKey) -> str:
    """The name of ``key``'s conversation lock (distinct keys never share one)."""
    return json.dumps([key.platform, key.chat_id, key.user_id], separators=(",", ":"))


class ConversationEngine:
    """Runs the conversations of every user over one :class:`~bot.services.Services`."""

    def __init__(
        self,
        services: Services,
        *,
        operators: frozenset[UserRef] = frozenset(),
        default_language: str = "en",
        customers_platform: str = "",
        parsed_states: int = DEFAULT_LIMIT,
    ) -> None:
        """One conversation's events run one at a time under ``services.conversation_locks``.

        ``customers_platform`` names the platform whose users own numbers (where the team
        console's ``assign`` gives one); the composition root takes it from its registry.
        ``parsed_states`` is how many conversations stay parsed between events (see
        :mod:`conversations.parsed`; 0 parses every event's state afresh).
        """
        self._services = services
        self._operators = operators
        self._customers_platform = customers_platform
        self.on_number_given: NumberGiven | None = None
        """Called after an event gave a number to a customer (the team console's ``assign``),
        once the conversation is saved; its failure is logged and changes nothing."""
        self._default_language = normalize_language(default_language) or "en"
        self.parsed: ParsedStates[ConversationKey, ConversationState] = ParsedStates(parsed_states)

    # -- public --------------------------------------------------------------------

    async def handle(
        self,
        key: ConversationKey,
        event: Event,
        *,
        locale: str | None = None,
        event_id: str | None = None,
        start: StepName = "menu",
        interim: Interim | None = None,
    ) -> list[Screen]:
        """Run one event; returns the screens to show, the last one being the current menu.

        ``start`` is the step a new conversation begins at (``team.idle`` for a team console).

        ``interim`` shows a screen at once: a step about to wait on Zadarma more than once
        (placing an order, a renewal, a SIP change) gives it "⏳ …" first (:meth:`Ctx.working`),
        at most once per event; the screens returned then replace it.

        ``event_id`` names the platform's delivery of the event (e.g. a Telegram
        update id). An event handled again after a crash, whose effect was
        already saved, is not applied twice: the current screen is shown instead.
        """

        shown = False

        async def show_once(screen: Screen) -> None:  # once, even when a stale save runs the event again
            nonlocal shown
            if interim is not None and not shown:
                shown = True
                await interim(screen)

        given: list[tuple[str, UserRef]] = []

        async def step(ctx: Ctx) -> list[Screen]:
            ctx.interim = show_once if interim is not None else None
            if event_id is not None and ctx.state.last_event == event_id:
                log.info("event already applied; showing the current screen", extra={"event_id": event_id})
                ctx.press_not_applied = True
            else:
                await self._dispatch(ctx, event)
                if event_id is not None:
                    ctx.state.last_event = event_id
            # Nothing applied: the current screen keeps the live menu's tokens, so a button of it
            # the user presses next (on this or the earlier message) still works.
            given[:] = ctx.given  # the last run's (a run overtaken by another save is run again)
            screens = await self._finish(ctx, reuse_tokens=ctx.press_not_applied)
            if (ctx.press_not_applied or ctx.keep_pressed) and isinstance(event, Press):
                return [replace(screen, replaces_pressed=False) for screen in screens]
            return screens

        screens = await self._run(key, locale, step, start)
        await self._tell_given(given)
        return screens

    async def _tell_given(self, given: Sequence[tuple[str, UserRef]]) -> None:
        if self.on_number_given is None:
            return
        for number, owner in given:
            try:
                await self.on_number_given(number, owner)
            except Exception:  # the number is theirs whether or not they were told
                log.exception("could not tell a customer about their new number")

    async def press_shared(
        self,
        key: ConversationKey,
        source: ConversationKey,
        token: str,
        *,
        locale: str | None = None,
        start: StepName = TEAM_START,
    ) -> tuple[list[Screen], bool]:
        """A team console button of a message many operators see (an alert in a channel).

        ``source`` is the conversation :meth:`team_notice` registered the buttons in; it is only
        read. The press runs in ``key``'s conversation (the operator's own), re-checked like any.
        Returns the screens and whether the press was applied (not expired, refused or failed).
        """
        stored = await self._services.conversations.get(source)
        shared = load_state(stored.data) if stored is not None else None
        action = shared.team_actions.get(token) if shared is not None else None

        async def step(ctx: Ctx) -> tuple[list[Screen], bool]:
            if action is None:
                ctx.say(ctx.tr.gettext("menu.expired"))
                ctx.press_not_applied = True
            else:
                ctx.trigger = "alert"
                await self._guard(ctx, lambda: team_press(ctx, action))
            screens = await self._finish(ctx, reuse_tokens=ctx.press_not_applied)
            return [replace(screen, replaces_pressed=False) for screen in screens], not ctx.press_not_applied

        return await self._run(key, locale, step, start)

    async def team_notice(
        self,
        source: ConversationKey,
        notice: Notice,
        *,
        prolong: bool,
        autorenew: bool,
        card: bool,
        locale: str | None = None,
    ) -> Screen:
        """An alert for the team with one-tap buttons about its number, registered in ``source``.

        ``source`` is a conversation no user speaks in (e.g. the alert channel's); operators
        press its buttons through :meth:`press_shared`.
        """

        async def alert(ctx: Ctx) -> Screen:
            ui = ScreenBuilder(ctx.state, ctx.tr)
            if notice.number:
                team_notice_buttons(ui, notice.number, prolong=prolong, autorenew=autorenew, card=card)
            screen = ui.screen(render_notice_text(notice, ctx.language), "none")
            ui.claim(ctx.state)
            _keep_one_taps(ctx.state, ui, screen, MAX_ALERT_ACTIONS)
            return screen

        return await self._run(source, locale, alert, TEAM_START)

    async def acknowledge(self, key: ConversationKey, screens: Sequence[Screen]) -> None:
        """The adapter has shown ``screens``: the payment outcomes they tell need no alert."""
        told = [intent for screen in screens for intent in screen.settles]
        if not told:
            return
        try:
            await self._services.ordering.acknowledge(key.user, told)
        except Exception:  # the outcome alert is then sent as well: told twice, never not at all
            log.exception("could not acknowledge told outcomes")

    async def language_of(self, key: ConversationKey, *, locale: str | None = None) -> str:
        """The language the conversation of ``key`` speaks now (reads only; a new one: the user's choice)."""
        stored = await self._services.conversations.get(key)
        state = load_state(stored.data) if stored is not None else None
        return state.language if state is not None else await self._initial_language(key, locale)

    async def prefer_language(self, key: ConversationKey, language: str) -> None:
        """Switch the conversation and the user's preference to ``language``, where it stands.

        For an explicit choice made outside the chat (the demo's ``--lang``): it
        wins over the language a resumed conversation was left in.
        """
        chosen = normalize_language(language)
        if chosen is None:
            return

        async def switch(ctx: Ctx) -> None:
            ctx.state.language = chosen
            users = ctx.services.users
            if not await users.set_language(key.user, chosen):
                await users.upsert(key.user, default_language=chosen)

        await self._run(key, chosen, switch)

    async def current(self, key: ConversationKey, *, locale: str | None = None) -> list[Screen]:
        """The current screen again (after a restart, or to look at it); changes nothing.

        The buttons keep the tokens of the menu on screen, so that menu stays
        valid; only when the data behind the screen changed (a new button) is
        anything saved.
        """
        return await self._run(key, locale, lambda ctx: self._finish(ctx, reuse_tokens=True))

    async def form(self, key: ConversationKey, token: str, *, locale: str | None = None) -> Form | None:
        """The form whose ``open`` button has ``token``, while it is the one on screen (else None).

        Reads like :meth:`current` (the live menu's tokens are kept), so opening a form changes nothing.
        """

        async def body(ctx: Ctx) -> Form | None:
            if not _form_is_live(ctx, token):
                return None
            form = (await self._finish(ctx, reuse_tokens=True))[-1].form
            return form if form is not None and form.open is not None and form.open.action == token else None

        return await self._run(key, locale, body)

    async def check_form(
        self, key: ConversationKey, submitted: FormSubmitted, *, locale: str | None = None
    ) -> dict[str, str] | None:
        """The per-field errors :meth:`handle` would refuse ``submitted`` with; changes nothing.

        None when the conversation has no such form on screen (expired). For a
        platform that must answer a submission at once (Slack's 3 s) and apply it later.
        """

        async def body(ctx: Ctx) -> dict[str, str] | None:
            if submitted.form and not _form_is_live(ctx, submitted.form):
                return None
            try:
                return await STEPS[ctx.state.step].check_form(ctx, submitted.answers)
            except (ServiceError, FlowLost):
                return {}  # no field to blame: applying it will say what is wrong

        return await self._run(key, locale, body)

    async def notice(self, key: ConversationKey, notice: Notice, *, locale: str | None = None) -> Screen:
        """An alert card in the user's language whose buttons are registered in the user's state."""

        async def card(ctx: Ctx) -> Screen:
            ui = ScreenBuilder(ctx.state, ctx.tr)
            ui.rows(
                [ui.button(ctx.tr.gettext(label), a.op, a.ref, a.n) for label, a in notice_actions(notice)], 1
            )
            ui.claim(ctx.state)
            for token, action in ui.actions.items():
                ctx.state.remember_notice_action(token, action)
            return ui.screen(render_notice_text(notice, ctx.language), "none")

        return await self._run(key, locale, card)

    # -- loading, running, saving --------------------------------------------------

    async def _run(
        self,
        key: ConversationKey,
        locale: str | None,
        body: Callable[[Ctx], Awaitable[T]],
        start: StepName = "menu",
    ) -> T:
        repo = self._services.conversations
        async with self._services.conversation_locks.hold(lock_name(key)):
            for attempt in range(1, SAVE_ATTEMPTS + 1):
                stored = await repo.get(key)
                state, lost = await self._load(key, stored, locale, start)
                ctx = Ctx(
                    self._services, self._actor(key), key, state, customers_platform=self._customers_platform
                )
                ctx.loaded = stored.data if stored is not None and not lost else None
                if lost:
                    ctx.say(ctx.tr.gettext("session.reset"))
                result = await body(ctx)
                dumped = ctx.state.dump()
                if dumped == ctx.loaded:
                    self.parsed.keep(key, dumped, ctx.state)
                    return result  # nothing changed: nothing to save
                revision = stored.revision if stored is not None else 0
                try:
                    await repo.save(key, dumped, revision)
                    self.parsed.keep(key, dumped, ctx.state)  # nothing changes ctx.state from here on
                    return result
                except StaleRevisionError:
                    log.info(
                        "conversation changed meanwhile, running the event again", extra={"attempt": attempt}
                    )
                except Exception:
                    # The store fails (read-only, full disk): what happened must still be shown
                    # (a payment may have gone through); the next event starts from the last saved step.
                    log.exception("conversation could not be saved; showing the replies anyway")
                    return result
            # Twice overtaken: the screens just built are what the user will see, so their tokens must win.
            await repo.save(key, ctx.state.dump(), None)
            return result

    def _actor(self, key: ConversationKey) -> Actor:
        return Actor(user=key.user, is_operator=key.user in self._operators)

    async def _load(
        self, key: ConversationKey, stored: StoredConversation | None, locale: str | None, start: StepName
    ) -> tuple[ConversationState, bool]:
        """The stored state, or a fresh one; the flag tells that a stored state could not be read."""
        state = None
        if stored is not None:
            state = self.parsed.take(key, stored.data)
            if state is None:
                state = load_state(stored.data)
        if state is not None:
            return state, False
        fresh = ConversationState(
            language=await self._initial_language(key, locale), salt=new_salt(), step=start
        )
        return fresh, stored is not None

    async def _initial_language(self, key: ConversationKey, locale: str | None) -> str:
        user = await self._services.users.get(key.user)
        preferred = normalize_language(user.language) if user is not None else None
        return preferred or normalize_language(locale) or self._default_language

    # -- events --------------------------------------------------------------------

    async def _dispatch(self, ctx: Ctx, event: Event) -> None:
        step = STEPS[ctx.state.step]
        match event:
            case Command():
                ctx.trigger = "command"
                await self._guard(ctx, lambda: self._command(ctx, event))
            case Press(action=token):
                await self._press(ctx, token)
            case Text(text=text):
                ctx.trigger = "text"
                # Control, bidi and invisible characters are refused wherever text is typed.
                await self._guard(ctx, lambda: step.on_text(ctx, visible(text)))
            case FileUpload():
                ctx.trigger = "file"
                await self._guard(ctx, lambda: step.on_file(ctx, event))
            case FormSubmitted(answers=answers, form=token):
                if token and not _form_is_live(ctx, token):
                    ctx.say(ctx.tr.gettext("menu.expired"))
                    ctx.press_not_applied = True
                else:
                    ctx.trigger = "form"
                    await self._guard(ctx, lambda: step.on_form(ctx, answers))

    async def _guard(self, ctx: Ctx, handler: Callable[[], Awaitable[None]]) -> None:
        """Run a handler; on a service error show it and keep the state as it was before.

        The state before is the stored JSON it was loaded from (nothing changes it before the
        handler runs), so the common path copies nothing; a fresh state is snapshot here.
        """
        before = ctx.loaded if ctx.loaded is not None else ctx.state.dump()
        step_before = ctx.state.step
        try:
            await handler()
        except ServiceError as exc:
            ctx.state = ConversationState.model_validate_json(before)
            ctx.fail(exc)
        except FlowLost:
            log.warning("conversation state lost its flow, back to the menu", extra={"step": step_before})
            ctx.say(ctx.tr.gettext("session.reset"))
            ctx.trigger = "lost"
            go_menu(ctx)

    async def _command(self, ctx: Ctx, command: Command) -> None:
        name = command.name.lower().lstrip("/")
        args = command.args.strip()
        match name:
            case "start":
                go_menu(ctx)
                ctx.say(ctx.tr.gettext("menu.welcome"))
            case "cancel":
                if ctx.state.step not in {"menu", "help", "language"}:
                    ctx.say(ctx.tr.gettext("flow.cancelled"))
                go_menu(ctx)
            case "order":
                await start_order(ctx, args)
            case "numbers":
                open_numbers(ctx)
            case "documents":
                open_documents(ctx)
            case "language":
                language = normalize_language(args)
                go_menu(ctx)
                if language is None:
                    ctx.go("language")
                else:
                    await set_language(ctx, language)
            case "help":
                go_menu(ctx)
                ctx.go("help")
            case _ if name == TEAM_COMMAND:
                await team_command(ctx, command.args, command.alias)
            case _:
                ctx.say(ctx.tr.gettext("command.unknown", name=name))

    async def _press(self, ctx: Ctx, token: str) -> None:
        state = ctx.state
        action = state.actions.get(token) or state.notice_actions.get(token) or state.team_actions.get(token)
        if action is None:
            paid = ctx.state.paid.get(token)
            if paid is not None:
                ctx.trigger = "replay"
                await self._guard(ctx, lambda: self._replay(ctx, paid))
            else:
                ctx.say(ctx.tr.gettext("menu.expired"))
                ctx.press_not_applied = True
            return
        ctx.pressed = token
        if action.op.startswith("team."):
            ctx.trigger = "alert"  # one-tap buttons, kept valid beyond their screen like an alert's
            await self._guard(ctx, lambda: team_press(ctx, action))
        elif action.op.startswith(("nav.", "notice.")):
            ctx.trigger = "nav" if action.op.startswith("nav.") else "alert"
            await self._guard(ctx, lambda: self._global(ctx, action))
        else:
            ctx.trigger = "button"
            await self._guard(ctx, lambda: STEPS[ctx.state.step].on_action(ctx, action))

    async def _replay(self, ctx: Ctx, paid: PaidAction) -> None:
        if paid.kind == "order":
            await replay_order(ctx, paid)
        else:
            await replay_prolong(ctx, paid)

    async def _global(self, ctx: Ctx, action: Action) -> None:
        """Buttons valid on any screen: navigation and the alerts' one-tap actions."""
        match action.op:
            case "nav.menu":
                go_menu(ctx)
            case "nav.cancel":
                ctx.say(ctx.tr.gettext("flow.cancelled"))
                go_menu(ctx)
            case "nav.refresh":
                pass
            case "notice.prolong":
                open_prolong_confirm(ctx, action.ref, action.n or 1)
            case "notice.autorenew":
                enabled = await self._services.numbers.set_autorenew(ctx.actor, action.ref, True)
                open_number(ctx, action.ref)
                ctx.say(
                    ctx.tr.gettext(
                        "card.autorenew_done", number=format_phone(action.ref), value=on_off(ctx.tr, enabled)
                    )
                )
            case "notice.open":
                open_number(ctx, action.ref)
            case "notice.documents":
                open_documents(ctx)
            case "notice.numbers":
                open_numbers(ctx)

    # -- rendering -----------------------------------------------------------------

    async def _finish(self, ctx: Ctx, *, reuse_tokens: bool = False) -> list[Screen]:
        """Render the current step (following redirects) and return the notes plus that screen."""
        screen: Screen | None = None
        for attempt in range(MAX_REDIRECTS + 1):
            ui = ScreenBuilder(ctx.state, ctx.tr, reuse=reuse_tokens and attempt == 0)
            step = STEPS[ctx.state.step]
            target: StepName | None = None
            try:
                target = await self._reading(ctx, step, partial(step.route, ctx))
                if target is None:
                    screen = await self._reading(ctx, step, partial(step.render, ctx, ui))
            except FlowLost:
                ctx.say(ctx.tr.gettext("session.reset"))
                ctx.trigger = "lost"
                go_menu(ctx)
                continue
            except ServiceError as exc:
                if step.redirect_on_error is not None:
                    target = step.redirect_on_error
                elif isinstance(exc, (NotFound, NotYours)) and step.fallback is not None:
                    ctx.fail(exc)
                    ctx.trigger = "fallback"
                    ctx.go(step.fallback)
                    continue
                else:
                    screen, ui = self._error_screen(ctx, exc)
            if target is not None:
                ctx.trigger = "redirect"
                step.redirect(ctx, target)
                continue
            break
        if screen is None:
            ctx.trigger = "lost"
            go_menu(ctx)
            ui = ScreenBuilder(ctx.state, ctx.tr)
            menu = STEPS["menu"]
            screen = await self._reading(ctx, menu, partial(menu.render, ctx, ui))
        self._keep(ctx, ui, screen)
        notes = [Screen(text, (), "none") for text in ctx.notes]
        if ctx.told:
            screen = replace(screen, settles=tuple(dict.fromkeys(ctx.told)))
        return [*notes, screen]

    async def _reading(self, ctx: Ctx, step: Step, read: Callable[[], Awaitable[T]]) -> T:
        """Run ``step``'s ``route`` or ``render``, which only read.

        With an observer of :mod:`conversations.purity` (the tests), checked to change nothing.
        """
        ctx.trigger = None  # neither moves: a go() from them is undeclared
        if not watched():
            return await read()
        before = ctx.state.dump()
        try:
            result = await read()
        except (ServiceError, FlowLost):
            compare(step.name, before, ctx.state)
            raise
        compare(step.name, before, ctx.state)
        return result

    def _keep(self, ctx: Ctx, ui: ScreenBuilder, screen: Screen) -> None:
        """The screen is shown: its buttons' token table becomes the live menu."""
        ui.claim(ctx.state)
        ctx.state.actions = ui.actions
        _keep_one_taps(ctx.state, ui, screen, MAX_TEAM_ACTIONS)

    def _error_screen(self, ctx: Ctx, exc: ServiceError) -> tuple[Screen, ScreenBuilder]:
        """The step could not be shown: say why, offer Retry and the main menu."""
        ui = ScreenBuilder(ctx.state, ctx.tr)
        ui.row(ui.button(ctx.tr.gettext("button.retry"), "nav.refresh"), ui.menu())
        hint = ctx.tr.gettext("error.screen_hint")
        return ui.screen(f"{error_text(ctx.tr, exc)}\n{hint}"), ui


def _keep_one_taps(state: ConversationState, ui: ScreenBuilder, screen: Screen, limit: int) -> None:
    """Keep the screen's team console one-tap buttons (``team.*``) valid after newer screens."""
    shown = {button.action for row in screen.buttons for button in row}
    for token, action in ui.actions.items():
        if action.op.startswith("team.") and token in shown:
            state.remember_team_action(token, action, limit)


def _form_is_live(ctx: Ctx, token: str) -> bool:
    """Whether ``token`` is the open button of the form on screen now."""
    action = ctx.state.actions.get(token)
    return action is not None and action.op == "form"


__all__ = ["ConversationEngine"]
