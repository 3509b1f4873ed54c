"""Pacing bulk sends (adapters.telegram.pacer)."""

from __future__ import annotations

import asyncio

import pytest

from adapters.telegram.pacer import Pacer
from tests.fakes.clock import FakeClock


def test_the_first_send_goes_at_once() -> None:
    assert Pacer(clock=FakeClock().monotonic).reserve("1") == 0


def test_sends_to_different_chats_are_spaced_by_the_global_rate() -> None:
    pacer = Pacer(rate=25, clock=FakeClock().monotonic)
    delays = [pacer.reserve(str(chat)) for chat in range(50)]
    assert delays[0] == 0
    assert delays[1] == pytest.approx(0.04)
    assert delays[49] == pytest.approx(49 * 0.04)


def test_sends_to_one_chat_are_a_second_apart() -> None:
    pacer = Pacer(rate=25, per_chat_interval=1.0, clock=FakeClock().monotonic)
    assert [pacer.reserve("7") for _ in range(3)] == pytest.approx([0.0, 1.0, 2.0])
    # another chat is not held up by chat 7's spacing, only by the global rate
    assert pacer.reserve("8") == pytest.approx(2.04)


def test_time_passing_frees_the_slots() -> None:
    clock = FakeClock()
    pacer = Pacer(rate=25, clock=clock.monotonic)
    pacer.reserve("7")
    clock.advance(5)
    assert pacer.reserve("7") == 0


async def test_wait_sleeps_only_when_needed() -> None:
    clock = FakeClock()
    pacer = Pacer(rate=10, per_chat_interval=1.0, clock=clock.monotonic, sleep=clock.sleep)
    waits = asyncio.gather(pacer.wait("1"), pacer.wait("2"), pacer.wait("1"))
    await asyncio.sleep(0)  # each wait reserved its slot and sleeps (the first need not)
    assert clock.sleeps == pytest.approx([0.1, 1.0])
    clock.advance(1.0)
    await waits


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Pacer(rate=0)
