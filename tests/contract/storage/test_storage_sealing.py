"""Conversation states encrypted at rest in a real SQLite file: what is on disk, keys, rotation."""

from __future__ import annotations

import json
import logging
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.storage import AlertClaim, ConversationKey, SqliteStorage, StorageError, open_storage, utc_now
from bot.storage.keyfile import KEY_FILE_NAME
from bot.storage.sealing import (
    WRITTEN_KEPT,
    SealedConversations,
    StateCipher,
    StateKeyError,
    StateKeys,
    key_id,
    new_key_text,
    parse_key,
)
from conversations.state import ConversationState, FormField, FormState, holds_form_answers

KEY = ConversationKey("telegram", "100", "100")
OTHER = ConversationKey("telegram", "200", "200")
SURNAME = "Wiśniewska"
ID_NUMBER = "ZX9876543"
KEY_A = StateKeys(parse_key(new_key_text()))
KEY_B = StateKeys(parse_key(new_key_text()))


def mid_form() -> str:
    """A real state as the engine dumps it, in the middle of a document form."""
    state = ConversationState(step="order.form")
    state.form = FormState(
        origin="order",
        fields=[FormField(name="last_name", required=True), FormField(name="id_number", required=True)],
        index=2,
        answers={"last_name": SURNAME, "id_number": ID_NUMBER, "email": "ewa@example.com"},
    )
    return state.dump()


def after_form() -> str:
    state = ConversationState(step="menu")
    return state.dump()


def on_disk(db: Path) -> bytes:
    """Every byte of the database and its journal files."""
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


