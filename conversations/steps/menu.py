"""The main menu, help, and the language choice."""

from __future__ import annotations

from conversations.context import Ctx
from conversations.i18n import SUPPORTED_LANGUAGES
from conversations.screens import Screen
from conversations.state import Action
from conversations.steps.base import Step, lines
from conversations.steps.country import start_order
from conversations.steps.my_documents import open_documents
from conversations.steps.numbers import open_numbers
from conversations.ui import ScreenBuilder


def go_menu(ctx: Ctx) -> None:
    """Back to the main menu, dropping any flow in progress."""
    ctx.state.reset_flows()
    ctx.go("menu")


async def set_language(ctx: Ctx, language: str) -> None:
    """Switch the conversation and the user's stored preference to ``language``."""
    if language not in SUPPORTED_LANGUAGES:
        ctx.say(ctx.tr.gettext("language.unknown"))
        return
    ctx.state.language = language
    users = ctx.services.users
    if not await users.set_language(ctx.actor.user, language):
        await users.upsert(ctx.actor.user, default_language=language)
    ctx.say(ctx.tr.gettext("language.changed"))


class MenuStep(Step):
    """What the user can do: order, numbers, documents, language, help."""

    name = "menu"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        ui.row(ui.button(tr.gettext("menu.order"), "order"))
        ui.row(
            ui.button(tr.gettext("menu.numbers"), "numbers"),
            ui.button(tr.gettext("menu.documents"), "documents"),
        )
        ui.row(ui.button(tr.gettext("menu.language"), "language"), ui.button(tr.gettext("menu.help"), "help"))
        return ui.screen(tr.gettext("menu.title"))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        match action.op:
            case "order":
                await start_order(ctx)
            case "numbers":
                open_numbers(ctx)
            case "documents":
                open_documents(ctx)
            case "language":
                ctx.go("language")
            case "help":
                ctx.go("help")


class HelpStep(Step):
    """What the bot does and which commands exist."""

    name = "help"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        ui.row(ui.button(ctx.tr.gettext("menu.order"), "order"))
        ui.row(ui.menu())
        return ui.screen(lines(ctx.tr.gettext("help.title"), ctx.tr.gettext("help.text")))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        if action.op == "order":
            await start_order(ctx)


class LanguageStep(Step):
    """English or Polski."""

    name = "language"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        buttons = []
        for language in SUPPORTED_LANGUAGES:
            mark = "✅ " if language == ctx.language else ""
            buttons.append(ui.button(mark + ctx.tr.language_name(language), "set", ref=language))
        ui.row(*buttons)
        ui.row(ui.back())
        return ui.screen(ctx.tr.gettext("language.prompt"))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        match action.op:
            case "set":
                await set_language(ctx, action.ref)
                go_menu(ctx)
            case "back":
                go_menu(ctx)
