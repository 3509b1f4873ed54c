"""Order step 1: the country, from a paged list or found by name, ISO code or dial code."""

from __future__ import annotations

from bot.services.catalog import CountryView
from conversations.context import Ctx
from conversations.paging import page_line, page_row, paginate
from conversations.screens import Screen
from conversations.state import Action, OrderDraft
from conversations.steps.base import Step, lines
from conversations.steps.common import draft
from conversations.ui import ScreenBuilder

PAGE_SIZE = 8
MAX_MATCHES = 8


def country_label(view: CountryView) -> str:
    """``🇵🇱 Poland``."""
    return f"{view.flag} {view.name}".strip()


async def start_order(ctx: Ctx, query: str = "") -> None:
    """Start a fresh order at the country step, optionally searching ``query`` at once."""
    ctx.state.reset_flows()
    ctx.state.order = OrderDraft()
    ctx.go("order.country")
    if query.strip():
        await search_country(ctx, query)


async def choose_country(ctx: Ctx, iso: str) -> None:
    """Take ``iso`` (checked against the catalogue) and move on to the directions."""
    view = await ctx.services.catalog.country(iso, ctx.language)
    order = draft(ctx)
    order.iso = view.iso
    order.country_matches = []
    order.country_query = ""
    order.direction_id = 0
    order.direction_page = 0
    order.direction_query = ""
    ctx.go("order.direction")


async def search_country(ctx: Ctx, query: str) -> None:
    """One match goes straight on, several become a short list, none says so."""
    order = draft(ctx)
    found = await ctx.services.catalog.search_countries(query, ctx.language)
    if len(found) == 1:
        await choose_country(ctx, found[0].iso)
        return
    if not found:
        ctx.say(ctx.tr.gettext("order.country.not_found", query=query.strip()))
        order.country_matches = []
        order.country_query = ""
        return
    order.country_matches = [v.iso for v in found[:MAX_MATCHES]]
    order.country_query = query.strip()


class CountryStep(Step):
    """Countries in the user's language with flags, paged; typing searches."""

    name = "order.country"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        order = draft(ctx)
        countries = await ctx.services.catalog.countries(ctx.language)
        if order.country_matches:
            by_iso = {v.iso: v for v in countries}
            matches = [by_iso[iso] for iso in order.country_matches if iso in by_iso]
            ui.rows([ui.button(country_label(v), "pick", ref=v.iso) for v in matches], 2)
            ui.row(ui.button(tr.gettext("order.country.show_all"), "all"))
            ui.row(ui.back(), ui.cancel())
            text = tr.gettext("order.country.matches", query=order.country_query)
            return ui.screen(lines(text, tr.gettext("order.country.hint")), "text")
        page = paginate(countries, order.country_page, PAGE_SIZE)
        ui.rows([ui.button(country_label(v), "pick", ref=v.iso) for v in page.items], 2)
        page_row(ui, page)
        ui.row(ui.back(), ui.cancel())
        return ui.screen(
            lines(tr.gettext("order.country.prompt"), tr.gettext("order.country.hint"), page_line(ui, page)),
            "text",
        )

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        order = draft(ctx)
        match action.op:
            case "pick":
                await choose_country(ctx, action.ref)
            case "page":
                order.country_page = action.n
            case "all":
                order.country_matches = []
                order.country_query = ""
            case "back":
                if order.country_matches:
                    order.country_matches = []
                    order.country_query = ""
                else:
                    ctx.state.reset_flows()
                    ctx.go("menu")

    async def on_text(self, ctx: Ctx, text: str) -> None:
        await search_country(ctx, text)
