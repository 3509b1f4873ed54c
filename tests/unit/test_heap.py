"""The collector's settings for serving (:mod:`bot.heap`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.heap import YOUNG_THRESHOLD, freeze_heap


@pytest.fixture
def collector_as_it_was() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    try:
        yield before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_freezing_the_heap_keeps_what_is_alive_out_of_collections_and_makes_young_ones_rarer(
    collector_as_it_was: tuple[int, int, int],
) -> None:
    gc.unfreeze()
    alive = [object() for _ in range(10)], {"kept": [1, 2, 3]}
    freeze_heap()
    assert gc.get_freeze_count() >= len(gc.get_referents(alive))
    assert gc.get_threshold() == (YOUNG_THRESHOLD, *collector_as_it_was[1:])
    assert collector_as_it_was[0] < YOUNG_THRESHOLD
    assert all(not any(o is alive for o in gc.get_objects(generation)) for generation in range(3))
