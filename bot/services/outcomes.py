"""Telling the person who confirmed a payment its final outcome, durably.

Every intent that reaches a final state gets one outcome alert in the alert
outbox (``outcome:<intent key>``), addressed to whoever confirmed it (a
Telegram customer, a Slack operator). The outbox delivers it once, across
restarts. When the outcome is also shown in the chat right away (the API
answered while the customer waited), the alert is claimed due only after a
grace period, and the adapter acknowledges it once its reply is sent; an
acknowledged alert is never delivered. So a crash anywhere between the
API's answer and the reply still ends with the customer told, and a normal
run tells them once.

Evidence that cannot settle an outcome, or an option that could not be
applied after paying, goes to the team (``money_check``) and the audit log;
so does an order Zadarma only reserved until the balance is topped up
(``number_reserved``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.services.alerts.drafts import AlertKind
from bot.storage import Intent, IntentKind, IntentStatus, NotFoundError, Storage, UserRef, utc_now

log = logging.getLogger("bot.services.outcomes")

OUTCOME_PREFIX = "outcome:"
CHECK_PREFIX = "money-check:"

# Why an intent failed, as stored in its ``error``; the customer-facing outcome follows from it.
FAIL_NOT_PLACED = "not placed"
FAIL_NOT_RENEWED = "not renewed"
FAIL_INTERRUPTED = "interrupted before sending"
FAIL_NUMBER_GONE = "number_gone"
FAIL_ON_ACCOUNT = "already on the account"


def outcome_key(intent_key: str) -> str:
    """The outbox key of an intent's outcome alert."""
    return OUTCOME_PREFIX + intent_key


def destination_of(user: UserRef) -> str:
    """The outbox destination of a person (``telegram:42``, ``slack:U123``)."""
    return f"{user.platform}:{user.user_id}"


def describe(intent: Intent) -> tuple[AlertKind, dict[str, str]]:
    """The outcome alert's kind and parameters for a settled intent."""
    params = intent.params
    result = intent.result or {}
    values = {
        "amount": str(params.get("price", "")),
        "currency": str(params.get("currency", "")),
    }
    if intent.kind == IntentKind.ORDER:
        kind = AlertKind.ORDER_OUTCOME
        if intent.status == IntentStatus.SUCCEEDED:
            values["outcome"] = "reserved" if result.get("reserved") else "ordered"
            if result.get("reserved") and result.get("needed"):
                values["outcome"] = "reserved_short"
                values["needed"] = str(result["needed"])
        elif intent.status == IntentStatus.CONTESTED:
            values["outcome"] = "contested"
        elif intent.error in (FAIL_NUMBER_GONE, FAIL_ON_ACCOUNT):
            values["outcome"] = "taken"
        elif intent.error in (FAIL_NOT_PLACED, FAIL_INTERRUPTED):
            values["outcome"] = "not_placed"
        else:
            values["outcome"] = "refused"
            values["reason"] = intent.error or ""
        return kind, values
    kind = AlertKind.RENEWAL_OUTCOME
    if intent.status == IntentStatus.SUCCEEDED:
        values["outcome"] = "renewed"
        values["stop_date"] = str(result.get("stop_date", ""))
        values["amount"] = str(result.get("amount", values["amount"]))
        values["currency"] = str(result.get("currency", values["currency"]))
    elif intent.status == IntentStatus.CONTESTED:
        values["outcome"] = "contested"
    elif intent.error in (FAIL_NOT_RENEWED, FAIL_INTERRUPTED):
        values["outcome"] = "not_renewed"
    else:
        values["outcome"] = "refused"
        values["reason"] = intent.error or ""
    return kind, values


