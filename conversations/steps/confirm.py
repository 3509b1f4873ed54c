"""Order step 5: one summary, one confirmation, exactly one order.

The idempotency key is created when the conversation enters the confirmation
(:func:`~conversations.steps.common.enter_confirm`) and saved with that move,
before any Pay button is shown; the screen only reads it.
:meth:`bot.services.ordering.OrderingService.place_order` places at most one
order per key. A second press of the same button (or
the same update delivered twice, or a press after a restart) finds the key
again and shows the first result. After a failure a new key is made, so a
deliberate retry is a new attempt.
"""

from __future__ import annotations

from bot.services.errors import (
    ApiUnavailable,
    InsufficientBalance,
    NumberGone,
    OutcomeContested,
    OutcomePending,
    ServiceError,
)
from bot.services.ordering import PERIOD_MONTHS, OrderOutcome, OrderRequest, order_price
from bot.services.types import Direction
from bot.services.validation import text as valid_text
from conversations.context import Ctx
from conversations.formatting import format_phone, on_off
from conversations.i18n import N_
from conversations.screens import Screen
from conversations.state import Action, OrderDraft, PaidAction, StepName
from conversations.steps.base import Step
from conversations.steps.common import draft, needs_documents, needs_purpose, order_direction, remember_paid
from conversations.tokens import new_idempotency_key
from conversations.ui import ScreenBuilder

PURPOSE_MAX_LENGTH = 200


def order_request(order: OrderDraft, direction: Direction) -> OrderRequest:
    """The service's request for the draft (``receive_sms`` only where the direction has SMS)."""
    return OrderRequest(
        direction_id=direction.id,
        number_id=order.number_id,
        number=order.number,
        documents_group_id=order.group_id or 0,
        period=order.period,
        autorenew=order.autorenew,
        receive_sms=order.receive_sms if direction.receive_sms else None,
        purpose=order.purpose or None,
    )


def _announce(ctx: Ctx, outcome: OrderOutcome, price: str) -> None:
    """What the order's outcome means; ``price`` is what the confirmation said it costs."""
    tr = ctx.tr
    number = format_phone(outcome.number)
    if outcome.reserved:
        ctx.say(_reserved_text(ctx, outcome, number, price))
    elif outcome.repeated:
        ctx.say(tr.gettext("order.already_placed", number=number))
    else:
        ctx.say(tr.gettext("order.placed", number=number))
    if not outcome.recorded:
        ctx.say(tr.gettext("money.unrecorded"))


def _reserved_text(ctx: Ctx, outcome: OrderOutcome, number: str, price: str) -> str:
    """Reserved until the balance is topped up: by how much when known, else the price to cover."""
    tr = ctx.tr
    if outcome.needed is not None:
        needed = tr.money(outcome.needed, outcome.needed_currency)
        return tr.gettext("order.reserved_short", number=number, needed=needed, amount=price)
    return tr.gettext("order.reserved_price", number=number, amount=price)


async def place(ctx: Ctx, *, first: bool = True) -> None:
    """Place the draft's order once for its key and move on according to the outcome.

    ``first``: the key's first attempt (Confirm pressed), which waits on Zadarma twice (the
    account's numbers, then the order), so "⏳" is shown first; a refresh of a pending key
    only reads what is stored.
    """
    order = draft(ctx)
    direction = await order_direction(ctx)
    if needs_purpose(direction) and not order.purpose:
        ctx.say(ctx.tr.gettext("order.confirm.purpose_missing"))
        return
    if first:
        await ctx.working(N_("working.order"), number=format_phone(order.number))
    if not order.key:  # a confirmation entered by an older release that had not shown it yet
        order.key = new_idempotency_key("order")
    paid = PaidAction(kind="order", key=order.key, number=order.number, draft=order.model_copy(deep=True))
    try:
        outcome = await ctx.services.ordering.place_order(
            ctx.actor, order.key, order_request(order, direction), direction
        )
    except OutcomePending:
        remember_paid(ctx, paid)
        ctx.go("order.pending")
        return
    except (NumberGone, OutcomeContested, InsufficientBalance, ApiUnavailable) as exc:
        ctx.told.append(paid.key)  # a refusal is a final outcome too: shown here, not sent again
        _refused(ctx, paid, exc)
        return
    remember_paid(ctx, paid)
    ctx.told.append(paid.key)
    _announce(ctx, outcome, ctx.tr.money(order_price(direction, order.period), direction.currency))
    if outcome.reserved:  # not the customer's to set up until it is active: the alert says when
        ctx.state.reset_flows()
        ctx.go("menu")
        return
    order.placed = outcome.number
    order.key = ""
    order.failed = False
    order.sip_test_mode = False
    ctx.go("order.sip")


def _refused(ctx: Ctx, paid: PaidAction, exc: ServiceError) -> None:
    """Show why the order did not go through and go where the customer can act on it."""
    order = draft(ctx)
    ctx.fail(exc)
    match exc:
        case NumberGone():
            order.number_id = ""
            order.number = ""
            order.key = ""
            order.number_page = 0
            ctx.go("order.number")
        case OutcomeContested():
            remember_paid(ctx, paid)
            ctx.state.reset_flows()
            ctx.go("menu")
        case InsufficientBalance():
            ctx.go("order.confirm")
        case _:
            order.key = new_idempotency_key("order")
            order.failed = True
            ctx.go("order.confirm")


