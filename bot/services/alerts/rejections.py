"""Why a number's documents were refused: its document group, then ``checking-wrongs``.

``direct_numbers`` does not say which document group a number belongs to;
the bot knows it only from the order it placed. So a number's group is:

1. ``documents_group_id`` of the owner's succeeded ``order`` intent for that
   number (the newest, if several);
2. otherwise the owner's only document group, when they own exactly one;
3. otherwise unknown: no reason can be fetched and the alert is
   ``documents_needed``.

Only numbers that just entered ``checking_upload`` are looked up, and each
group is asked once per scan, so the cost does not grow with the account.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.storage import Intent, IntentKind, IntentStatus, Storage, UserRef
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.errors import ZadarmaAPIError, ZadarmaAuthError, ZadarmaRateLimited
from bot.zadarma.models import CheckingWrongs

log = logging.getLogger("bot.services.alerts")


def reason_text(wrongs: CheckingWrongs) -> str | None:
    """The rejection messages joined into one reason (``None`` when nothing was rejected)."""
    parts = [part for part in (wrongs.document_message, wrongs.address_message) if part]
    return " ".join(parts) if parts else None


class RejectionFinder:
    """Finds rejection reasons for a few numbers, with one ``checking-wrongs`` call per group."""

    def __init__(self, client: ZadarmaClient, storage: Storage) -> None:
        self._client = client
        self._storage = storage

    async def reasons(self, numbers: Iterable[str]) -> tuple[dict[str, str], int]:
        """``{number: reason}`` for the numbers whose group reports a rejection, and the API calls made.

        A group the API refuses to describe (a 4xx other than 401/429) counts
        as no rejection; other API failures propagate, so the scan fails and is repeated with
        the same data rather than deciding wrongly.
        """
        intents: dict[UserRef, list[Intent]] = {}
        groups: dict[str, int] = {}
        for number in numbers:
            group = await self._group_of(number, intents)
            if group is not None:
                groups[number] = group
        calls = 0
        by_group: dict[int, str | None] = {}
        for group in sorted(set(groups.values())):
            calls += 1
            by_group[group] = await self._reason(group)
        return {number: reason for number, group in groups.items() if (reason := by_group[group])}, calls

    async def _reason(self, group_id: int) -> str | None:
        try:
            wrongs = await self._client.checking_wrongs(group_id)
        except ZadarmaAPIError as exc:
            if exc.status_code >= 500 or isinstance(exc, ZadarmaRateLimited | ZadarmaAuthError):
                raise
            log.warning("checking-wrongs refused", extra={"group_id": group_id, "error": exc.message})
            return None
        return reason_text(wrongs)

    async def _group_of(self, number: str, intents: dict[UserRef, list[Intent]]) -> int | None:
        owner = await self._storage.ownership.owner_of_number(number)
        if owner is None:
            return None
        if owner not in intents:
            intents[owner] = await self._storage.intents.list_for_owner(owner)
        for intent in intents[owner]:  # newest first
            if intent.kind != IntentKind.ORDER or intent.status != IntentStatus.SUCCEEDED:
                continue
            ordered = str((intent.result or {}).get("number") or intent.params.get("number") or "")
            if ordered.lstrip("+") == number and "documents_group_id" in intent.params:
                try:
                    return int(intent.params["documents_group_id"])
                except ValueError:
                    continue
        owned = await self._storage.ownership.groups_of(owner)
        return owned[0] if len(owned) == 1 else None
