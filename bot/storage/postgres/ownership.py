"""PostgreSQL :class:`~bot.storage.interfaces.OwnershipRepository`."""

from __future__ import annotations

from collections.abc import Iterable

from bot.storage.errors import StorageError
from bot.storage.postgres.db import Database
from bot.storage.records import NumberAssignment, UserRef

_ASSIGN_NUMBER = """
INSERT INTO number_owners (number, owner_platform, owner_user_id, assigned_by, assigned_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (number) DO UPDATE SET
    owner_platform = excluded.owner_platform, owner_user_id = excluded.owner_user_id,
    assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at
"""

_CLAIM_NUMBER = """
INSERT INTO number_owners (number, owner_platform, owner_user_id, assigned_by, assigned_at)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (number) DO NOTHING
"""

_ASSIGN_GROUP = """
INSERT INTO group_owners (group_id, owner_platform, owner_user_id, assigned_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (group_id) DO UPDATE SET
    owner_platform = excluded.owner_platform, owner_user_id = excluded.owner_user_id,
    assigned_at = excluded.assigned_at
"""

# A claim racing a release may find the number neither insertable nor owned; it tries again.
_CLAIM_TRIES = 5


class PostgresOwnership:
    """Ownership in the ``number_owners`` and ``group_owners`` tables, indexed by owner."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def assign_number(self, number: str, owner: UserRef, assigned_by: str) -> None:
        await self._db.execute(
            _ASSIGN_NUMBER, number, owner.platform, owner.user_id, assigned_by, self._db.now()
        )

    async def claim_number(self, number: str, owner: UserRef, assigned_by: str) -> UserRef:
        for _ in range(_CLAIM_TRIES):
            async with self._db.transaction() as conn:
                await conn.execute(
                    _CLAIM_NUMBER, number, owner.platform, owner.user_id, assigned_by, self._db.now()
                )
                # READ COMMITTED: this statement sees the row another replica committed meanwhile
                row = await conn.fetchrow(
                    "SELECT owner_platform, owner_user_id FROM number_owners WHERE number = $1", number
                )
            if row is not None:
                return UserRef(row["owner_platform"], row["owner_user_id"])
        raise StorageError(f"number {number} was claimed and released {_CLAIM_TRIES} times meanwhile")

    async def owner_of_number(self, number: str) -> UserRef | None:
        assignment = await self.number_assignment(number)
        return None if assignment is None else assignment.owner

    async def owners_of_numbers(self, numbers: Iterable[str]) -> dict[str, UserRef]:
        rows = await self._db.fetch(
            "SELECT number, owner_platform, owner_user_id FROM number_owners WHERE number = ANY($1::text[])",
            list(numbers),
        )
        return {row["number"]: UserRef(row["owner_platform"], row["owner_user_id"]) for row in rows}

    async def number_assignment(self, number: str) -> NumberAssignment | None:
        row = await self._db.fetchrow("SELECT * FROM number_owners WHERE number = $1", number)
        if row is None:
            return None
        return NumberAssignment(
            number=row["number"],
            owner=UserRef(row["owner_platform"], row["owner_user_id"]),
            assigned_by=row["assigned_by"],
            assigned_at=row["assigned_at"],
        )

    async def numbers_of(self, owner: UserRef) -> list[str]:
        rows = await self._db.fetch(
            "SELECT number FROM number_owners WHERE owner_platform = $1 AND owner_user_id = $2 "
            'ORDER BY number COLLATE "C"',
            owner.platform,
            owner.user_id,
        )
        return [row["number"] for row in rows]

    async def release_number(self, number: str) -> bool:
        return await self._db.execute("DELETE FROM number_owners WHERE number = $1", number) == 1

    async def assign_group(self, group_id: int, owner: UserRef) -> None:
        await self._db.execute(_ASSIGN_GROUP, group_id, owner.platform, owner.user_id, self._db.now())

    async def owner_of_group(self, group_id: int) -> UserRef | None:
        row = await self._db.fetchrow(
            "SELECT owner_platform, owner_user_id FROM group_owners WHERE group_id = $1", group_id
        )
        return None if row is None else UserRef(row["owner_platform"], row["owner_user_id"])

    async def groups_of(self, owner: UserRef) -> list[int]:
        rows = await self._db.fetch(
            "SELECT group_id FROM group_owners WHERE owner_platform = $1 AND owner_user_id = $2 "
            "ORDER BY group_id",
            owner.platform,
            owner.user_id,
        )
        return [int(row["group_id"]) for row in rows]

    async def release_group(self, group_id: int) -> bool:
        return await self._db.execute("DELETE FROM group_owners WHERE group_id = $1", group_id) == 1
