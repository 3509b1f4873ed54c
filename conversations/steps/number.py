"""Order step 3: the number itself, from a paged list, a digit-mask search, or "any number"."""

from __future__ import annotations

import random

from bot.services.types import FreeNumber
from bot.services.validation import digit_mask
from conversations.context import Ctx
from conversations.formatting import format_phone
from conversations.i18n import N_
from conversations.paging import page_line, page_row, paginate
from conversations.screens import Screen
from conversations.state import Action
from conversations.steps.base import Step, lines
from conversations.steps.common import after_number, draft, needs_documents, order_direction
from conversations.ui import ScreenBuilder

PAGE_SIZE = 8


async def _free(ctx: Ctx) -> list[FreeNumber]:
    order = draft(ctx)
    return await ctx.services.catalog.free_numbers(order.direction_id, order.mask or None)


class NumberStep(Step):
    """Free numbers formatted for humans; typing digits filters them."""

    name = "order.number"
    fallback = "order.direction"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        order = draft(ctx)
        offer = await ctx.services.catalog.offer(
            order.iso, order.direction_id, ctx.language, free=True, mask=order.mask or None
        )
        direction, country, free = offer.direction, offer.country, offer.free
        head = tr.gettext(
            "order.number.prompt", flag=country.flag, country=country.name, direction=direction.name
        )
        if not free:
            if order.mask:
                ui.row(ui.button(tr.gettext("order.number.show_all"), "all"))
                ui.row(ui.back(), ui.cancel())
                text = tr.gettext("order.number.no_match", mask=order.mask)
                return ui.screen(lines(head, text, tr.gettext("order.number.change_mask")), "text")
            ui.row(ui.back(), ui.cancel())
            return ui.screen(lines(head, tr.gettext("order.number.none_free")))
        page = paginate(free, order.number_page, PAGE_SIZE)
        ui.rows([ui.button(format_phone(n.number), "pick", ref=n.id, shown=n.number) for n in page.items], 2)
        page_row(ui, page)
        ui.row(ui.button(tr.gettext("order.number.any"), "any"))
        if order.mask:
            ui.row(ui.button(tr.gettext("order.number.show_all"), "all"))
        ui.row(ui.back(), ui.cancel())
        filtered = tr.gettext("order.number.filtered", mask=order.mask) if order.mask else ""
        return ui.screen(
            lines(head, filtered, tr.gettext("order.number.hint"), page_line(ui, page)),
            "text",
        )

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        order = draft(ctx)
        match action.op:
            case "pick":
                await self._take(ctx, action.ref, action.shown)
            case "any":
                await self._take(ctx, None)
            case "page":
                order.number_page = action.n
            case "all":
                order.mask = ""
                order.number_page = 0
            case "back":
                order.mask = ""
                ctx.go("order.direction")

    async def on_text(self, ctx: Ctx, text: str) -> None:
        order = draft(ctx)
        order.mask = digit_mask(text)
        order.number_page = 0

    async def _take(self, ctx: Ctx, number_id: str | None, shown: str = "") -> None:
        # The numbers on screen were free when shown; Zadarma refuses one taken since (no money
        # moves) and the refusal brings the user back here. "Any number" draws from every free
        # number, not the page, so customers of one city at the same moment rarely collide.
        # The digits come with the button's action (``order.shown``: a menu saved by an older release).
        order = draft(ctx)
        digits = shown or (order.shown.get(number_id, "") if number_id is not None else "")
        if number_id is not None and digits:
            chosen_id = number_id
        else:
            if not ctx.services.catalog.free_numbers_cached(order.direction_id, order.mask or None):
                # the draw waits one Zadarma round trip: show the press taken at once
                direction = await order_direction(ctx)
                await ctx.working(N_("working.numbers"), city=direction.name)
            free = await _free(ctx)
            if number_id is None:
                found = random.choice(free) if free else None
            else:
                found = next((n for n in free if n.id == number_id), None)
            if found is None:
                ctx.say(
                    ctx.tr.gettext(N_("order.number.taken") if number_id else N_("order.number.none_free"))
                )
                return
            chosen_id, digits = found.id, found.number
        order.number_id = chosen_id
        order.number = digits
        order.shown = {}
        direction = await order_direction(ctx)
        if needs_documents(direction):  # the confirmation shows the number; the documents' steps do not
            ctx.say(ctx.tr.gettext("order.number.chosen", number=format_phone(digits)))
        after_number(ctx, direction)
