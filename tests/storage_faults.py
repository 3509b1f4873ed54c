"""Real faults for a real SQLite file: damaged pages, and a write-ahead log the OS refuses to write.

Both work as root (where ``chmod`` stops nothing): the first overwrites pages
of a closed file, the second swaps the open WAL file descriptor of this
process for a read-only one, so SQLite's next ``write()`` fails in the kernel
(``EBADF``), which SQLite reports like any other refused write (a file system
remounted read-only, a full disk, a failing device): ``disk I/O error``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.storage import SqliteStorage, UserRef

PAGE = 4096  # SQLite's default page size


async def database_with_data(path: Path, rows: int = 1500) -> None:
    """Create the bot's database at ``path`` with enough rows to span many pages, then close it."""
    storage = await SqliteStorage.open(path)
    try:
        for i in range(rows):
            await storage.audit.record(
                f"telegram:{i}", "order", f"4822{i:07d}", {"note": "x" * 80, "i": i}, "ok"
            )
        await storage.users.upsert(UserRef("telegram", "501"), chat_id="501")
    finally:
        await storage.close()


def damage_pages(path: Path, count: int = 3) -> list[int]:
    """Overwrite ``count`` pages in the middle of the file with garbage; return their numbers (0-based)."""
    pages = path.stat().st_size // PAGE
    assert pages > 20, f"too small to damage in the middle: {pages} pages"
    chosen = [pages // 2 + 2 * k for k in range(count)]
    with path.open("r+b") as f:
        for number in chosen:
            f.seek(number * PAGE)
            f.write(bytes((number * 31 + k * 7) % 251 for k in range(PAGE)))
    return chosen


def _descriptors_of(target: Path) -> list[int]:
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == str(target):
                found.append(int(name))
        except OSError:
            continue
    return found


@contextmanager
def writes_refused(db_path: Path) -> Iterator[None]:
    """While inside, this process's writes to ``db_path``'s WAL file fail in the kernel.

    Only the WAL descriptor is swapped: closing a descriptor of the database
    file itself would drop SQLite's POSIX locks on it.
    """
    wal = Path(str(db_path.resolve()) + "-wal")
    descriptors = _descriptors_of(wal)
    assert descriptors, f"{wal} is not open in this process"
    saved = {fd: os.dup(fd) for fd in descriptors}
    try:
        for fd in descriptors:
            read_only = os.open(wal, os.O_RDONLY)
            os.dup2(read_only, fd)
            os.close(read_only)
        yield
    finally:
        for fd, original in saved.items():
            os.dup2(original, fd)
            os.close(original)
