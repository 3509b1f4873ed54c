"""SQLite :class:`~bot.storage.interfaces.OwnershipRepository`."""

from __future__ import annotations

import json
from collections.abc import Iterable

from bot.storage.codec import decode_datetime, encode_datetime
from bot.storage.records import NumberAssignment, UserRef
from bot.storage.sqlite.db import Database

_ASSIGN_NUMBER = """
INSERT INTO number_owners (number, owner_platform, owner_user_id, assigned_by, assigned_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (number) DO UPDATE SET
    owner_platform = excluded.owner_platform, owner_user_id = excluded.owner_user_id,
    assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at
"""

_ASSIGN_GROUP = """
INSERT INTO group_owners (group_id, owner_platform, owner_user_id, assigned_at)
VALUES (?, ?, ?, ?)
ON CONFLICT (group_id) DO UPDATE SET
    owner_platform = excluded.owner_platform, owner_user_id = excluded.owner_user_id,
    assigned_at = excluded.assigned_at
"""


class SqliteOwnership:
    """Ownership in the ``number_owners`` and ``group_owners`` tables, indexed by owner."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def assign_number(self, number: str, owner: UserRef, assigned_by: str) -> None:
        now = encode_datetime(self._db.now())
        await self._db.execute(
            _ASSIGN_NUMBER, (number, owner.platform, owner.user_id, assigned_by, now), inline=True
        )

    async def claim_number(self, number: str, owner: UserRef, assigned_by: str) -> UserRef:
        now = encode_datetime(self._db.now())
        async with self._db.session(inline=True) as s:
            await s.execute(
                "INSERT INTO number_owners (number, owner_platform, owner_user_id, assigned_by, assigned_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (number) DO NOTHING",
                (number, owner.platform, owner.user_id, assigned_by, now),
            )
            row = await s.fetchone(
                "SELECT owner_platform, owner_user_id FROM number_owners WHERE number = ?", (number,)
            )
        assert row is not None  # just inserted, or owned before
        return UserRef(row["owner_platform"], row["owner_user_id"])

    async def owner_of_number(self, number: str) -> UserRef | None:
        assignment = await self.number_assignment(number)
        return None if assignment is None else assignment.owner

    async def owners_of_numbers(self, numbers: Iterable[str]) -> dict[str, UserRef]:
        rows = await self._db.fetchall(
            "SELECT number, owner_platform, owner_user_id FROM number_owners "
            "WHERE number IN (SELECT value FROM json_each(?))",
            (json.dumps(list(numbers)),),
        )
        return {row["number"]: UserRef(row["owner_platform"], row["owner_user_id"]) for row in rows}

    async def number_assignment(self, number: str) -> NumberAssignment | None:
        row = await self._db.fetchone("SELECT * FROM number_owners WHERE number = ?", (number,), inline=True)
        if row is None:
            return None
        return NumberAssignment(
            number=row["number"],
            owner=UserRef(row["owner_platform"], row["owner_user_id"]),
            assigned_by=row["assigned_by"],
            assigned_at=decode_datetime(row["assigned_at"]),
        )

    async def numbers_of(self, owner: UserRef) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT number FROM number_owners WHERE owner_platform = ? AND owner_user_id = ? ORDER BY number",
            (owner.platform, owner.user_id),
        )
        return [row["number"] for row in rows]

    async def release_number(self, number: str) -> bool:
        rows = await self._db.fetchall(
            "DELETE FROM number_owners WHERE number = ? RETURNING 1", (number,), inline=True
        )
        return bool(rows)

    async def assign_group(self, group_id: int, owner: UserRef) -> None:
        now = encode_datetime(self._db.now())
        await self._db.execute(_ASSIGN_GROUP, (group_id, owner.platform, owner.user_id, now), inline=True)

    async def owner_of_group(self, group_id: int) -> UserRef | None:
        row = await self._db.fetchone(
            "SELECT owner_platform, owner_user_id FROM group_owners WHERE group_id = ?", (group_id,)
        )
        return None if row is None else UserRef(row["owner_platform"], row["owner_user_id"])

    async def groups_of(self, owner: UserRef) -> list[int]:
        rows = await self._db.fetchall(
            "SELECT group_id FROM group_owners WHERE owner_platform = ? AND owner_user_id = ? "
            "ORDER BY group_id",
            (owner.platform, owner.user_id),
        )
        return [int(row["group_id"]) for row in rows]

    async def release_group(self, group_id: int) -> bool:
        rows = await self._db.fetchall("DELETE FROM group_owners WHERE group_id = ? RETURNING 1", (group_id,))
        return bool(rows)
