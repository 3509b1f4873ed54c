"""What only the PostgreSQL store has: replicas on one server, its migrations, its failures.

Every test works in a schema of its own on the test server (``pg_schema``),
dropped afterwards; "replicas" are separate :class:`PostgresStorage` objects,
each with its own pool of connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import health_app, write_probe
from bot.storage import (
    AlertClaim,
    IntentKind,
    SchemaVersionError,
    StaleRevisionError,
    StorageError,
    UserRef,
    open_storage,
)
from bot.storage.errors import DatabaseServerError, StorageUnavailableError
from bot.storage.postgres import PostgresStorage
from bot.storage.postgres.conversations import PostgresConversations
from bot.storage.postgres.migrations import _LOCK_CLASS, MIGRATIONS
from bot.storage.postgres.storage import server_name
from bot.storage.records import ConversationKey
from bot.storage.sealing import PREFIX as SEALED_PREFIX
from bot.storage.sealing import StateKeys
from tests.fakes.clock import FakeClock

Admin: TypeAlias = "asyncpg.Connection[asyncpg.Record]"  # a string: asyncpg is generic for mypy only

ALICE = UserRef("telegram", "1")
BOB = UserRef("telegram", "2")
TG, SLACK = "telegram:1", "slack:C1"


@pytest.fixture
async def admin(postgres_url: str) -> AsyncIterator[Admin]:
    """A plain connection of the test's own, outside any store."""
    conn = await asyncpg.connect(postgres_url)
    yield conn
    await conn.close()


@pytest.fixture
async def store(postgres_url: str, pg_schema: str, clock: FakeClock) -> AsyncIterator[PostgresStorage]:
    storage = await PostgresStorage.open(postgres_url, schema=pg_schema, clock=clock)
    yield storage
    await storage.close()


async def replicas(url: str, schema: str, clock: FakeClock, n: int = 2) -> list[PostgresStorage]:
    return list(
        await asyncio.gather(*(PostgresStorage.open(url, schema=schema, clock=clock) for _ in range(n)))
    )


async def test_replicas_starting_together_migrate_once(
    postgres_url: str, pg_schema: str, admin: Admin, clock: FakeClock
) -> None:
    stores = await replicas(postgres_url, pg_schema, clock, n=4)
    try:
        rows = await admin.fetch(f"SELECT version, name FROM {pg_schema}.schema_migrations ORDER BY version")
        assert [(r["version"], r["name"]) for r in rows] == [(m.version, m.name) for m in MIGRATIONS]
        assert {await s.schema_version() for s in stores} == {len(MIGRATIONS)}
        await stores[0].alerts.save_snapshot("s", "1")
        assert await stores[3].alerts.load_snapshot("s") == "1"
    finally:
        for s in stores:
            await s.close()


async def test_migrations_wait_for_the_advisory_lock(postgres_url: str, pg_schema: str, admin: Admin) -> None:
    await admin.execute("SELECT pg_advisory_lock($1, hashtext($2))", _LOCK_CLASS, pg_schema)
    opening = asyncio.create_task(PostgresStorage.open(postgres_url, schema=pg_schema))
    try:
        await asyncio.sleep(0.5)
        assert not opening.done()  # another "replica" holds the lock: nothing is applied meanwhile
        assert await admin.fetchval("SELECT to_regclass($1)", f"{pg_schema}.conversations") is None
    finally:
        await admin.execute("SELECT pg_advisory_unlock($1, hashtext($2))", _LOCK_CLASS, pg_schema)
    storage = await asyncio.wait_for(opening, 10)
    assert await storage.schema_version() == len(MIGRATIONS)
    await storage.close()


async def test_a_newer_schema_is_refused(
    postgres_url: str, pg_schema: str, admin: Admin, store: PostgresStorage
) -> None:
    await admin.execute(
        f"INSERT INTO {pg_schema}.schema_migrations VALUES ($1, 'from the future', now())",
        len(MIGRATIONS) + 1,
    )
    with pytest.raises(SchemaVersionError, match="newer than this code"):
        await PostgresStorage.open(postgres_url, schema=pg_schema)


