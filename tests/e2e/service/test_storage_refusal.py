"""``python -m bot run`` and ``demo`` refuse a database they cannot trust: one line, non-zero exit.

The files are real: the bot's own database with data and garbage written over
pages in its middle, a file that is not a database, a directory. Nothing else
is reached: the store is opened before any network part starts.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.app import EXIT_STORAGE
from tests.storage_faults import damage_pages, database_with_data

ROOT = Path(__file__).resolve().parents[3]
UNUSED = "http://127.0.0.1:9"  # discard port: nothing may be called before the store opens


def environment(database: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ZADARMA_", "TELEGRAM_", "SLACK_"))}
    environ.update(
        ZADARMA_API_URL=UNUSED,
        ZADARMA_KEY="key",
        ZADARMA_SECRET="zadarma-secret-refusal-test",
        TELEGRAM_BOT_TOKEN="123456:refusal-test-token",
        TELEGRAM_API_BASE=UNUSED,
        DATABASE_URL=f"sqlite:///{database}",
        HTTP_HOST="127.0.0.1",
        HTTP_PORT="0",
        LOG_FORMAT="json",
    )
    return environ


async def run_bot(*args: str, env: dict[str, str]) -> tuple[int, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, err.decode().splitlines()


async def damaged(path: Path) -> Path:
    await database_with_data(path)
    damage_pages(path)
    return path


def not_a_database(path: Path) -> Path:
    path.write_bytes(b"SQLite is not what this is.\n" * 500)
    return path


def a_directory(path: Path) -> Path:
    path.mkdir()
    return path


async def made(kind: str, path: Path) -> Path:
    if kind == "damaged":
        return await damaged(path)
    return not_a_database(path) if kind == "not a database" else a_directory(path)


@pytest.mark.parametrize(
    ("kind", "says", "prefix", "exit_code"),
    [
        # Found only by opening the file (PRAGMA quick_check): a storage error.
        ("damaged", "is damaged", "storage error: ", EXIT_STORAGE),
        # Found from the path alone, with the rest of the configuration: a configuration error.
        ("not a database", "is not an SQLite database", "configuration error: ", 2),
        ("directory", "is a folder, not a database file", "configuration error: ", 2),
    ],
)
async def test_run_refuses_with_one_line_and_a_non_zero_exit(
    tmp_path: Path, kind: str, says: str, prefix: str, exit_code: int
) -> None:
    database = await made(kind, tmp_path / "bot.db")
    code, lines = await run_bot("run", env=environment(database))
    assert code == exit_code != 0
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith(prefix) and says in line and str(database) in line


async def test_the_demo_refuses_a_damaged_file_the_same_way(tmp_path: Path) -> None:
    database = await damaged(tmp_path / "demo.db")
    code, lines = await run_bot("demo", "--db", str(database), env=environment(tmp_path / "unused.db"))
    assert code == EXIT_STORAGE
    assert len(lines) == 1 and "is damaged" in lines[0] and str(database) in lines[0], lines


async def test_a_sound_file_is_not_refused(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    await database_with_data(database)
    code, lines = await run_bot("demo", "--db", str(database), env=environment(tmp_path / "unused.db"))
    assert code == 0, lines  # the demo ran on it (and ended at the end of its input)
    assert not any("storage error" in line for line in lines)
