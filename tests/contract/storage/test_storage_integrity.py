"""Opening an SQLite file the bot cannot trust: damaged pages, not a database, a directory.

Each is refused with one line naming the file, what is wrong and what to do,
and a sound file with data opens as before (no false alarm).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import SqliteStorage, StorageError, UserRef
from bot.storage.errors import UnusableDatabaseError
from tests.storage_faults import damage_pages, database_with_data


def single_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text
    return text


async def test_a_sound_file_with_data_opens_and_keeps_its_data(db_path: Path) -> None:
    await database_with_data(db_path)
    async with await SqliteStorage.open(db_path) as storage:
        assert (await storage.users.get(UserRef("telegram", "501"))) is not None
        assert len(await storage.audit.list(limit=2000)) == 1500


async def test_damaged_pages_are_refused_with_one_line(db_path: Path) -> None:
    await database_with_data(db_path)
    damage_pages(db_path)
    with pytest.raises(UnusableDatabaseError) as caught:
        await SqliteStorage.open(db_path)
    line = single_line(caught.value)
    assert str(db_path) in line
    assert "damaged" in line
    assert "backup" in line and ".recover" in line


CSV = b"name,number\nAnn,48221234567\n" * 400


def write_csv(path: Path) -> None:
    path.write_bytes(CSV)


def content(path: Path) -> bytes:
    return path.read_bytes()


async def test_a_file_that_is_not_a_database_is_refused(db_path: Path) -> None:
    write_csv(db_path)
    with pytest.raises(UnusableDatabaseError) as caught:
        await SqliteStorage.open(db_path)
    line = single_line(caught.value)
    assert line.startswith(f"{db_path} is not an SQLite database")
    assert content(db_path) == CSV  # left as it was


async def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnusableDatabaseError) as caught:
        await SqliteStorage.open(tmp_path)
    line = single_line(caught.value)
    assert f"{tmp_path} is a directory" in line


async def test_the_refusals_are_storage_errors(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        await SqliteStorage.open(tmp_path)