async def test_two_replicas_spend_money_once(postgres_url: str, pg_schema: str, clock: FakeClock) -> None:
    a, b = await replicas(postgres_url, pg_schema, clock)
    try:
        created = await asyncio.gather(
            *(s.intents.create("order-1", IntentKind.ORDER, ALICE, {"n": 1}) for s in (a, b) * 10)
        )
        assert [flag for _, flag in created].count(True) == 1
        assert all(intent == created[0][0] for intent, _ in created)  # every caller got the one intent
        sending = await asyncio.gather(*(s.intents.mark_sending("order-1") for s in (a, b) * 10))
        assert sending.count(True) == 1
        claims = await asyncio.gather(
            *(s.alerts.claim("a1", "expiry", "1", {}, [TG, SLACK]) for s in (a, b) * 10)
        )
        assert claims.count(True) == 1
        assert len(await b.alerts.deliveries("a1")) == 2
        leases = await asyncio.gather(
            *(s.alerts.try_acquire_lease("scan", f"r{i}", 60, clock.now) for i, s in enumerate((a, b) * 10))
        )
        assert leases.count(True) == 1
        seen = await asyncio.gather(*(s.dedup.seen_once("ev", clock.now, 60) for s in (a, b) * 10))
        assert seen.count(True) == 1
        owners = await asyncio.gather(
            *(
                s.ownership.claim_number("4812", user, "x")
                for s, user in zip((a, b) * 10, (ALICE, BOB) * 10, strict=True)
            )
        )
        assert len(set(owners)) == 1
    finally:
        await a.close()
        await b.close()


async def test_two_replicas_batch_claims_claim_each_key_once(
    postgres_url: str, pg_schema: str, clock: FakeClock
) -> None:
    """Overlapping batches, in opposite orders, from two replicas: every key once, nobody stuck."""
    a, b = await replicas(postgres_url, pg_schema, clock)
    try:
        keys = [f"k{i:05d}" for i in range(1200)]  # several chunks each

        def batch(chosen: list[str], destination: str) -> list[AlertClaim]:
            return [AlertClaim(key, "expiry", "1", {}, (destination,)) for key in chosen]

        results = await asyncio.gather(
            a.alerts.claim_many(batch(keys, TG)),
            b.alerts.claim_many(batch(keys[::-1], SLACK)),
            a.alerts.claim_many(batch(keys[400:], TG)),
            b.alerts.claim_many(batch(keys[::3], SLACK)),
        )
        assert set().union(*results) == set(keys)
        assert sum(len(claimed) for claimed in results) == len(keys)
        assert (await b.alerts.delivery_backlog(clock.now)).waiting == len(keys)
        for key in keys[::150]:
            assert len(await a.alerts.deliveries(key)) == 1
    finally:
        await a.close()
        await b.close()


async def test_batches_given_in_opposite_orders_do_not_deadlock(
    postgres_url: str, pg_schema: str, admin: Admin, clock: FakeClock
) -> None:
    """Both batches wait on a key another transaction holds; then each must not wait on the other."""
    a, b = await replicas(postgres_url, pg_schema, clock)
    try:
        blocker = admin.transaction()
        await blocker.start()
        await admin.execute(f"INSERT INTO {pg_schema}.alerts VALUES ('m', 'x', '1', '{{}}', now())")

        def batch(keys: str) -> list[AlertClaim]:
            return [AlertClaim(key, "expiry", "1", {}, (TG,)) for key in keys]

        forward = asyncio.create_task(a.alerts.claim_many(batch("amz")))
        backward = asyncio.create_task(b.alerts.claim_many(batch("zma")))
        await asyncio.sleep(0.3)  # both stopped at "m", having inserted what comes before it
        await blocker.rollback()
        results = await asyncio.wait_for(asyncio.gather(forward, backward), 10)
        assert set().union(*results) == {"a", "m", "z"}
        assert sum(len(claimed) for claimed in results) == 3
    finally:
        await a.close()
        await b.close()


async def test_one_target_is_held_by_one_intent_across_replicas(
    postgres_url: str, pg_schema: str, clock: FakeClock
) -> None:
    a, b = await replicas(postgres_url, pg_schema, clock)
    try:
        results = await asyncio.gather(
            *(
                s.intents.create(f"prolong-{i}", IntentKind.PROLONG, ALICE, {}, target="4812")
                for i, s in enumerate((a, b) * 5)
            ),
            return_exceptions=True,
        )
        created = [r for r in results if isinstance(r, tuple)]
        assert len(created) == 1 and created[0][1] is True
        assert all(
            isinstance(r, StorageError) and "held by" in str(r) for r in results if r is not created[0]
        )
    finally:
        await a.close()
        await b.close()


