"""The client-side request budget."""

from __future__ import annotations

from bot.zadarma.ratelimit import RateLimiter, parse_reset


class FakeClock:
    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall = 1_700_000_000.0

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds


def make(per_minute: int) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(per_minute, clock=lambda: clock.mono, wall=lambda: clock.wall), clock


async def test_window_allows_the_budget_then_waits_for_the_oldest() -> None:
    limiter, clock = make(3)
    for _ in range(3):
        assert limiter.delay() == 0
        await limiter.acquire()
        clock.advance(1)
    assert limiter.delay() == 57.0
    clock.advance(57)
    assert limiter.delay() == 0


def test_server_headers_block_until_reset() -> None:
    limiter, clock = make(100)
    limiter.observe(
        {"x-ratelimit-limit": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(clock.wall + 12)}
    )
    assert limiter.state.remaining == 0
    assert 11.9 < limiter.delay() <= 12
    clock.advance(12)
    assert limiter.delay() == 0


def test_reset_header_forms() -> None:
    assert parse_reset("1700000100", 1_700_000_000.0) == 1_700_000_100
    assert parse_reset("30", 1_700_000_000.0) == 1_700_000_030
    assert parse_reset("soon", 1.0) is None
    assert parse_reset(None, 1.0) is None
