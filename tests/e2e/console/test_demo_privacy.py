"""Form answers at rest: the demo's real SQLite file never holds them in plain bytes; resuming still works."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

from bot.storage.keyfile import KEY_FILE_NAME
from bot.storage.sealing import new_key_text
from tests.e2e.console.driver import Demo

SURNAME = "Wiśniewska"
ID_NUMBER = "ZX9876543"
STREET = "Floriańska"
ANSWERS = [
    "Ewa",
    SURNAME,
    "ewa.private@example.com",
    "+48 12 345 67 89",
    "PL",
    "Kraków",
    "31-001",
    STREET,
    "5",
    f"{STREET} 5, 31-001 Kraków",
    ID_NUMBER,
]
SECRETS = (SURNAME, ID_NUMBER, STREET, "ewa.private@example.com", "345 67 89")


def fill_krakow_form(demo: Demo) -> None:
    """Order a Kraków number (documents and an ID number needed) and answer all but the last question."""
    demo.press("Order a number")
    demo.send("PL")
    demo.press("Kraków")
    demo.press("Any number")
    demo.press("New document group")
    demo.press("Mr")
    for answer in ANSWERS:
        demo.send(answer)
    assert "Middle name (optional)" in demo.screen


def files_of(db: Path) -> bytes:
    """The database, its write-ahead log and shared-memory index: everything SQLite keeps on disk."""
    found = sorted(db.parent.glob(db.name + "*"))
    assert db in found
    return b"".join(p.read_bytes() for p in found)


def assert_no_secret_on_disk(db: Path) -> None:
    blob = files_of(db)
    for secret in SECRETS:
        assert secret.encode() not in blob, f"{secret!r} is on disk in plain bytes"


def stored_row(db: Path) -> bytes:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return str(conn.execute("SELECT data FROM conversations").fetchone()[0]).encode()
    finally:
        conn.close()


def test_mid_form_and_after_cancel_no_answer_is_on_disk(
    tmp_path: Path, start_demo: Callable[..., Demo]
) -> None:
    db = tmp_path / "demo.db"
    demo = start_demo("--db", str(db))
    fill_krakow_form(demo)
    assert (tmp_path / "demo.db-wal").stat().st_size > 0  # the log holds the latest saves
    assert_no_secret_on_disk(db)
    sealed_mid_form = stored_row(db)
    assert sealed_mid_form.startswith(b"sealed:v1:")
    demo.send("/cancel")  # the demo asks before throwing a form away
    assert "Cancelled" in demo.send("yes")
    assert_no_secret_on_disk(db)
    assert sealed_mid_form not in files_of(db)  # not even the encrypted copy stays in the file or its log
    assert stat.S_IMODE((tmp_path / KEY_FILE_NAME).stat().st_mode) == 0o600
    assert demo.quit()[0] == 0


def test_a_long_form_resumes_after_a_restart(tmp_path: Path, start_demo: Callable[..., Demo]) -> None:
    db = tmp_path / "demo.db"
    first = start_demo("--db", str(db))
    fill_krakow_form(first)
    assert first.close_input()[0] == 0
    assert_no_secret_on_disk(db)
    second = start_demo("--db", str(db))
    assert "Middle name (optional)" in second.screen  # the same question, 11 answers kept
    second.press("Back")
    assert ID_NUMBER in second.screen  # the answer given before the restart, decrypted
    assert second.quit()[0] == 0


def test_a_wrong_key_is_one_clear_line(tmp_path: Path, start_demo: Callable[..., Demo]) -> None:
    db = tmp_path / "demo.db"
    first = start_demo("--db", str(db), env={"STATE_ENCRYPTION_KEY": new_key_text()})
    fill_krakow_form(first)
    assert first.close_input()[0] == 0
    wrong = new_key_text()
    second = start_demo("--db", str(db), env={"STATE_ENCRYPTION_KEY": wrong})
    code, err = second.close_input()
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("storage error: STATE_ENCRYPTION_KEY")
    assert "STATE_ENCRYPTION_OLD_KEYS" in lines[0] and wrong not in lines[0]


def test_rotation_keeps_the_form(tmp_path: Path, start_demo: Callable[..., Demo]) -> None:
    db = tmp_path / "demo.db"
    old, new = new_key_text(), new_key_text()
    first = start_demo("--db", str(db), env={"STATE_ENCRYPTION_KEY": old})
    fill_krakow_form(first)
    assert first.close_input()[0] == 0
    rotating = start_demo(
        "--db", str(db), env={"STATE_ENCRYPTION_KEY": new, "STATE_ENCRYPTION_OLD_KEYS": old}
    )
    assert "Middle name (optional)" in rotating.screen
    assert rotating.close_input()[0] == 0
    after = start_demo("--db", str(db), env={"STATE_ENCRYPTION_KEY": new})  # the old key is dropped
    assert "Middle name (optional)" in after.screen
    after.press("Back")
    assert ID_NUMBER in after.screen
    assert after.quit()[0] == 0
