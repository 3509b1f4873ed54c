"""The numbers a user holds and the changes they may make to them.

Ownership is re-checked on every call: a customer reaches only numbers the
store says are theirs, whatever a button or command names; operators reach
every number of the account.
"""

from __future__ import annotations

from typing import Any

from bot.services.actors import Actor
from bot.services.api_errors import api, to_service_error
from bot.services.catalog import CatalogService
from bot.services.errors import NotFound, NotYours
from bot.services.validation import caller_name as valid_caller_name
from bot.services.validation import sip_target as valid_sip_target
from bot.storage import AuditEntry, NumberAssignment, Storage, UserRef
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.errors import ZadarmaAPIError, ZadarmaAuthError, ZadarmaError, ZadarmaRateLimited
from bot.zadarma.models import DirectNumber, SipLogin

CALLER_NAME_LOOKBACK = 200
"""How many of a number's latest audit entries are searched for its caller name."""


def same_number(a: str, b: str) -> bool:
    """Numbers compare by digits, with or without a leading ``+``."""
    return a.lstrip("+") == b.lstrip("+")


class NumbersService:
    """Lists and changes numbers, checking ownership on every action."""

    def __init__(self, client: ZadarmaClient, storage: Storage, catalog: CatalogService) -> None:
        self._client = client
        self._storage = storage
        self._catalog = catalog

    async def list_for(self, actor: Actor) -> list[DirectNumber]:
        """The actor's numbers (operators: every number of the account), soonest expiry first."""
        records = await api(self._client.direct_numbers())
        if not actor.is_operator:
            mine = {n.lstrip("+") for n in await self._storage.ownership.numbers_of(actor.user)}
            records = [r for r in records if r.number.lstrip("+") in mine]
        return sorted(records, key=lambda r: (r.stop_date is None, r.stop_date, r.number))

    async def ensure_access(self, actor: Actor, number: str) -> None:
        """Raise :class:`NotYours` unless the actor may act on ``number``."""
        if actor.is_operator:
            return
        owner = await self._storage.ownership.owner_of_number(number.lstrip("+"))
        if owner != actor.user:
            raise NotYours(number=number)

    async def get(self, actor: Actor, number: str) -> DirectNumber:
        """One number's record, fresh from the account (``direct_numbers/number``: one call).

        That call, unlike the list, also tells whether SMS reception is on.
        """
        await self.ensure_access(actor, number)
        try:
            return await self._client.direct_number(number.lstrip("+"))
        except ZadarmaAPIError as exc:
            if 400 <= exc.status_code < 500 and not isinstance(exc, ZadarmaRateLimited | ZadarmaAuthError):
                raise NotFound(f"number {number}") from exc
            raise to_service_error(exc) from exc
        except ZadarmaError as exc:
            raise to_service_error(exc) from exc

    async def set_autorenew(self, actor: Actor, number: str, enabled: bool) -> bool:
        """Switch auto-renewal; returns the new state."""
        await self.ensure_access(actor, number)
        result = await api(self._client.set_autoprolongation(number, enabled))
        await self._audit(actor, "autorenew", number, {"value": "on" if enabled else "off"})
        return result.enabled

    async def set_caller_name(self, actor: Actor, number: str, name: str) -> str:
        """Set (or with ``-``/empty, clear) the caller name; returns what was stored."""
        cleaned = valid_caller_name(name)
        await self.ensure_access(actor, number)
        result = await api(self._client.set_caller_name(number, cleaned))
        await self._audit(actor, "caller_name", number, {"caller_name": cleaned})
        return result.caller_name

    async def caller_name(self, actor: Actor, number: str) -> str | None:
        """The caller name last set for ``number`` through the bot (``None``: never set, or cleared).

        Zadarma's number records do not carry the caller name (``number_name`` is
        another, user-defined label), so the audit log of the changes made here
        is where it is known from.
        """
        await self.ensure_access(actor, number)
        for entry in await self._storage.audit.list(target=number.lstrip("+"), limit=CALLER_NAME_LOOKBACK):
            if entry.action == "caller_name" and entry.result == "ok":
                name = entry.details.get("caller_name")
                return str(name) if name else None
        return None

    async def sip_logins(self) -> list[SipLogin]:
        """SIP logins numbers can be pointed at (cached for a minute by the catalog)."""
        return await self._catalog.sip_logins()

    async def set_sip_target(
        self, actor: Actor, number: str, target: str, test_mode: bool | None = None
    ) -> str:
        """Point the number at a SIP login or an external SIP URI."""
        logins = {s.id for s in await self.sip_logins()}
        cleaned = valid_sip_target(target, logins)
        await self.ensure_access(actor, number)
        result = await api(self._client.set_sip_target(number, cleaned, test_mode=test_mode))
        details: dict[str, Any] = {"sip": cleaned}
        if test_mode is not None:
            details["test_mode"] = "on" if test_mode else "off"
        await self._audit(actor, "sip", number, details)
        return result.sip_id

    async def set_receive_sms(self, actor: Actor, number: str, enabled: bool) -> bool:
        """Switch SMS reception (where the number supports it)."""
        await self.ensure_access(actor, number)
        result = await api(self._client.set_receive_sms(number, enabled))
        await self._audit(actor, "receive_sms", number, {"value": "on" if enabled else "off"})
        return result.enabled

    async def assign(self, actor: Actor, number: str, owner: UserRef) -> None:
        """Operators only: give ``number`` (which must be in the account) to ``owner``."""
        if not actor.is_operator:
            raise NotYours(number=number)
        records = await api(self._client.direct_numbers())
        if not any(same_number(r.number, number) for r in records):
            raise NotFound(f"number {number}")
        await self._storage.ownership.assign_number(number.lstrip("+"), owner, assigned_by=actor.label)
        await self._audit(actor, "assign", number, {"to": f"{owner.platform}:{owner.user_id}"})

    async def assignment(self, actor: Actor, number: str) -> NumberAssignment | None:
        """Who ``number`` was given to and by whom (``None``: never assigned through the bot)."""
        await self.ensure_access(actor, number)
        return await self._storage.ownership.number_assignment(number)

    async def audit_trail(self, actor: Actor, number: str | None, limit: int) -> list[AuditEntry]:
        """Operators only: the latest ``limit`` changes made through the bot, newest first.

        To ``number`` only, or with ``None`` to every target.
        """
        if not actor.is_operator:
            raise NotYours(number=number or "")
        return await self._storage.audit.list(number, limit)

    async def _audit(self, actor: Actor, action: str, number: str, details: dict[str, Any]) -> None:
        await self._storage.audit.record(
            actor=actor.label, action=action, target=number.lstrip("+"), details=details, result="ok"
        )
