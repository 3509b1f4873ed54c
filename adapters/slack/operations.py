"""The ``/numbers`` subcommands and the management buttons, run against the services.

Every method returns a :class:`~adapters.slack.blocks.Rendered` message; a
service error becomes one readable sentence instead. The actor is always an
operator (the adapter lets only admins in), so the whole account is visible.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from adapters.slack import blocks, commands, listing
from adapters.slack.blocks import Rendered
from adapters.slack.texts import error_text
from bot.services import Actor, Services
from bot.services.errors import OutcomePending, ServiceError
from bot.services.types import UserRef
from conversations.i18n import translator

AUDIT_LIMIT = 25


def operator(user_id: str) -> Actor:
    """Slack users of this app are operators: they see and act on the whole account."""
    return Actor(UserRef("slack", user_id), is_operator=True)


def new_prolong_key() -> str:
    """A fresh idempotency key for one prolong confirmation."""
    return f"slack-prolong-{secrets.token_urlsafe(16)}"


class Operations:
    """Runs subcommands; ``now`` gives the account's wall-clock time (naive) for "expiring"."""

    def __init__(self, services: Services, now: Callable[[], datetime]) -> None:
        self._services = services
        self._now = now

    async def run(self, actor: Actor, command: commands.Subcommand) -> Rendered:
        """Run one (non-wizard) subcommand; service errors come back as a message."""
        try:
            return await self._run(actor, command)
        except ServiceError as exc:
            return blocks.note(f":warning: {blocks.escape(error_text(exc))}")

    async def _run(self, actor: Actor, command: commands.Subcommand) -> Rendered:
        numbers = self._services.numbers
        match command:
            case commands.ListNumbers(number_filter):
                records = listing.filtered(await numbers.list_for(actor), number_filter)
                title = "Numbers" if number_filter is None else f"Numbers matching {number_filter.value}"
                return blocks.numbers_message(title, records, empty="No numbers match.")
            case commands.Expiring(days):
                records = listing.expiring(await numbers.list_for(actor), self._now(), days)
                return blocks.numbers_message(
                    f"Expiring within {translator('en').ngettext('digest.within_days', days)}",
                    records,
                    empty="Nothing expires that soon.",
                )
            case commands.Info(number):
                record = await numbers.get(actor, number)
                assignment = await numbers.assignment(actor, number)
                caller = await numbers.caller_name(actor, record.number)
                return blocks.number_card(record, assignment, caller)
            case commands.Prolong(number, months):
                return await self.prolong_quote(actor, number, months)
            case commands.Autorenew(number, enabled):
                return await self.set_autorenew(actor, number, enabled)
            case commands.CallerName(number, name):
                stored = await numbers.set_caller_name(actor, number, name)
                shown = f"“{blocks.escape(stored)}”" if stored else "cleared"
                return blocks.note(f"Caller name of {self._num(number)}: {shown}.")
            case commands.Sip(number, target, test_mode):
                sip = await numbers.set_sip_target(actor, number, target, test_mode=test_mode)
                mode = " in test mode" if test_mode else ""
                return blocks.note(f"{self._num(number)} now rings {blocks.escape(sip)}{mode}.")
            case commands.Sms(number, enabled):
                state = await numbers.set_receive_sms(actor, number, enabled)
                return blocks.note(f"SMS reception of {self._num(number)} is {'on' if state else 'off'}.")
            case commands.Docs(group_id):
                return await self.docs(actor, group_id)
            case commands.Assign(number, telegram_id):
                await numbers.assign(actor, number, UserRef("telegram", telegram_id))
                return blocks.note(f"{self._num(number)} now belongs to Telegram user {telegram_id}.")
            case commands.Audit(number):
                entries = await numbers.audit_trail(actor, number, AUDIT_LIMIT)
                return blocks.audit_message(entries, number)
        return blocks.note(commands.help_text())

    @staticmethod
    def _num(number: str) -> str:
        return f"*{blocks.escape(blocks.format_number(number))}*"

    async def prolong_quote(self, actor: Actor, number: str, months: int) -> Rendered:
        """The price and the new date, with a confirm button carrying a fresh idempotency key."""
        try:
            quote = await self._services.ordering.prolong_quote(actor, number, months)
        except ServiceError as exc:
            return blocks.note(f":warning: {blocks.escape(error_text(exc))}")
        return blocks.prolong_confirmation(quote, new_prolong_key())

    async def prolong(self, actor: Actor, key: str, number: str, months: int) -> Rendered:
        """Pay once for ``key`` (a repeated key reports the first result, never pays twice)."""
        ordering = self._services.ordering
        try:
            outcome = await ordering.prolong(actor, key, number, months)
        except OutcomePending as exc:
            return blocks.note(blocks.escape(error_text(exc)))
        except ServiceError as exc:
            await ordering.acknowledge(actor.user, [key])  # a refusal is told here
            return blocks.note(f":warning: {blocks.escape(error_text(exc))}")
        await ordering.acknowledge(actor.user, [key])
        paid = blocks.format_money(outcome.amount, outcome.currency)
        until = blocks.format_date(outcome.stop_date)
        if outcome.repeated:
            return blocks.note(
                f"This confirmation was already used: {self._num(outcome.number)} is paid until {until}."
            )
        period = translator("en").ngettext("common.months", months)
        return blocks.note(
            f":white_check_mark: {self._num(outcome.number)} prolonged by {period} "
            f"for {paid}; paid until *{until}*."
        )

    async def set_autorenew(self, actor: Actor, number: str, enabled: bool) -> Rendered:
        """Switch auto-renewal and say what it is now."""
        try:
            state = await self._services.numbers.set_autorenew(actor, number, enabled)
        except ServiceError as exc:
            return blocks.note(f":warning: {blocks.escape(error_text(exc))}")
        return blocks.note(f"Auto-renewal of {self._num(number)} is {'on' if state else 'off'}.")

    async def docs(self, actor: Actor, group_id: int | None) -> Rendered:
        """All document groups, or one group's files, state and rejection reasons."""
        documents = self._services.documents
        try:
            if group_id is None:
                return blocks.groups_message(await documents.groups_for(actor))
            group = await documents.group(actor, group_id)
            files = await documents.files(actor, group_id)
            wrongs = await documents.wrongs(actor, group_id)
        except ServiceError as exc:
            return blocks.note(f":warning: {blocks.escape(error_text(exc))}")
        return blocks.group_message(group, files, wrongs)
