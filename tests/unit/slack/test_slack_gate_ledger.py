"""Slack's side of the kit gate: the dedup keys as its ledger, and what the one log line calls a request."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.gate import DEDUP_TTL_SECONDS, Gate, SeenOnce
from adapters.slack.outbox import Outbox
from adapters.slack.tasks import BackgroundTasks
from bot.storage.memory import MemoryStorage

START = datetime(2026, 1, 1, tzinfo=UTC)


class BrokenDedup:
    async def seen_once(self, key: str, now: datetime, ttl_seconds: float) -> bool:
        raise ConnectionError("the store is away")


def broken_storage() -> MemoryStorage:
    storage = MemoryStorage()
    storage.dedup = BrokenDedup()  # type: ignore[assignment]
    return storage


async def test_a_delivery_begins_once_within_the_ttl() -> None:
    now = [START]
    ledger = SeenOnce(MemoryStorage(), lambda: now[0])

    assert await ledger.begin("slack:command:t1") == 1
    assert await ledger.begin("slack:command:t1") is None  # Slack's retry
    assert await ledger.begin("slack:command:t2") == 1
    now[0] = START + timedelta(seconds=DEDUP_TTL_SECONDS + 1)
    assert await ledger.begin("slack:command:t1") == 1  # long forgotten
    await ledger.finish("slack:command:t1")  # nothing to do: remembered from the first sight
    assert await ledger.begin("slack:command:t1") is None


async def test_a_request_without_a_key_and_a_failing_store_are_handled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await SeenOnce(MemoryStorage(), lambda: START).begin("") == 1
    assert await SeenOnce(MemoryStorage(), lambda: START).begin("") == 1  # nothing to tell retries by

    with caplog.at_level(logging.ERROR, logger="adapters.slack.gate"):
        assert await SeenOnce(broken_storage(), lambda: START).begin("slack:command:t1") == 1
    assert "slack de-duplication failed" in caplog.text


def _gate() -> Gate:
    return Gate(
        admin_users=frozenset({"UADMIN"}),
        storage=MemoryStorage(),
        outbox=Outbox(AsyncWebClient(token="xoxb-x", base_url="http://127.0.0.1:9/")),
        tasks=BackgroundTasks(),
        now=lambda: datetime.now(UTC),
    )


async def _dispatched(gate: Gate, body: dict[str, Any]) -> None:
    async def nxt() -> None:
        return None

    async with gate.updates.scope():
        assert await gate.guard(body, nxt) is None


COMMAND = {"command": "/numbers", "text": "help", "user_id": "UADMIN", "trigger_id": "t1"}
PRESS = {
    "type": "block_actions",
    "user": {"id": "UADMIN"},
    "trigger_id": "t2",
    "actions": [{"action_id": "zb.x", "action_ts": "1"}],
}
HOME = {"type": "event_callback", "event": {"type": "app_home_opened", "user": "UADMIN", "tab": "home"}}


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (COMMAND, "command"),
        (PRESS, "block_actions"),
        (dict(HOME, event_id="Ev1"), "event_callback"),
        (HOME, "event_callback"),
    ],
    ids=["command", "press", "event", "event without an id"],
)
async def test_the_log_line_names_the_kind_of_request(
    body: dict[str, Any], kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.kit.gate")

    await _dispatched(_gate(), body)

    [line] = [r for r in caplog.records if r.getMessage() == "slack update"]
    fields = (line.kind, line.user, line.outcome, line.attempt)  # type: ignore[attr-defined]
    assert fields == (kind, "slack:UADMIN", "handled", 1)
