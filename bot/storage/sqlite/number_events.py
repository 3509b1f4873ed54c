"""SQLite :class:`~bot.storage.interfaces.NumberEventsRepository`."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.storage.codec import decode_datetime, encode_datetime, ensure_utc
from bot.storage.records import NumberPrefs, ReceivedSms
from bot.storage.sqlite.db import Database
from bot.storage.validation import check_limit

_SET_PREFS = """
INSERT INTO number_prefs (number, sms_to_chat, calls_to_chat) VALUES (?, ?, ?)
ON CONFLICT (number) DO UPDATE SET
    sms_to_chat = COALESCE(?, number_prefs.sms_to_chat),
    calls_to_chat = COALESCE(?, number_prefs.calls_to_chat)
RETURNING sms_to_chat, calls_to_chat
"""


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _sms(row: sqlite3.Row) -> ReceivedSms:
    return ReceivedSms(
        row["key"], row["number"], row["sender"], row["text"], decode_datetime(row["received_at"])
    )


class SqliteNumberEvents:
    """SMS in ``received_sms`` (indexed by number and time), switches in ``number_prefs``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def prefs(self, number: str) -> NumberPrefs:
        digits = number.lstrip("+")
        row = await self._db.fetchone(
            "SELECT sms_to_chat, calls_to_chat FROM number_prefs WHERE number = ?", (digits,)
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
        rows = await self._db.fetchall(
            _SET_PREFS,
            (digits, int(first_sms), int(first_calls), _flag(sms_to_chat), _flag(calls_to_chat)),
        )
        return NumberPrefs(digits, bool(rows[0]["sms_to_chat"]), bool(rows[0]["calls_to_chat"]))

    async def add_sms(self, sms: ReceivedSms) -> bool:
        added = await self._db.execute(
            "INSERT INTO received_sms (key, number, sender, text, received_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO NOTHING",
            (
                sms.key,
                sms.number.lstrip("+"),
                sms.sender.lstrip("+"),
                sms.text,
                encode_datetime(ensure_utc(sms.received_at)),
            ),
        )
        return added > 0

    async def recent_sms(self, number: str, limit: int) -> list[ReceivedSms]:
        rows = await self._db.fetchall(
            "SELECT key, number, sender, text, received_at FROM received_sms WHERE number = ? "
            "ORDER BY received_at DESC, key DESC LIMIT ?",
            (number.lstrip("+"), check_limit(limit)),
        )
        return [_sms(r) for r in rows]

    async def purge_sms(self, before: datetime) -> int:
        return await self._db.execute(
            "DELETE FROM received_sms WHERE received_at < ?", (encode_datetime(ensure_utc(before)),)
        )
