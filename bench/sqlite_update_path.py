"""CPU of the SQLite statements every update makes, through the storage and run bare.

Run: ``.venv/bin/python bench/sqlite_update_path.py [--updates 4000] [--rounds 5]``.
Per update the storage does what the Telegram gate and the conversation engine
do: the inbox's begin, the conversation's load and save, the inbox's finish,
for 50 users (one update of a user at a time, as the engine's lock allows). Rounds alternate between:

* ``storage``: :class:`~bot.storage.SqliteStorage` as the bot opens it (a file
  in WAL mode, the bot's pragmas), one update at a time and 50 at once, on
  Python's own event loop and on uvloop;
* ``sqlite3``: the same four statements with the same parameters on a plain
  ``sqlite3`` connection to a file opened the same way, no event loop: the
  floor the storage is measured against.

Medians of CPU milliseconds per update (this process; SQLite's worker thread
included) are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import statistics
import tempfile
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from functools import partial
from typing import Any

import uvloop

from bot.storage import ConversationKey, SqliteStorage

USERS = 50
STATE = "x" * 1500  # about what a conversation state is sealed to mid-order


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def storage_round(path: str, updates: int, concurrent: int) -> float:
    storage = await SqliteStorage.open(path)
    try:
        gate = asyncio.Semaphore(concurrent)
        locks = {str(user): asyncio.Lock() for user in range(USERS)}  # one update of a user at a time

        async def update(i: int) -> None:
            key, user = f"telegram:1:update:{i}", str(i % USERS)
            conversation = ConversationKey("telegram", user, user)
            async with gate, locks[user]:
                await storage.inbox.begin(key, datetime.now(UTC))
                stored = await storage.conversations.get(conversation)
                await storage.conversations.save(
                    conversation, STATE, None if stored is None else stored.revision
                )
                await storage.inbox.finish(key)

        started = cpu_seconds()
        await asyncio.gather(*(update(i) for i in range(updates)))
        return (cpu_seconds() - started) / updates * 1000
    finally:
        await storage.close()


def bare_round(path: str, updates: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON", "secure_delete = ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS inbox (key TEXT PRIMARY KEY, payload TEXT, attempts INTEGER NOT NULL"
        " DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0, received_at TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS conversations (platform TEXT, chat_id TEXT, user_id TEXT, data TEXT,"
        " revision INTEGER, updated_at TEXT, PRIMARY KEY (platform, chat_id, user_id))"
    )
    started = cpu_seconds()
    for i in range(updates):
        key, user, now = f"telegram:1:update:{i}", str(i % USERS), datetime.now(UTC).isoformat()
        conn.execute(
            "INSERT INTO inbox (key, payload, attempts, received_at) VALUES (?, NULL, 1, ?)"
            " ON CONFLICT (key) DO UPDATE SET attempts = inbox.attempts + 1 WHERE inbox.finished = 0"
            " RETURNING attempts",
            (key, now),
        ).fetchall()
        conn.execute(
            "SELECT data, revision, updated_at FROM conversations WHERE platform = ? AND chat_id = ?"
            " AND user_id = ?",
            ("telegram", user, user),
        ).fetchall()
        conn.execute(
            "INSERT INTO conversations VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (platform, chat_id, user_id)"
            " DO UPDATE SET data = excluded.data, revision = conversations.revision + 1 RETURNING revision",
            ("telegram", user, user, STATE, now),
        ).fetchall()
        conn.execute("UPDATE inbox SET finished = 1, payload = NULL WHERE key = ?", (key,)).fetchall()
    spent = (cpu_seconds() - started) / updates * 1000
    conn.close()
    return spent


def _run_storage(
    run: Callable[[Coroutine[Any, Any, float]], float], path: str, *, updates: int, concurrent: int
) -> float:
    return run(storage_round(path, updates, concurrent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sides: dict[str, Callable[[str], float]] = {
        "sqlite3 (no event loop)": lambda path: bare_round(path, args.updates),
    }
    for loop_name, run in (("asyncio", asyncio.run), ("uvloop", uvloop.run)):
        for concurrent in (1, USERS):
            sides[f"storage, {loop_name}, {concurrent} at once"] = partial(
                _run_storage, run, updates=args.updates, concurrent=concurrent
            )
    figures: dict[str, list[float]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory() as directory:
        for round_ in range(args.rounds):
            for index, (name, side) in enumerate(sides.items()):
                figures[name].append(side(os.path.join(directory, f"round{round_}-side{index}.db")))
    print(f"{args.updates} updates a round (begin, load, save, finish); {args.rounds} rounds; medians")
    print(f"{'side':40} {'CPU ms per update':>18} {'min':>7} {'max':>7}")
    for name, values in figures.items():
        print(f"{name:40} {statistics.median(values):18.3f} {min(values):7.3f} {max(values):7.3f}")


if __name__ == "__main__":
    main()
