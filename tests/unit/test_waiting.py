"""tests.waiting.eventually: the first truthy value, awaited when need be, or a failure naming the wait."""

from __future__ import annotations

import pytest

from tests.waiting import answers, eventually, eventually_sync


async def test_the_first_truthy_value_is_returned() -> None:
    seen: list[int] = []

    def grows() -> list[int]:
        seen.append(len(seen))
        return seen if len(seen) >= 3 else []

    assert await eventually(grows, every=0) == [0, 1, 2]


async def test_an_async_check_is_awaited() -> None:
    answers = iter([None, None, "ready"])

    async def answer() -> str | None:
        return next(answers)

    assert await eventually(answer, every=0) == "ready"


async def test_a_check_that_never_holds_fails_naming_what_was_awaited() -> None:
    with pytest.raises(AssertionError, match=r"after 0\.05 s: the moon"):
        await eventually(lambda: False, within=0.05, what="the moon")


async def test_an_error_in_the_check_ends_the_wait() -> None:
    def broken() -> bool:
        raise LookupError("gone")

    with pytest.raises(LookupError):
        await eventually(broken, within=5)


def test_the_blocking_twin_waits_the_same_way() -> None:
    left = [3]

    def counts_down() -> bool:
        left[0] -= 1
        return left[0] == 0

    assert eventually_sync(counts_down, every=0) is True
    with pytest.raises(AssertionError, match="nobody listening"):
        eventually_sync(lambda: answers("http://127.0.0.1:1/"), within=0.2, what="nobody listening")