async def replay_order(ctx: Ctx, paid: PaidAction) -> None:
    """A used Confirm pressed again: ask the service for that key's result and show it."""
    if paid.draft is None:
        return
    direction = await ctx.services.catalog.direction(paid.draft.iso, paid.draft.direction_id, ctx.language)
    try:
        outcome = await ctx.services.ordering.place_order(
            ctx.actor, paid.key, order_request(paid.draft, direction), direction
        )
    except OutcomePending:
        ctx.say(ctx.tr.gettext("order.pending.text"))
        return
    ctx.told.append(paid.key)
    _announce(ctx, outcome, ctx.tr.money(order_price(direction, paid.draft.period), direction.currency))


class ConfirmStep(Step):
    """The summary with price, balance and toggles; Confirm places the order."""

    name = "order.confirm"
    fallback = "order.number"

    async def route(self, ctx: Ctx) -> StepName | None:
        order = draft(ctx)
        if order.number_id:
            return None
        await order_direction(ctx)  # a direction gone falls back first, as the screen would
        return "order.number"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        order = draft(ctx)
        offer = await ctx.services.catalog.offer(order.iso, order.direction_id, ctx.language, balance=True)
        direction, country, balance = offer.direction, offer.country, offer.balance
        assert balance is not None  # asked for
        price = order_price(direction, order.period)
        months = PERIOD_MONTHS[order.period]
        parts = [
            tr.gettext("order.confirm.title"),
            tr.gettext("order.confirm.number", number=format_phone(order.number)),
            tr.gettext(
                "order.confirm.where", flag=country.flag, country=country.name, direction=direction.name
            ),
            tr.gettext(
                "order.confirm.connect_fee", amount=tr.money(direction.connect_fee, direction.currency)
            ),
            tr.gettext(
                "order.confirm.monthly_fee", amount=tr.money(direction.monthly_fee, direction.currency)
            ),
            tr.gettext("order.confirm.period", period=tr.ngettext("common.months", months)),
            tr.gettext("order.confirm.total", amount=tr.money(price, direction.currency)),
            tr.gettext("order.confirm.autorenew", value=on_off(tr, order.autorenew)),
        ]
        if direction.receive_sms:
            parts.append(tr.gettext("order.confirm.sms", value=on_off(tr, order.receive_sms)))
        purpose_needed = needs_purpose(direction)
        if purpose_needed:
            parts.append(
                tr.gettext("order.confirm.purpose", purpose=order.purpose)
                if order.purpose
                else tr.gettext("order.confirm.purpose_ask")
            )
        if order.group_id is not None and needs_documents(direction):
            group = await ctx.services.documents.group(ctx.actor, order.group_id)
            parts.append(tr.gettext("order.confirm.group", name=group.display_name))
        parts.append(tr.gettext("order.confirm.balance", amount=tr.money(balance.balance, balance.currency)))
        if balance.currency != direction.currency:  # never compared: only Zadarma knows its rate
            parts.append(
                tr.gettext(
                    "order.confirm.other_currency", currency=direction.currency, account=balance.currency
                )
            )
        elif balance.balance < price:
            parts.append(tr.gettext("order.confirm.balance_low"))
        confirm_label = N_("order.confirm.retry") if order.failed else N_("order.confirm.pay")
        ui.row(ui.button(tr.gettext(confirm_label, amount=tr.money(price, direction.currency)), "confirm"))
        other_period = "3month" if order.period == "month" else "month"
        ui.row(
            ui.button(
                tr.gettext(
                    "order.confirm.switch_period",
                    period=tr.ngettext("common.months", PERIOD_MONTHS[other_period]),
                ),
                "period",
            )
        )
        ui.row(
            ui.button(
                tr.gettext("order.confirm.toggle_autorenew", value=on_off(tr, order.autorenew)), "autorenew"
            )
        )
        if direction.receive_sms:
            ui.row(
                ui.button(tr.gettext("order.confirm.toggle_sms", value=on_off(tr, order.receive_sms)), "sms")
            )
        ui.row(ui.back(), ui.cancel())
        return ui.screen("\n".join(parts), "text" if purpose_needed else "choice")

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        order = draft(ctx)
        match action.op:
            case "confirm":
                await place(ctx)
            case "period":
                order.period = "3month" if order.period == "month" else "month"
            case "autorenew":
                order.autorenew = not order.autorenew
            case "sms":
                order.receive_sms = not order.receive_sms
            case "back":
                order.key = ""
                order.failed = False
                direction = await order_direction(ctx)
                ctx.go("order.doc_status" if needs_documents(direction) else "order.number")

    async def on_text(self, ctx: Ctx, text: str) -> None:
        direction = await order_direction(ctx)
        if not needs_purpose(direction):
            ctx.say(ctx.tr.gettext("input.use_buttons"))
            return
        draft(ctx).purpose = valid_text(text, PURPOSE_MAX_LENGTH)
        ctx.say(ctx.tr.gettext("order.confirm.purpose_saved"))


class PendingStep(Step):
    """The order's outcome is not known yet; Refresh asks again (with the same key)."""

    name = "order.pending"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        ui.row(ui.button(ctx.tr.gettext("button.refresh"), "refresh"))
        ui.row(ui.menu())
        return ui.screen(ctx.tr.gettext("order.pending.text"))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        if action.op == "refresh":
            await place(ctx, first=False)