def raw_rows(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        return {row[0]: row[1] for row in conn.execute("SELECT user_id, data FROM conversations")}
    finally:
        conn.close()


async def test_answers_never_reach_the_disk_in_plain_bytes(db_path: Path) -> None:
    storage = await open_storage(f"sqlite:///{db_path}", holds_secrets=holds_form_answers)
    try:
        revision = await storage.conversations.save(KEY, mid_form(), 0)
        assert (db_path.parent / (db_path.name + "-wal")).exists()  # the journal is scanned too
        blob = on_disk(db_path)
        for secret in (SURNAME, ID_NUMBER, "ewa@example.com"):
            assert secret.encode() not in blob
        stored = await storage.conversations.get(KEY)
        assert stored is not None and stored.data == mid_form() and stored.revision == revision
    finally:
        await storage.close()


async def test_state_without_answers_wipes_the_old_ciphertext_from_file_and_journal(db_path: Path) -> None:
    storage = await open_storage(f"sqlite:///{db_path}", holds_secrets=holds_form_answers)
    try:
        await storage.conversations.save(KEY, mid_form(), 0)
        sealed = raw_rows(db_path)[KEY.user_id].encode()
        assert sealed in on_disk(db_path)
        await storage.conversations.save(KEY, after_form(), 1)  # the group was created, or /cancel
        assert sealed not in on_disk(db_path)
        assert (db_path.parent / (db_path.name + "-wal")).stat().st_size == 0
    finally:
        await storage.close()


async def test_deleting_a_conversation_with_answers_wipes_it(db_path: Path) -> None:
    storage = await open_storage(f"sqlite:///{db_path}", holds_secrets=holds_form_answers)
    try:
        await storage.conversations.save(KEY, mid_form(), 0)
        sealed = raw_rows(db_path)[KEY.user_id].encode()
        assert await storage.conversations.delete(KEY)
        assert sealed not in on_disk(db_path)
    finally:
        await storage.close()


async def test_generated_key_file_is_private_and_resumes_after_a_restart(db_path: Path) -> None:
    url = f"sqlite:///{db_path}"
    first = await open_storage(url)
    await first.conversations.save(KEY, mid_form(), 0)
    await first.close()
    key_file = db_path.parent / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key_text = key_file.read_text()
    second = await open_storage(url)
    try:
        stored = await second.conversations.get(KEY)
        assert stored is not None and stored.data == mid_form()
    finally:
        await second.close()
    assert key_file.read_text() == key_text  # read again, not replaced


async def test_a_wrong_key_stops_the_start_with_one_line_naming_what_to_do(db_path: Path) -> None:
    first = await SqliteStorage.open(db_path, keys=KEY_A)
    await first.conversations.save(KEY, mid_form(), 0)
    await first.close()
    with pytest.raises(StateKeyError) as raised:
        await SqliteStorage.open(db_path, keys=KEY_B)
    message = str(raised.value)
    assert "\n" not in message
    assert "STATE_ENCRYPTION_KEY" in message and "STATE_ENCRYPTION_OLD_KEYS" in message
    assert key_id(KEY_A.current) in message and str(db_path) in message
    assert new_key_text() not in message and isinstance(raised.value, StorageError)


async def test_rotation_reencrypts_every_row_under_the_new_key(db_path: Path) -> None:
    first = await SqliteStorage.open(db_path, keys=KEY_A)
    await first.conversations.save(KEY, mid_form(), 0)
    await first.conversations.save(OTHER, after_form(), 0)
    await first.close()
    rotated = await SqliteStorage.open(db_path, keys=StateKeys(KEY_B.current, (KEY_A.current,)))
    await rotated.close()
    for data in raw_rows(db_path).values():
        assert data.startswith(f"sealed:v1:{key_id(KEY_B.current)}:")
    only_new = await SqliteStorage.open(db_path, keys=KEY_B)  # the old key is no longer needed
    try:
        stored = await only_new.conversations.get(KEY)
        assert stored is not None and stored.data == mid_form() and stored.revision == 1
    finally:
        await only_new.close()
    with pytest.raises(StateKeyError):
        await SqliteStorage.open(db_path, keys=KEY_A)


async def test_plain_rows_from_before_are_encrypted_at_start(db_path: Path) -> None:
    plain = await SqliteStorage.open(db_path)
    await plain.conversations.save(KEY, mid_form(), 0)
    await plain.close()
    assert SURNAME.encode() in on_disk(db_path)
    sealed = await SqliteStorage.open(db_path, keys=KEY_A)
    try:
        assert SURNAME.encode() not in on_disk(db_path)
        stored = await sealed.conversations.get(KEY)
        assert stored is not None and stored.data == mid_form()
    finally:
        await sealed.close()


async def test_a_row_moved_to_another_user_or_altered_starts_over(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    storage = await SqliteStorage.open(db_path, keys=KEY_A)
    try:
        await storage.conversations.save(KEY, mid_form(), 0)
        await storage.conversations.save(OTHER, after_form(), 0)
        conn = sqlite3.connect(db_path)
        conn.execute(
            "UPDATE conversations SET data = (SELECT data FROM conversations WHERE user_id = ?) "
            "WHERE user_id = ?",
            (KEY.user_id, OTHER.user_id),
        )
        conn.commit()
        conn.close()
        with caplog.at_level(logging.WARNING, "bot.storage.sealing"):
            stored = await storage.conversations.get(OTHER)
        assert stored is not None and stored.data == ""  # unreadable: the engine starts over
        assert "cannot be decrypted" in caplog.text and SURNAME not in caplog.text
    finally:
        await storage.close()


def test_holds_form_answers_sees_answers_only() -> None:
    assert holds_form_answers(mid_form())
    assert not holds_form_answers(after_form())
    empty = ConversationState(step="order.form")
    empty.form = FormState(origin="order", fields=[FormField(name="first_name", required=True)])
    assert not holds_form_answers(empty.dump())


async def test_a_kept_update_is_sealed_on_disk_and_opens_for_the_replay(db_path: Path) -> None:
    """A customer's typed answer waits in the update inbox until handled: sealed like the state."""
    update = json.dumps({"update_id": 7, "message": {"text": f"{SURNAME} {ID_NUMBER}"}})
    storage = await open_storage(f"sqlite:///{db_path}", holds_secrets=holds_form_answers)
    try:
        assert await storage.inbox.receive("telegram:1:update:7", update, utc_now())
        blob = on_disk(db_path)
        assert SURNAME.encode() not in blob and ID_NUMBER.encode() not in blob
        [entry] = await storage.inbox.unfinished("telegram:1:")
        assert entry.payload == update
    finally:
        await storage.close()
    # the same row under a key that does not open it: given up (no payload), not a crash
    other = await SqliteStorage.open(db_path, keys=KEY_B)
    try:
        [entry] = await other.inbox.unfinished("telegram:1:")
        assert entry.payload is None
    finally:
        await other.close()


async def test_updates_kept_in_a_batch_are_sealed_on_disk_each_under_its_own_key(db_path: Path) -> None:
    first = json.dumps({"update_id": 8, "message": {"text": SURNAME}})
    second = json.dumps({"update_id": 9, "message": {"text": ID_NUMBER}})
    storage = await SqliteStorage.open(db_path, keys=KEY_A)
    try:
        batch = [("telegram:1:update:8", first), ("telegram:1:update:9", second)]
        assert await storage.inbox.receive_many(batch, utc_now()) == 2
        blob = on_disk(db_path)
        assert SURNAME.encode() not in blob and ID_NUMBER.encode() not in blob
        assert sorted((e.key, e.payload) for e in await storage.inbox.unfinished("telegram:1:")) == batch
    finally:
        await storage.close()
    # a sealed payload moved under the other update's key does not open there
    conn = sqlite3.connect(db_path)
    try:
        conn.execute(
            "UPDATE update_inbox SET payload = (SELECT payload FROM update_inbox WHERE key = ?)"
            " WHERE key = ?",
            ("telegram:1:update:8", "telegram:1:update:9"),
        )
        conn.commit()
    finally:
        conn.close()
    storage = await SqliteStorage.open(db_path, keys=KEY_A)
    try:
        entries = {e.key: e.payload for e in await storage.inbox.unfinished("telegram:1:")}
        assert entries == {"telegram:1:update:8": first, "telegram:1:update:9": None}
    finally:
        await storage.close()


async def test_alerts_claimed_in_a_batch_keep_correspondence_sealed(db_path: Path) -> None:
    text, sender, number = "Kod: 739184", "48600777123", "48221234567"
    payload = {"params": {"number": number, "from": sender, "text": text}, "actions": []}
    storage = await SqliteStorage.open(db_path, keys=KEY_A)
    try:
        claim = AlertClaim("sms:1", "sms_received", number, payload, ("telegram:1",))
        assert await storage.alerts.claim_many([claim]) == {"sms:1"}
        alert = await storage.alerts.get("sms:1")
        assert alert is not None and alert.payload == payload
        conn = sqlite3.connect(db_path)
        try:
            [(stored,)] = conn.execute("SELECT payload FROM alerts").fetchall()
            # the same sealed values under another key do not open: they are bound to their alert
            conn.execute("UPDATE alerts SET key = 'sms:2'")
            conn.execute("UPDATE alert_deliveries SET alert_key = 'sms:2'")
            conn.commit()
        finally:
            conn.close()
        assert text not in stored and sender not in stored and number in stored
        moved = await storage.alerts.get("sms:2")
        assert moved is not None and moved.payload["params"]["text"] == "—"
    finally:
        await storage.close()


class CountingCipher(StateCipher):
    """The real cipher, counting the states it opens."""

    def __init__(self, keys: StateKeys) -> None:
        super().__init__(keys)
        self.opened = 0

    def open(self, key: ConversationKey, stored: str) -> str:
        self.opened += 1
        return super().open(key, stored)


async def test_a_state_this_process_sealed_reads_back_without_opening_it(db_path: Path) -> None:
    storage = await SqliteStorage.open(db_path, keys=KEY_A)
    cipher = CountingCipher(KEY_A)
    repo = SealedConversations(storage.raw_conversations, cipher, holds_secrets=holds_form_answers)
    try:
        await repo.save(KEY, mid_form(), 0)
        for _ in range(3):
            stored = await repo.get(KEY)
            assert stored is not None and stored.data == mid_form() and stored.revision == 1
        assert cipher.opened == 0
        fresh = SealedConversations(storage.raw_conversations, CountingCipher(KEY_A))
        assert (await fresh.get(KEY)) == stored  # what another process reads from the same row
    finally:
        await storage.close()


async def test_a_state_another_process_saved_since_is_opened_and_read(db_path: Path) -> None:
    mine = await SqliteStorage.open(db_path, keys=KEY_A)
    other = await SqliteStorage.open(db_path, keys=KEY_A)
    try:
        await mine.conversations.save(KEY, mid_form(), 0)
        assert (await other.conversations.save(KEY, after_form(), 1)) == 2
        stored = await mine.conversations.get(KEY)
        assert stored is not None and stored.data == after_form() and stored.revision == 2
    finally:
        await other.close()
        await mine.close()


async def test_states_beyond_those_remembered_and_deleted_ones_read_as_stored(db_path: Path) -> None:
    storage = await SqliteStorage.open(db_path, keys=KEY_A)
    cipher = CountingCipher(KEY_A)
    repo = SealedConversations(storage.raw_conversations, cipher)
    keys = [ConversationKey("telegram", str(i), str(i)) for i in range(WRITTEN_KEPT + 1)]
    try:
        for i, key in enumerate(keys):
            await repo.save(key, f'{{"seq":{i}}}', 0)
        for i, key in enumerate(keys):
            stored = await repo.get(key)
            assert stored is not None and stored.data == f'{{"seq":{i}}}'
        assert cipher.opened == 1  # only the first, pushed out by the last
        assert await repo.delete(keys[-1])
        assert await repo.get(keys[-1]) is None
        await repo.save(keys[-1], '{"seq":-1}', 0)
        stored = await repo.get(keys[-1])
        assert stored is not None and stored.data == '{"seq":-1}' and stored.revision == 1
    finally:
        await storage.close()
