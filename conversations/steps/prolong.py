"""Prolonging a number by 1, 3, 6 or 12 months, price and new date shown before paying.

Like ordering, the confirmation carries an idempotency key, made when the
conversation enters it (:func:`start_renewal`) and saved with that move, before
the Pay button is shown: one press prolongs once, a repeated press shows the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.errors import (
    ApiUnavailable,
    InsufficientBalance,
    OutcomeContested,
    OutcomePending,
    RenewalInProgress,
)
from bot.services.ordering import ProlongOutcome, ProlongQuote
from conversations.context import Ctx
from conversations.formatting import format_phone
from conversations.i18n import N_, Translator
from conversations.screens import Screen
from conversations.state import Action, ManageState, PaidAction, StepName
from conversations.steps.base import Step, lines
from conversations.steps.common import remember_paid
from conversations.tokens import new_idempotency_key
from conversations.ui import ScreenBuilder

MONTH_CHOICES = (1, 3, 6, 12)


@dataclass(frozen=True)
class ProlongRoutes:
    """Where :func:`prolong` goes: after paying, after a refusal that ends it, to retry, to wait."""

    done: StepName
    failed: StepName
    confirm: StepName
    pending: StepName


CUSTOMER_ROUTES = ProlongRoutes(
    done="numbers.card",
    failed="numbers.card",
    confirm="numbers.prolong_confirm",
    pending="numbers.prolong_pending",
)


def start_renewal(manage: ManageState, months: int) -> None:
    """Ready the confirmation of a renewal by ``months`` with a fresh idempotency key.

    Called by every move that enters a confirmation: one key per confirmation entered.
    """
    manage.months = months
    manage.key = new_idempotency_key("prolong")
    manage.failed = False


def open_prolong_confirm(ctx: Ctx, number: str, months: int) -> None:
    """Go straight to the confirmation of prolonging ``number`` (used by alert buttons)."""
    ctx.state.reset_flows()
    ctx.state.manage.number = number.lstrip("+")
    start_renewal(ctx.state.manage, months)
    ctx.go("numbers.prolong_confirm")


def _announce(ctx: Ctx, outcome: ProlongOutcome) -> None:
    tr = ctx.tr
    until = tr.date(outcome.stop_date) if outcome.stop_date else "—"
    key = N_("prolong.already_done") if outcome.repeated else N_("prolong.done")
    ctx.say(
        tr.gettext(
            key,
            number=format_phone(outcome.number),
            date=until,
            amount=tr.money(outcome.amount, outcome.currency),
        )
    )
    if not outcome.recorded:
        ctx.say(tr.gettext("money.unrecorded"))


async def prolong(ctx: Ctx, routes: ProlongRoutes = CUSTOMER_ROUTES, *, first: bool = True) -> None:
    """Prolong once for the key on screen and move on (along ``routes``) according to the outcome.

    ``first``: Confirm pressed (the renewal waits on Zadarma more than once: "⏳" first); a
    refresh of a pending key only reads what is stored.
    """
    manage = ctx.state.manage
    if not manage.key:  # a confirmation entered by an older release that had not shown it yet
        manage.key = new_idempotency_key("prolong")
    if first:
        await ctx.working(N_("working.prolong"), number=format_phone(manage.number))
    paid = PaidAction(kind="prolong", key=manage.key, number=manage.number, months=manage.months)
    try:
        outcome = await ctx.services.ordering.prolong(ctx.actor, manage.key, manage.number, manage.months)
    except OutcomePending:
        remember_paid(ctx, paid)
        ctx.go(routes.pending)
        return
    except RenewalInProgress as exc:
        ctx.fail(exc)
        manage.key = ""
        ctx.go(routes.failed)
        return
    except OutcomeContested as exc:
        ctx.told.append(paid.key)
        remember_paid(ctx, paid)
        ctx.fail(exc)
        manage.key = ""
        ctx.go(routes.failed)
        return
    except InsufficientBalance as exc:
        ctx.told.append(paid.key)
        ctx.fail(exc)
        ctx.go(routes.confirm)
        return
    except ApiUnavailable as exc:
        ctx.told.append(paid.key)
        ctx.fail(exc)
        manage.key = new_idempotency_key("prolong")
        manage.failed = True
        ctx.go(routes.confirm)
        return
    remember_paid(ctx, paid)
    ctx.told.append(paid.key)
    _announce(ctx, outcome)
    manage.key = ""
    manage.failed = False
    ctx.go(routes.done)


async def replay_prolong(ctx: Ctx, paid: PaidAction) -> None:
    """A used Confirm pressed again: show that key's result without paying twice."""
    try:
        outcome = await ctx.services.ordering.prolong(ctx.actor, paid.key, paid.number, paid.months)
    except OutcomePending:
        ctx.say(ctx.tr.gettext("prolong.pending"))
        return
    ctx.told.append(paid.key)
    _announce(ctx, outcome)


