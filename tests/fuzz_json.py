"""Seeded mutations of valid JSON documents, for fuzzing the HTTP boundaries.

:func:`mutants` walks a valid template and, node by node, drops keys, swaps
values for ones of another type (``null``, numbers out of range, lists where
objects belong, long or invisible strings) or adds unknown keys. The same
seed gives the same mutants, so a failure names a case that can be re-run.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

ODD_VALUES: tuple[Any, ...] = (
    None,
    "",
    0,
    -1,
    10**30,
    1.5,
    True,
    [],
    {},
    [None],
    {"a": {"b": None}},
    "x" * 5000,
    "\x00\u202e\u200b",
    "²",
    "9" * 5000,
)


def mutate(value: Any, rng: random.Random, rate: float) -> Any:
    """A copy of ``value`` with roughly ``rate`` of its nodes changed."""
    if rng.random() < rate:
        return copy.deepcopy(rng.choice(ODD_VALUES))
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if rng.random() < rate / 2:
                continue  # dropped
            out[key] = mutate(item, rng, rate)
        if rng.random() < rate / 2:
            out[f"unknown_{rng.randrange(100)}"] = copy.deepcopy(rng.choice(ODD_VALUES))
        return out
    if isinstance(value, list):
        return [mutate(item, rng, rate) for item in value]
    return value


def mutants(templates: list[Any], count: int, seed: int, rate: float = 0.15) -> Iterator[Any]:
    """``count`` mutants of the templates, in turn (deterministic for ``seed``)."""
    rng = random.Random(seed)
    for index in range(count):
        yield mutate(templates[index % len(templates)], rng, rate)
