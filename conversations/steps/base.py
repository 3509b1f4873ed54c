"""The shape every step has: render its screen, react to buttons, typed text and files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from conversations.context import Ctx
from conversations.events import FileUpload
from conversations.screens import Screen
from conversations.state import Action, StepName
from conversations.ui import ScreenBuilder


class Step:
    """One state of the machine.

    :meth:`render` builds the screen from the state and fresh service data and
    changes nothing: not the state, not the conversation's step (the engine
    keeps the token table of the buttons it built, and the tests fail a render
    that changes the state). Every change happens in a move: the ``on_*``
    methods change the state in reaction to input, and whatever a screen needs
    made once (an idempotency key) is made by the move that enters the step.

    Before rendering, the engine asks :meth:`route` whether the state belongs on
    another step, and makes that move itself (:meth:`redirect`, trigger
    ``redirect``). A :class:`~bot.services.errors.ServiceError` raised by a
    handler is shown to the user and the state is rolled back; raised by
    :meth:`route` or :meth:`render` it leads to ``redirect_on_error``, else to
    ``fallback`` (for ``NotFound`` and ``NotYours``, told as a message), else to
    an error screen with a Retry button.
    """

    name: ClassVar[StepName]
    fallback: ClassVar[StepName | None] = None
    redirect_on_error: ClassVar[StepName | None] = None
    """Where the conversation goes, with no message, when the screen cannot be built (a
    ``ServiceError``): that step's screen says why."""

    async def route(self, ctx: Ctx) -> StepName | None:
        """The step the state belongs on instead of this one (e.g. a choice it needs is missing).

        ``None`` shows this step. Reads the state and the services only; the engine makes the move.
        """
        return None

    def redirect(self, ctx: Ctx, target: StepName) -> None:
        """Move to ``target`` where :meth:`route` (or ``redirect_on_error``) sends the conversation.

        The engine has set the trigger ``redirect``; a step whose data must not outlive it
        drops it here.
        """
        ctx.go(target)

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        """The step's screen; changes nothing (see the class docs)."""
        raise NotImplementedError

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        """A button of this step's screen was pressed."""
        raise NotImplementedError

    async def on_text(self, ctx: Ctx, text: str) -> None:
        """The user typed ``text``; by default, buttons are expected."""
        ctx.say(ctx.tr.gettext("input.use_buttons"))

    async def on_file(self, ctx: Ctx, upload: FileUpload) -> None:
        """The user sent a file; by default none is expected."""
        ctx.say(ctx.tr.gettext("input.no_file_expected"))

    async def on_form(self, ctx: Ctx, answers: Mapping[str, str]) -> None:
        """A whole form was submitted; a step without a form treats it as an expired menu."""
        ctx.say(ctx.tr.gettext("menu.expired"))
        ctx.press_not_applied = True

    async def check_form(self, ctx: Ctx, answers: Mapping[str, str]) -> dict[str, str] | None:
        """The errors a submission of this step's form would get (changes nothing); None: no form here."""
        return None


def lines(*parts: str) -> str:
    """Join the non-empty parts with newlines."""
    return "\n".join(p for p in parts if p)


def paragraphs(*blocks: str) -> str:
    """Join the non-empty blocks with blank lines between them."""
    return "\n\n".join(b for b in blocks if b)


class FlowLost(Exception):
    """The state names a step whose data is gone (never expected); the engine starts over."""
