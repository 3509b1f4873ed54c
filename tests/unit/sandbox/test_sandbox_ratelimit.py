"""Per-key fixed-window rate limit on the real monotonic clock."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from bot.sandbox import Sandbox, SandboxConfig
from bot.sandbox.ratelimit import RateLimiter
from tests.fakes.clock import FakeClock
from tests.unit.sandbox.sandbox_helpers import KEY, SECRET, SignedClient

WALL_START = datetime.fromtimestamp(1_700_000_000, UTC)


def test_fixed_window_counts_per_key_and_resets() -> None:
    t = FakeClock(WALL_START)
    limiter = RateLimiter(3, 60, monotonic=t.monotonic, wall=t.time)
    decisions = [limiter.hit("a") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[0].reset_epoch == 1_700_000_060
    assert limiter.hit("b").allowed  # another key has its own budget
    t.advance(30)
    assert not limiter.hit("a").allowed
    assert limiter.peek("a").reset_epoch == 1_700_000_060
    t.advance(30)
    fresh = limiter.hit("a")
    assert fresh.allowed and fresh.remaining == 2 and fresh.reset_epoch == 1_700_000_120
    assert fresh.headers == {
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "2",
        "X-RateLimit-Reset": "1700000120",
    }


def test_limiter_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="limit"):
        RateLimiter(0)
    with pytest.raises(ValueError, match="window"):
        RateLimiter(1, 0)


async def test_api_answers_429_over_the_limit_with_headers() -> None:
    t = FakeClock(WALL_START)
    sandbox = Sandbox(SandboxConfig(key=KEY, secret=SECRET, rate_limit=3), monotonic=t.monotonic, wall=t.time)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as http:
        client = SignedClient(http)
        responses = [await client.get("/v1/info/balance/") for _ in range(3)]
        assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["2", "1", "0"]
        assert all(r.headers["x-ratelimit-limit"] == "3" for r in responses)
        assert all(r.headers["x-ratelimit-reset"] == "1700000060" for r in responses)
        # control endpoints and emulated days do not touch the budget
        assert (await http.get("/_sandbox/stats")).status_code == 200
        await http.post("/_sandbox/clock/advance", params={"days": 5})
        over = await client.post("/v1/direct_numbers/order/", {"direction_id": 3201, "documents_group_id": 0})
        assert over.status_code == 429
        assert over.json()["status"] == "error" and "Rate limit exceeded" in over.json()["message"]
        assert over.headers["x-ratelimit-remaining"] == "0"
        assert sandbox.state.numbers == {}  # refused before handling
        # requests with a bad signature are refused before they count
        bad = await SignedClient(http, KEY, "wrong").get("/v1/info/balance/")
        assert bad.status_code == 401 and bad.headers["x-ratelimit-remaining"] == "0"
        t.advance(60)
        again = await client.get("/v1/info/balance/")
        assert again.status_code == 200 and again.headers["x-ratelimit-remaining"] == "2"


async def test_default_limit_is_100_per_minute(sandbox: Sandbox, client: SignedClient) -> None:
    statuses = [(await client.get("/v1/info/balance/")).status_code for _ in range(101)]
    assert statuses.count(200) == 100 and statuses[-1] == 429