class ProlongChoiceStep(Step):
    """How many months."""

    name = "numbers.prolong"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        ui.rows([ui.button(tr.ngettext("common.months", m), "months", n=m) for m in MONTH_CHOICES], 2)
        ui.row(ui.back())
        return ui.screen(tr.gettext("prolong.choose", number=format_phone(ctx.state.manage.number)))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        match action.op:
            case "months":
                start_renewal(ctx.state.manage, action.n)
                ctx.go("numbers.prolong_confirm")
            case "back":
                ctx.go("numbers.card")


class ProlongConfirmStep(Step):
    """The price, the current and the new paid-until date, and the balance; Confirm pays."""

    name = "numbers.prolong_confirm"
    fallback = "numbers.list"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        text, price = await quote_text(ctx)
        label = N_("prolong.retry") if ctx.state.manage.failed else N_("prolong.pay")
        ui.row(ui.button(ctx.tr.gettext(label, amount=price), "confirm"))
        ui.row(ui.back())
        return ui.screen(text)

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        match action.op:
            case "confirm":
                await prolong(ctx)
            case "back":
                ctx.state.manage.key = ""
                ctx.state.manage.failed = False
                ctx.go("numbers.prolong")


async def quote_text(ctx: Ctx) -> tuple[str, str]:
    """The confirmation's text for the renewal in ``ctx.state.manage`` and the price to pay (reads only)."""
    manage = ctx.state.manage
    quote = await ctx.services.ordering.prolong_quote(ctx.actor, manage.number, manage.months)
    return _quote_lines(ctx.tr, quote), ctx.tr.money(quote.amount, quote.currency)


def _quote_lines(tr: Translator, quote: ProlongQuote) -> str:
    price = tr.money(quote.amount, quote.currency)
    parts = [
        tr.gettext(
            "prolong.title",
            number=format_phone(quote.number),
            period=tr.ngettext("common.months", quote.months),
        ),
        tr.gettext("prolong.price", amount=price),
        tr.gettext(
            "prolong.dates",
            current=tr.date(quote.stop_date) if quote.stop_date else "—",
            new=tr.date(quote.new_stop_date) if quote.new_stop_date else "—",
        ),
        tr.gettext("prolong.balance", amount=tr.money(quote.balance, quote.balance_currency)),
    ]
    if quote.currency != quote.balance_currency:  # never compared: only Zadarma knows its rate
        parts.append(
            tr.gettext(
                "order.confirm.other_currency", currency=quote.currency, account=quote.balance_currency
            )
        )
    elif quote.affordable is False:
        parts.append(tr.gettext("prolong.balance_low"))
    return lines(*parts)


class ProlongPendingStep(Step):
    """The renewal's outcome is not known yet; Refresh asks again with the same key."""

    name = "numbers.prolong_pending"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        ui.row(ui.button(ctx.tr.gettext("button.refresh"), "refresh"))
        ui.row(ui.menu())
        return ui.screen(ctx.tr.gettext("prolong.pending"))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        if action.op == "refresh":
            await prolong(ctx, first=False)