@dataclass
class OutcomeNotifier:
    """Claims outcome alerts in the outbox and acknowledges the ones told in the chat.

    ``platforms`` are the platforms whose people the outbox can reach (those
    with an alert sink); an intent confirmed elsewhere (the terminal demo) is
    told in its chat only. ``team`` is the team's destination (``slack:C1``)
    for ``money_check`` alerts. ``wake`` nudges the outbox to deliver now.
    """

    storage: Storage
    platforms: frozenset[str] = frozenset()
    team: str | None = None
    grace_seconds: float = 60.0
    wake: Callable[[], None] = field(default=lambda: None)
    clock: Callable[[], datetime] = utc_now

    def reaches(self, user: UserRef) -> bool:
        """Whether outcome alerts can reach ``user``."""
        return user.platform in self.platforms

    async def tell(self, intent: Intent, *, shown_now: bool) -> None:
        """Claim the outcome alert of the settled ``intent`` (once; later calls change nothing).

        ``shown_now``: the outcome is being shown in the chat at this moment; the
        alert then waits ``grace_seconds`` for :meth:`acknowledge` before it is sent.
        """
        if not self.reaches(intent.owner):
            return
        kind, params = describe(intent)
        due = self.clock() + timedelta(seconds=self.grace_seconds) if shown_now else None
        claimed = await self.storage.alerts.claim(
            outcome_key(intent.key),
            kind.value,
            str(params_number(intent)),
            {"params": params, "actions": []},
            [destination_of(intent.owner)],
            due_at=due,
        )
        if claimed and not shown_now:
            self.wake()

    async def is_told(self, intent: Intent) -> bool:
        """Whether an outcome alert was claimed for ``intent`` (or it cannot be told by alert)."""
        if not self.reaches(intent.owner):
            return True
        return await self.storage.alerts.get(outcome_key(intent.key)) is not None

    async def acknowledge(self, user: UserRef, intent_keys: Iterable[str]) -> int:
        """The chat showed these outcomes to ``user``: their alerts are not sent. Returns how many."""
        if not self.reaches(user):
            return 0
        done = 0
        for key in intent_keys:
            try:
                if await self.storage.alerts.mark_delivered(outcome_key(key), destination_of(user)):
                    done += 1
            except NotFoundError:  # nothing was claimed (refused before an intent existed)
                continue
        return done

    async def alert_reserved(self, intent: Intent) -> None:
        """Tell the team (once per intent) that an order is only reserved until the balance is topped up."""
        await self.storage.audit.record(
            actor="system",
            action="order_reserved",
            target=str(params_number(intent)),
            details={"intent": intent.key, "needed": str((intent.result or {}).get("needed", ""))},
            result="reserved until the balance is topped up",
        )
        if self.team is None:
            return
        claimed = await self.storage.alerts.claim(
            RESERVED_PREFIX + intent.key,
            AlertKind.NUMBER_RESERVED.value,
            str(params_number(intent)),
            {"params": reserved_params(intent), "actions": []},
            [self.team],
        )
        if claimed:
            self.wake()

    async def alert_team(self, intent: Intent, what: str, reason: str) -> None:
        """A ``money_check`` for the operators (once per intent and reason), and an audit entry."""
        await self.storage.audit.record(
            actor="system",
            action=f"{what}_check",
            target=str(params_number(intent)),
            details={"intent": intent.key, "reason": reason},
            result="needs an operator",
        )
        log.warning("money check needed", extra={"intent": intent.key, "reason": reason})
        if self.team is None:
            return
        params = {
            "what": what,
            "reason": reason,
            "customer": destination_of(intent.owner),
            "intent": intent.key,
        }
        claimed = await self.storage.alerts.claim(
            f"{CHECK_PREFIX}{intent.key}:{reason[:40]}",
            AlertKind.MONEY_CHECK.value,
            str(params_number(intent)),
            {"params": params, "actions": []},
            [self.team],
        )
        if claimed:
            self.wake()


RESERVED_PREFIX = "reserved:"


def reserved_params(intent: Intent) -> dict[str, str]:
    """The ``number_reserved`` alert's parameters for a reserved order's settled intent."""
    result = intent.result or {}
    params = {
        "customer": destination_of(intent.owner),
        "intent": intent.key,
        "amount": str(intent.params.get("price", "")),
        "currency": str(intent.params.get("currency", "")),
        "outcome": "short" if result.get("needed") else "price",
    }
    if result.get("needed"):
        params["needed"] = str(result["needed"])
    return params


def params_number(intent: Intent) -> str:
    """The number an intent is about (digits, as stored)."""
    return str(intent.params.get("number", "")).lstrip("+")
