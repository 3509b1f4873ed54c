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

    :meth:`render` builds the screen from fresh service data (it may fix up
    the state, e.g. create an idempotency key); the ``on_*`` methods change
    the state in reaction to input. A :class:`~bot.services.errors.ServiceError`
    raised by a handler is shown to the user and the state is rolled back;
    raised by :meth:`render` it leads to ``fallback`` (for ``NotFound`` and
    ``NotYours``) or to an error screen with a Retry button.
    """

    name: ClassVar[StepName]
    fallback: ClassVar[StepName | None] = None

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        """The step's screen."""
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


class Redirect(Exception):
    """Raised by :meth:`Step.render` when the state belongs on another step; the engine renders that one."""

    def __init__(self, step: StepName) -> None:
        super().__init__(step)
        self.step: StepName = step
