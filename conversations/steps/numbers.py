"""My numbers: the list, one number's card and its simple actions.

Every action names the number kept in the state; the service re-checks
that it belongs to the user each time, so nothing here trusts a button.
"""

from __future__ import annotations

from conversations.context import Ctx
from conversations.formatting import format_phone, number_card_lines, on_off, sip_text, status_text
from conversations.i18n import N_
from conversations.paging import page_line, page_row, paginate
from conversations.screens import Screen
from conversations.state import Action
from conversations.steps.base import Step, lines, paragraphs
from conversations.steps.country import start_order
from conversations.ui import ScreenBuilder

PAGE_SIZE = 6


def open_numbers(ctx: Ctx) -> None:
    """Show the user's numbers from the first page, dropping any flow in progress."""
    ctx.state.reset_flows()
    ctx.go("numbers.list")


def open_number(ctx: Ctx, number: str) -> None:
    """Open one number's card (ownership is checked when it is shown)."""
    ctx.state.reset_flows()
    ctx.state.manage.number = number.lstrip("+")
    ctx.go("numbers.card")


class NumberListStep(Step):
    """The user's numbers with status, expiry, auto-renewal and SIP target, paged."""

    name = "numbers.list"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        records = await ctx.services.numbers.list_for(ctx.actor)
        if not records:
            ui.row(ui.button(tr.gettext("menu.order"), "order"))
            ui.row(ui.menu())
            return ui.screen(tr.gettext("numbers.empty"))
        page = paginate(records, ctx.state.manage.page, PAGE_SIZE)
        entries = []
        for position, record in enumerate(page.items, start=page.offset + 1):
            details = [
                tr.gettext("numbers.until", date=tr.date(record.stop_date)) if record.stop_date else "",
                tr.gettext("numbers.autorenew", value=on_off(tr, record.autorenew)),
                tr.gettext("numbers.sip", target=sip_text(tr, record.sip, None, record.is_on_test)),
            ]
            entries.append(
                f"{position}. {format_phone(record.number)} — {status_text(tr, record.status)}\n   "
                + " · ".join(d for d in details if d)
            )
            ui.row(ui.button(format_phone(record.number), "open", ref=record.number.lstrip("+")))
        page_row(ui, page)
        ui.row(ui.menu())
        head = tr.ngettext("numbers.title", len(records))
        return ui.screen(paragraphs(head, lines(*entries, page_line(ui, page))))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        match action.op:
            case "open":
                ctx.state.manage.number = action.ref
                ctx.go("numbers.card")
            case "page":
                ctx.state.manage.page = action.n
            case "order":
                await start_order(ctx)


