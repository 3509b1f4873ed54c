"""What a process says it has in hand, and when open work counts as left by a process that is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.coord.in_hand import MARGIN, InHand, WorkView, intent_key, update_key

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_a_key_is_in_hand_until_its_last_hold_ends() -> None:
    in_hand = InHand()
    with in_hand.hold("intent/a"):
        with in_hand.hold("intent/a"), in_hand.hold("intent/b"):
            assert in_hand.keys() == {"intent/a", "intent/b"}
        assert in_hand.keys() == {"intent/a"}  # the outer hold of a still runs
    assert in_hand.keys() == frozenset()


def test_a_hold_ends_when_its_work_fails() -> None:
    in_hand = InHand()
    with pytest.raises(RuntimeError), in_hand.hold("intent/a"):
        raise RuntimeError("the work failed")
    assert in_hand.keys() == frozenset()


def test_sources_are_read_each_time_the_keys_are_asked() -> None:
    in_hand = InHand()
    deliveries: list[str] = []
    in_hand.add_source(lambda: [update_key(d) for d in deliveries])
    assert in_hand.keys() == frozenset()
    deliveries.append("tg:1:10")
    with in_hand.hold(intent_key("k")):
        assert in_hand.keys() == {"update/tg:1:10", "intent/k"}
    deliveries.clear()
    assert in_hand.keys() == frozenset()


def test_kinds_of_work_do_not_share_keys() -> None:
    assert update_key("x") != intent_key("x")


@pytest.mark.parametrize(
    ("seconds_before_since", "held", "left"),
    [
        (MARGIN.total_seconds() + 0.5, False, True),  # older than every live list by more than the margin
        (MARGIN.total_seconds() + 0.5, True, False),  # a live process holds it
        (MARGIN.total_seconds() - 0.5, False, False),  # within the margin: it may not be listed yet
        (MARGIN.total_seconds(), False, False),  # exactly the margin is not older than it
        (-5.0, False, False),  # changed after some live process last listed its work
    ],
)
def test_open_work_is_left_only_when_nobody_holds_it_and_every_list_is_newer(
    seconds_before_since: float, held: bool, left: bool
) -> None:
    key = intent_key("order-1")
    view = WorkView(frozenset({key} if held else set()), NOW, processes=2)
    assert view.left(key, NOW - timedelta(seconds=seconds_before_since)) is left
