"""Order step 2: the city or number type, with prices and requirements shown before choosing."""

from __future__ import annotations

import unicodedata

from bot.services.types import Direction
from conversations.context import Ctx
from conversations.formatting import yes_no
from conversations.i18n import N_, Translator
from conversations.paging import page_line, page_row, paginate
from conversations.screens import Screen
from conversations.state import Action
from conversations.steps.base import Step, lines, paragraphs
from conversations.steps.common import draft, requirements_text
from conversations.ui import ScreenBuilder

PAGE_SIZE = 5


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ł", "l")


def matching(directions: list[Direction], query: str) -> list[Direction]:
    """Directions whose name (or area code) contains ``query``, accents ignored."""
    folded = _fold(query.strip())
    if not folded:
        return directions
    return [d for d in directions if folded in _fold(d.name) or folded == d.area_code]


def describe(tr: Translator, position: int, direction: Direction) -> str:
    """Everything a customer needs to choose: prices, SMS, toll-free, connection time, requirements."""
    code = f"+{direction.country_code} {direction.area_code}".strip()
    return lines(
        f"{position}. {direction.name} ({code})",
        "   "
        + tr.gettext(
            "direction.fees",
            connect=tr.money(direction.connect_fee, direction.currency),
            monthly=tr.money(direction.monthly_fee, direction.currency),
        ),
        "   "
        + tr.gettext(
            "direction.features",
            sms=yes_no(tr, direction.receive_sms),
            toll=yes_no(tr, direction.is_toll),
            ready=tr.ngettext("direction.connect_days", direction.connect_time_days)
            if direction.connect_time_days
            else tr.gettext("direction.connect_now"),
        ),
        "   " + requirements_text(tr, direction),
    )


class DirectionStep(Step):
    """The directions of the chosen country, paged and searchable by typing."""

    name = "order.direction"
    fallback = "order.country"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        order = draft(ctx)
        country = await ctx.services.catalog.country(order.iso, ctx.language)
        directions = await ctx.services.catalog.directions(order.iso, ctx.language)
        shown = matching(directions, order.direction_query)
        page = paginate(shown, order.direction_page, PAGE_SIZE)
        blocks = [describe(tr, page.offset + i + 1, d) for i, d in enumerate(page.items)]
        ui.rows(
            [
                ui.button(f"{page.offset + i + 1}. {d.name}", "pick", ref=str(d.id))
                for i, d in enumerate(page.items)
            ],
            2,
        )
        page_row(ui, page)
        if order.direction_query:
            ui.row(ui.button(tr.gettext("order.direction.show_all"), "all"))
        ui.row(ui.back(), ui.cancel())
        head = tr.gettext("order.direction.prompt", flag=country.flag, country=country.name)
        search = (
            tr.gettext("order.direction.filtered", query=order.direction_query)
            if order.direction_query
            else ""
        )
        return ui.screen(
            paragraphs(
                lines(head, search),
                "\n\n".join(blocks),
                lines(tr.gettext("order.direction.hint"), page_line(ui, page)),
            ),
            "text",
        )

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        order = draft(ctx)
        match action.op:
            case "pick":
                direction = await ctx.services.catalog.direction(order.iso, action.ref, ctx.language)
                order.direction_id = direction.id
                order.mask = ""
                order.number_page = 0
                order.number_id = ""
                order.number = ""
                if not ctx.services.catalog.free_numbers_cached(direction.id):
                    # the numbers screen waits one Zadarma round trip: show the pick taken at once
                    await ctx.working(N_("working.numbers"), city=direction.name)
                ctx.go("order.number")
            case "page":
                order.direction_page = action.n
            case "all":
                order.direction_query = ""
                order.direction_page = 0
            case "back":
                order.direction_query = ""
                ctx.go("order.country")

    async def on_text(self, ctx: Ctx, text: str) -> None:
        order = draft(ctx)
        directions = await ctx.services.catalog.directions(order.iso, ctx.language)
        if not matching(directions, text):
            ctx.say(ctx.tr.gettext("order.direction.not_found", query=text.strip()))
            order.direction_query = ""
        else:
            order.direction_query = text.strip()
        order.direction_page = 0