class NumberCardStep(Step):
    """One number and what can be done with it."""

    name = "numbers.card"
    fallback = "numbers.list"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        record = await ctx.services.numbers.get(ctx.actor, ctx.state.manage.number)
        renew_key = N_("card.autorenew_off") if record.autorenew else N_("card.autorenew_on")
        checking = await ctx.services.ordering.renewal_in_progress(record.number)
        ui.row(
            ui.button(tr.gettext(renew_key), "autorenew", n=0 if record.autorenew else 1),
            ui.button(tr.gettext(N_("card.prolong_checking") if checking else N_("card.prolong")), "prolong"),
        )
        ui.row(
            ui.button(tr.gettext("card.caller_name"), "caller"),
            ui.button(tr.gettext("card.sip"), "sip", n=int(record.is_on_test)),
        )
        if record.receive_sms is not None:
            sms_key = N_("card.sms_off") if record.receive_sms else N_("card.sms_on")
            ui.row(ui.button(tr.gettext(sms_key), "sms", n=0 if record.receive_sms else 1))
        # the chat switches and the history: SMS ones only where the number can receive SMS
        prefs = await ctx.services.events.prefs(ctx.actor, record.number)
        calls_label = tr.gettext("card.calls_chat", value=on_off(tr, prefs.calls_to_chat))
        calls = ui.button(calls_label, "calls_chat", n=0 if prefs.calls_to_chat else 1)
        if record.receive_sms is not None:
            sms_label = tr.gettext("card.sms_chat", value=on_off(tr, prefs.sms_to_chat))
            ui.row(ui.button(sms_label, "sms_chat", n=0 if prefs.sms_to_chat else 1), calls)
            ui.row(ui.button(tr.gettext("card.messages"), "messages"))
        else:
            ui.row(calls)
        ui.row(ui.button(tr.gettext("button.refresh"), "nav.refresh"), ui.back())
        caller = await ctx.services.numbers.caller_name(ctx.actor, record.number)
        return ui.screen("\n".join(number_card_lines(tr, record, caller)))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        number = ctx.state.manage.number
        numbers = ctx.services.numbers
        tr = ctx.tr
        match action.op:
            case "autorenew":
                enabled = await numbers.set_autorenew(ctx.actor, number, bool(action.n))
                ctx.say(
                    tr.gettext("card.autorenew_done", number=format_phone(number), value=on_off(tr, enabled))
                )
            case "sms":
                enabled = await numbers.set_receive_sms(ctx.actor, number, bool(action.n))
                ctx.say(tr.gettext("card.sms_done", number=format_phone(number), value=on_off(tr, enabled)))
            case "sms_chat":
                prefs = await ctx.services.events.set_prefs(ctx.actor, number, sms_to_chat=bool(action.n))
                value = on_off(tr, prefs.sms_to_chat)
                ctx.say(tr.gettext("card.sms_chat_done", number=format_phone(number), value=value))
            case "calls_chat":
                prefs = await ctx.services.events.set_prefs(ctx.actor, number, calls_to_chat=bool(action.n))
                value = on_off(tr, prefs.calls_to_chat)
                ctx.say(tr.gettext("card.calls_chat_done", number=format_phone(number), value=value))
            case "messages":
                ctx.go("numbers.messages")
            case "prolong":
                if await ctx.services.ordering.renewal_in_progress(number):
                    ctx.say(tr.gettext("prolong.in_progress", number=format_phone(number)))
                    return
                ctx.go("numbers.prolong")
            case "caller":
                ctx.go("numbers.caller_name")
            case "sip":
                ctx.state.manage.test_mode = bool(action.n)
                ctx.go("numbers.sip")
            case "back":
                ctx.go("numbers.list")


class MessagesStep(Step):
    """The last SMS received on the number (kept for the retention period), newest first."""

    name = "numbers.messages"
    fallback = "numbers.list"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        number = ctx.state.manage.number
        received = await ctx.services.events.messages(ctx.actor, number)
        ui.row(ui.button(tr.gettext("button.refresh"), "nav.refresh"), ui.back())
        shown = format_phone(number)
        if not received:
            days = ctx.services.events.retention_days
            return ui.screen(tr.gettext("messages.empty", number=shown, days=days))
        items = [
            tr.gettext(
                "messages.item",
                when=tr.date(sms.received_at) + sms.received_at.strftime(" %H:%M UTC"),
                sender=format_phone(sms.sender),
                text=sms.text,
            )
            for sms in received
        ]
        return ui.screen(paragraphs(tr.gettext("messages.title", number=shown), lines(*items)))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        if action.op == "back":
            ctx.go("numbers.card")


class CallerNameStep(Step):
    """Typing the caller name: Latin letters, digits and spaces, at most 30; ``-`` clears it."""

    name = "numbers.caller_name"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        ui.row(ui.back())
        number = format_phone(ctx.state.manage.number)
        return ui.screen(ctx.tr.gettext("caller_name.prompt", number=number), "text")

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        if action.op == "back":
            ctx.go("numbers.card")

    async def on_text(self, ctx: Ctx, text: str) -> None:
        number = ctx.state.manage.number
        stored = await ctx.services.numbers.set_caller_name(ctx.actor, number, text)
        if stored:
            ctx.say(ctx.tr.gettext("caller_name.done", number=format_phone(number), name=stored))
        else:
            ctx.say(ctx.tr.gettext("caller_name.cleared", number=format_phone(number)))
        ctx.go("numbers.card")
