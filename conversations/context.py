"""What a step works with: the services, who is acting, the state, and the messages to show."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal

from bot.services import Actor, Services
from bot.services.errors import ApiUnavailable, InsufficientBalance, ServiceError
from bot.services.types import ConversationKey, UserRef
from conversations.formatting import format_phone
from conversations.i18n import Translator, translator
from conversations.screens import Screen
from conversations.state import ConversationState, StepName
from conversations.transitions import Move, Trigger, check

log = logging.getLogger("conversations.engine")

Interim = Callable[[Screen], Awaitable[None]]
"""How an adapter shows a screen at once while the event's slow work runs (see :meth:`Ctx.working`)."""


def error_text(tr: Translator, exc: ServiceError) -> str:
    """A service error as one readable, translated message (its ``code`` is the message id)."""
    params: dict[str, object] = {k: v for k, v in exc.params.items() if v is not None}
    if isinstance(exc, InsufficientBalance):
        params["needed"] = tr.money(exc.needed, exc.currency)
        params["balance"] = tr.money(exc.balance, exc.balance_currency)
    for name, value in list(params.items()):
        if isinstance(value, Decimal):
            params[name] = str(value)
    if isinstance(params.get("number"), str):
        params["number"] = format_phone(str(params["number"]))
    if isinstance(exc, ApiUnavailable):
        params["detail"] = exc.detail or tr.gettext("error.api.no_detail")
    return tr.gettext(exc.code, **params)


@dataclass
class Ctx:
    """One step's working set. ``notes`` are messages shown before the current screen."""

    services: Services
    actor: Actor
    key: ConversationKey
    state: ConversationState
    notes: list[str] = field(default_factory=list)
    customers_platform: str = ""
    """The platform whose users own numbers (empty: none is served)."""
    pressed: str | None = None
    told: list[str] = field(default_factory=list)
    """Payments (intent keys) whose final outcome this step tells the user."""
    press_not_applied: bool = False
    """The event was a press this step did not apply (an expired button, or one delivered again)."""
    keep_pressed: bool = False
    """The answer comes as new messages; the message pressed (a card, an alert) stays as it is."""
    loaded: str | None = None
    """The stored JSON the state was read from, untouched until a handler runs; ``None`` for a new state."""
    form_errors: dict[str, str] = field(default_factory=dict)
    """A refused form submission's errors by field name, for the screen that shows the form again."""
    form_answers: dict[str, str] | None = None
    """What the refused submission held (the form is shown again with these values)."""
    trigger: Trigger | None = None
    """What moves the conversation now (the engine sets it before each handler and each render)."""
    interim: Interim | None = None
    """The adapter's way to show a screen before the event's screens (``None``: it shows none)."""
    given: list[tuple[str, UserRef]] = field(default_factory=list)
    """Numbers this event gave to customers (the engine then tells them, see ``ConversationEngine``)."""

    @property
    def tr(self) -> Translator:
        """The translator of the conversation's current language."""
        return translator(self.state.language)

    @property
    def language(self) -> str:
        """The conversation's language."""
        return self.state.language

    def go(self, step: StepName) -> None:
        """Move the conversation to ``step``; the move is checked against :mod:`conversations.transitions`.

        Staying on the current step is no move. An undeclared move is kept (and logged as an error).
        """
        source = self.state.step
        self.state.step = step
        if source != step:
            check(Move(source, step, self.trigger))

    def say(self, text: str) -> None:
        """Show ``text`` as a message before the current screen."""
        self.notes.append(text)

    async def working(self, key: str, **params: object) -> None:
        """Show "⏳ …" (the text ``key``) at once: what comes next waits on Zadarma.

        Called right before such work (a payment, a change at Zadarma, a screen whose data
        is not cached), once per event; the event's own screens replace it when the work
        is done. The interim screen has no buttons, so what is being done cannot be pressed
        again meanwhile. Best effort: a failure to show it is logged and the work goes on.
        """
        if self.interim is None:  # the engine's callback shows one interim screen per event
            return
        try:
            await self.interim(Screen(self.tr.gettext(key, **params), (), "none"))
        except Exception as exc:
            log.warning("could not show the interim screen", extra={"error": type(exc).__name__})

    def fail(self, exc: ServiceError) -> None:
        """Show a service error as a readable message."""
        self.notes.append(error_text(self.tr, exc))