async def test_one_revision_is_saved_once_across_replicas(
    postgres_url: str, pg_schema: str, clock: FakeClock
) -> None:
    a, b = await replicas(postgres_url, pg_schema, clock)
    key = ConversationKey("telegram", "1", "1")
    try:
        assert await a.conversations.save(key, "v1", 0) == 1
        results = await asyncio.gather(
            *(s.conversations.save(key, f"from {i}", 1) for i, s in enumerate((a, b) * 5)),
            return_exceptions=True,
        )
        assert results.count(2) == 1
        assert all(isinstance(r, StaleRevisionError) and r.actual == 2 for r in results if r != 2)
    finally:
        await a.close()
        await b.close()


async def test_due_deliveries_skip_rows_another_replica_has_locked(
    store: PostgresStorage, admin: Admin, pg_schema: str, clock: FakeClock
) -> None:
    await store.alerts.claim("a1", "expiry", "1", {}, [TG, SLACK])
    async with admin.transaction():
        await admin.execute(
            f"SELECT 1 FROM {pg_schema}.alert_deliveries WHERE destination = $1 FOR UPDATE", TG
        )
        due = await asyncio.wait_for(store.alerts.due_deliveries(clock.now, 10), 5)  # skipped, not waited for
        assert [d.destination for d in due] == [SLACK]
    assert [d.destination for d in await store.alerts.due_deliveries(clock.now, 10)] == [TG, SLACK]


async def test_each_probe_commits_a_write(store: PostgresStorage, admin: Admin, pg_schema: str) -> None:
    for expected in (1, 2, 3):
        await store.probe_write()
        assert await admin.fetchval(f"SELECT writes FROM {pg_schema}.storage_probe") == expected


@pytest.fixture
async def read_only_store(
    postgres_url: str, pg_schema: str, store: PostgresStorage
) -> AsyncIterator[PostgresStorage]:
    """A second store on the migrated schema whose every transaction is read-only (a standby, a full disk)."""
    storage = await PostgresStorage.open(f"{postgres_url}?default_transaction_read_only=on", schema=pg_schema)
    yield storage
    await storage.close()


async def test_a_read_only_server_opens_but_fails_the_write_probe(read_only_store: PostgresStorage) -> None:
    assert await read_only_store.conversations.count() == 0  # reads work: a reading probe would stay green
    with pytest.raises(StorageError, match="read-only transaction"):
        await read_only_store.probe_write()
    app = health_app([], {"database": write_probe(read_only_store.probe_write, reuse_for=0)})
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        state = (await response.json())["parts"]["database"]
        assert state["error"] == "DatabaseServerError"
        assert state["reason"] == "cannot execute INSERT in a read-only transaction"  # no server address


async def test_a_dropped_connection_fails_at_most_one_probe_then_the_pool_reconnects(
    postgres_url: str, pg_schema: str, admin: Admin
) -> None:
    storage = await PostgresStorage.open(postgres_url, schema=pg_schema, pool_size=1)
    try:
        pid = await storage._db.fetchval("SELECT pg_backend_pid()")
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid) is True
        # Whether the pool notices the drop before the probe uses the connection depends on
        # when the loop reads the server's goodbye: the probe either fails as a storage error
        # naming the server (no address beyond it) or already runs on a fresh connection.
        try:
            await storage.probe_write()
        except StorageUnavailableError as exc:
            assert server_name(postgres_url) in str(exc)
        await storage.probe_write()  # a fresh connection in any case
        assert await storage._db.fetchval("SELECT pg_backend_pid()") != pid
    finally:
        await storage.close()


async def test_a_closed_store_refuses_work(store: PostgresStorage) -> None:
    await store.close()
    with pytest.raises(StorageUnavailableError):
        await store.probe_write()
    await store.close()


