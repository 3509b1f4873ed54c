"""Pointing a number at a SIP login or an external SIP URI (after ordering, or from its card)."""

from __future__ import annotations

from typing import ClassVar

from conversations.context import Ctx
from conversations.formatting import format_phone, number_card_lines, on_off
from conversations.i18n import N_
from conversations.screens import Screen
from conversations.state import Action, ManageState
from conversations.steps.base import Step, lines
from conversations.steps.common import draft
from conversations.ui import ScreenBuilder


class SipStep(Step):
    """SIP logins as buttons, or a typed URI (checked by the service); optional test mode."""

    in_order: ClassVar[bool]

    def _number(self, ctx: Ctx) -> str:
        return draft(ctx).placed if self.in_order else ctx.state.manage.number

    def _test_mode(self, ctx: Ctx) -> bool:
        return draft(ctx).sip_test_mode if self.in_order else ctx.state.manage.test_mode

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        logins = await ctx.services.numbers.sip_logins()
        buttons = [
            ui.button(f"📞 {s.id} · {s.display_name}" if s.display_name else f"📞 {s.id}", "pick", ref=s.id)
            for s in logins
        ]
        ui.rows(buttons, 2)
        ui.row(ui.button(tr.gettext("sip.toggle_test", value=on_off(tr, self._test_mode(ctx))), "test"))
        if self.in_order:
            ui.row(ui.button(tr.gettext("sip.skip"), "skip"))
        else:
            ui.row(ui.back())
        return ui.screen(
            lines(
                tr.gettext("sip.prompt", number=format_phone(self._number(ctx))),
                tr.gettext("sip.hint"),
                tr.gettext("sip.test_mode", value=on_off(tr, self._test_mode(ctx))),
            ),
            "text",
        )

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        match action.op:
            case "pick":
                await self._apply(ctx, action.ref)
            case "test":
                if self.in_order:
                    draft(ctx).sip_test_mode = not draft(ctx).sip_test_mode
                else:
                    ctx.state.manage.test_mode = not ctx.state.manage.test_mode
            case "skip":
                ctx.go("order.done")
            case "back":
                ctx.go("numbers.card")

    async def on_text(self, ctx: Ctx, text: str) -> None:
        await self._apply(ctx, text)

    async def _apply(self, ctx: Ctx, target: str) -> None:
        number = self._number(ctx)
        test_mode = self._test_mode(ctx)
        # The change, then the screen after it (the number's card), each wait on Zadarma.
        await ctx.working(N_("working.sip"), number=format_phone(number))
        sip = await ctx.services.numbers.set_sip_target(ctx.actor, number, target, test_mode=test_mode)
        done = ctx.tr.gettext("sip.done", number=format_phone(number), target=sip)
        if test_mode:
            done = lines(done, ctx.tr.gettext("sip.done_test"))
        ctx.say(done)
        ctx.go("order.done" if self.in_order else "numbers.card")


class OrderSipStep(SipStep):
    """Connecting the number just ordered; can be skipped."""

    name = "order.sip"
    in_order = True


class NumberSipStep(SipStep):
    """Changing the SIP target from a number's card."""

    name = "numbers.sip"
    in_order = False


class OrderDoneStep(Step):
    """The final card: the new number with its status, fresh from the account."""

    name = "order.done"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        record = await ctx.services.numbers.get(ctx.actor, draft(ctx).placed)
        hint = "" if record.status == "on" else tr.gettext("order.done.pending_hint")
        ui.row(ui.button(tr.gettext("order.done.manage"), "manage"))
        ui.row(ui.menu())
        return ui.screen(
            lines(tr.gettext("order.done.title"), "\n".join(number_card_lines(tr, record)), hint)
        )

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        if action.op == "manage":
            number = draft(ctx).placed
            ctx.state.reset_flows()
            ctx.state.manage = ManageState(number=number)
            ctx.go("numbers.card")
