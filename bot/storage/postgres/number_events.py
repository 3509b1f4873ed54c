"""PostgreSQL :class:`~bot.storage.interfaces.NumberEventsRepository`."""

from __future__ import annotations

from datetime import datetime

from bot.storage.codec import ensure_utc
from bot.storage.postgres.db import Database, Record
from bot.storage.records import NumberPrefs, ReceivedSms
from bot.storage.validation import check_limit

_SET_PREFS = """
INSERT INTO number_prefs (number, sms_to_chat, calls_to_chat) VALUES ($1, $2, $3)
ON CONFLICT (number) DO UPDATE SET
    sms_to_chat = COALESCE($4, number_prefs.sms_to_chat),
    calls_to_chat = COALESCE($5, number_prefs.calls_to_chat)
RETURNING sms_to_chat, calls_to_chat
"""


def _sms(row: Record) -> ReceivedSms:
    return ReceivedSms(row["key"], row["number"], row["sender"], row["text"], row["received_at"])


class PostgresNumberEvents:
    """SMS in ``received_sms`` (indexed by number and time), switches in ``number_prefs``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def prefs(self, number: str) -> NumberPrefs:
        digits = number.lstrip("+")
        row = await self._db.fetchrow(
            "SELECT sms_to_chat, calls_to_chat FROM number_prefs WHERE number = $1", digits
        )
        if row is None:
            return NumberPrefs(digits)
        return NumberPrefs(digits, bool(row["sms_to_chat"]), bool(row["calls_to_chat"]))

    async def set_prefs(
        self, number: str, *, sms_to_chat: bool | None = None, calls_to_chat: bool | None = None
    ) -> NumberPrefs:
        digits = number.lstrip("+")
        default = NumberPrefs(digits)
        first_sms = default.sms_to_chat if sms_to_chat is None else sms_to_chat
        first_calls = default.calls_to_chat if calls_to_chat is None else calls_to_chat
        row = await self._db.fetchrow(_SET_PREFS, digits, first_sms, first_calls, sms_to_chat, calls_to_chat)
        assert row is not None  # RETURNING always yields the row
        return NumberPrefs(digits, bool(row["sms_to_chat"]), bool(row["calls_to_chat"]))

    async def add_sms(self, sms: ReceivedSms) -> bool:
        added = await self._db.execute(
            "INSERT INTO received_sms (key, number, sender, text, received_at) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT (key) DO NOTHING",
            sms.key,
            sms.number.lstrip("+"),
            sms.sender.lstrip("+"),
            sms.text,
            ensure_utc(sms.received_at),
        )
        return added > 0

    async def recent_sms(self, number: str, limit: int) -> list[ReceivedSms]:
        rows = await self._db.fetch(
            "SELECT key, number, sender, text, received_at FROM received_sms WHERE number = $1 "
            "ORDER BY received_at DESC, key DESC LIMIT $2",
            number.lstrip("+"),
            check_limit(limit),
        )
        return [_sms(r) for r in rows]

    async def purge_sms(self, before: datetime) -> int:
        return await self._db.execute("DELETE FROM received_sms WHERE received_at < $1", ensure_utc(before))
