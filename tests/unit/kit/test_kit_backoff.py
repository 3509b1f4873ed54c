"""The kit's retry loop: pauses grow, stop growing at the cap, and start short again after a success."""

from __future__ import annotations

import pytest

from adapters.kit.backoff import Backoff, retry


class Sleeps:
    """An injected sleep that only records the pauses asked for."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


class Flaky:
    """An attempt that fails ``failures`` times, then succeeds; counts its calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> bool:
        self.calls += 1
        return self.calls > self.failures


def test_pauses_grow_by_the_factor_up_to_the_cap_and_reset() -> None:
    backoff = Backoff(first=1.0, cap=8.0, factor=2.0)
    assert [backoff.delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff.upcoming == 8.0
    backoff.reset()
    assert backoff.upcoming == 1.0 and backoff.delay() == 1.0


@pytest.mark.parametrize(("first", "cap", "factor"), [(0.0, 1.0, 2.0), (2.0, 1.0, 2.0), (1.0, 2.0, 0.5)])
def test_nonsense_settings_are_refused(first: float, cap: float, factor: float) -> None:
    with pytest.raises(ValueError, match="first"):
        Backoff(first, cap, factor)


async def test_retry_pauses_between_failures_and_starts_short_again_after_a_success() -> None:
    sleeps = Sleeps()
    backoff = Backoff(first=0.5, cap=3.0)
    first = Flaky(failures=5)
    await retry(first, backoff, sleep=sleeps)
    assert first.calls == 6
    assert sleeps.pauses == [0.5, 1.0, 2.0, 3.0, 3.0]  # grown, then capped
    sleeps.pauses.clear()
    second = Flaky(failures=2)  # e.g. the next disconnect, with the same backoff
    await retry(second, backoff, sleep=sleeps)
    assert sleeps.pauses == [0.5, 1.0]


async def test_a_first_success_does_not_pause() -> None:
    sleeps = Sleeps()
    attempt = Flaky(failures=0)
    await retry(attempt, Backoff(), sleep=sleeps)
    assert (attempt.calls, sleeps.pauses) == (1, [])


async def test_an_error_the_attempt_lets_through_ends_the_loop_and_resets_the_pauses() -> None:
    sleeps = Sleeps()
    backoff = Backoff(first=1.0, cap=60.0)
    calls = 0

    async def breaks() -> bool:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("a bug, not a failure to retry")
        return False

    with pytest.raises(RuntimeError):
        await retry(breaks, backoff, sleep=sleeps)
    assert sleeps.pauses == [1.0, 2.0]
    assert backoff.upcoming == 1.0