@pytest.mark.parametrize(
    ("url", "error", "names"),
    [
        ("postgresql://bot:s3cret@127.0.0.1:1/bot", StorageUnavailableError, "127.0.0.1:1/bot"),
        (None, StorageError, "does not exist"),
    ],
)
async def test_a_server_that_cannot_be_used_is_one_line_without_the_password(
    postgres_url: str, url: str | None, error: type[StorageError], names: str
) -> None:
    if url is None:  # the test server (trust auth ignores the password), a database that is not there
        parts = urlsplit(postgres_url)
        user, port = parts.username or "postgres", parts.port or 5432
        url = f"postgresql://{user}:s3cret@{parts.hostname}:{port}/nope_db"
    with pytest.raises(error) as caught:
        await PostgresStorage.open(url, connect_timeout=3)
    message = str(caught.value)
    assert names in message and "\n" not in message
    assert "s3cret" not in message


async def test_open_storage_takes_a_postgresql_url(postgres_url: str, pg_schema: str) -> None:
    url = f"{postgres_url}?search_path={pg_schema}&pool_size=2".replace("postgresql://", "postgres://", 1)
    async with await open_storage(url) as storage:
        assert isinstance(storage, PostgresStorage)
        await storage.audit.record("a", "b", "c", {"k": 1}, "ok")
        [entry] = await storage.audit.list()
        assert entry.details == {"k": 1}


async def test_lookups_use_indexes(store: PostgresStorage, admin: Admin, pg_schema: str) -> None:
    await admin.execute(f"SET search_path = {pg_schema}")
    await admin.execute("SET enable_seqscan = off")  # tiny tables: ask whether an index *can* serve
    plans: dict[str, Any] = {}
    for name, sql in {
        "due": "SELECT * FROM alert_deliveries WHERE status IN ('pending', 'failed') "
        "AND next_attempt_at <= now() ORDER BY next_attempt_at, seq LIMIT 10",
        "by_status": "SELECT * FROM intents WHERE status = 'pending' ORDER BY created_at, seq",
        "unfinished": "SELECT * FROM update_inbox WHERE NOT finished ORDER BY received_at",
    }.items():
        plans[name] = "\n".join(r[0] for r in await admin.fetch("EXPLAIN " + sql))
    for name, plan in plans.items():
        assert "Index" in plan, (name, plan)


async def test_open_storage_seals_conversations_with_the_given_key(
    postgres_url: str, pg_schema: str, admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"{postgres_url}?search_path={pg_schema}"
    key = ConversationKey("telegram", "1", "1")
    async with await open_storage(url, keys=StateKeys(bytes(range(32)))) as storage:
        await storage.conversations.save(key, '{"surname": "Kowalska"}', None)
        assert (await storage.conversations.get(key)).data == '{"surname": "Kowalska"}'  # type: ignore[union-attr]
    stored = await admin.fetchval(f"SELECT data FROM {pg_schema}.conversations")
    assert stored.startswith(SEALED_PREFIX) and "Kowalska" not in stored
    assert "unencrypted" not in caplog.text


async def test_open_storage_without_a_key_warns_that_states_are_plain(
    postgres_url: str, pg_schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with await open_storage(f"{postgres_url}?search_path={pg_schema}") as storage:
        assert isinstance(storage.conversations, PostgresConversations)
    assert "STATE_ENCRYPTION_KEY is not set" in caplog.text


async def test_a_batch_of_updates_that_fails_half_way_keeps_none(
    store: PostgresStorage, admin: Admin, pg_schema: str, clock: FakeClock
) -> None:
    await admin.execute(
        f"CREATE FUNCTION {pg_schema}.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN IF NEW.payload = 'poison' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$"
    )
    await admin.execute(
        f"CREATE TRIGGER refuse_poison BEFORE INSERT ON {pg_schema}.update_inbox"
        f" FOR EACH ROW EXECUTE FUNCTION {pg_schema}.refuse_poison()"
    )
    batch = [("tg:1:update:1", "one"), ("tg:1:update:2", "poison"), ("tg:1:update:3", "three")]
    with pytest.raises(DatabaseServerError, match="refused"):
        await store.inbox.receive_many(batch, clock.now)
    assert await store.inbox.unfinished("") == []
    assert await store.inbox.receive_many([batch[0], batch[2]], clock.now) == 2
