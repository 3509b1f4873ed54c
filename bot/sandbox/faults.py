"""Injected faults, for testing how clients cope with a misbehaving API.

* ``latency_ms``: sleep before handling.
* ``error_rate``: answer HTTP 503 with an error JSON *before* handling
  (nothing changes).
* ``malformed_rate``: handle the request (state changes), then send the body
  truncated so it is not valid JSON.
* ``drop_rate``: handle the request (state changes), then drop the
  connection without a response: the client cannot know the outcome.

``paths`` limits faults to requests whose path starts with one of the given
prefixes (a missing trailing slash on the request is tolerated); ``None``
means every API path. Control endpoints are never affected. Decisions come
from a seeded RNG; a rate of 1.0 always fires and 0.0 never does.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Faults:
    """A fault configuration (all zero = no faults)."""

    latency_ms: int = 0
    error_rate: float = 0.0
    malformed_rate: float = 0.0
    drop_rate: float = 0.0
    paths: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.latency_ms, bool) or not isinstance(self.latency_ms, int) or self.latency_ms < 0:
            raise ValueError("latency_ms must be a non-negative integer")
        for name in ("error_rate", "malformed_rate", "drop_rate"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a number from 0 to 1")
        if self.paths is not None and not all(isinstance(p, str) and p.startswith("/") for p in self.paths):
            raise ValueError("paths must be a list of path prefixes starting with /")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Faults:
        """Build from the control endpoint's JSON; unknown keys are refused."""
        known = {"latency_ms", "error_rate", "malformed_rate", "drop_rate", "paths"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        paths = data.get("paths")
        if paths is not None and (isinstance(paths, str) or not isinstance(paths, Sequence)):
            raise ValueError("paths must be a list of path prefixes starting with /")
        return cls(
            latency_ms=data.get("latency_ms", 0),
            error_rate=data.get("error_rate", 0.0),
            malformed_rate=data.get("malformed_rate", 0.0),
            drop_rate=data.get("drop_rate", 0.0),
            paths=tuple(paths) if paths is not None else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The configuration as the control endpoint reports it."""
        return {
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "malformed_rate": self.malformed_rate,
            "drop_rate": self.drop_rate,
            "paths": list(self.paths) if self.paths is not None else None,
        }

    def applies_to(self, path: str) -> bool:
        """Whether these faults cover ``path``."""
        if self.paths is None:
            return True
        slashed = path if path.endswith("/") else path + "/"
        return any(path.startswith(p) or slashed.startswith(p) for p in self.paths)

    @property
    def active(self) -> bool:
        """Whether any fault is configured."""
        return bool(self.latency_ms or self.error_rate or self.malformed_rate or self.drop_rate)


class FaultDice:
    """Seeded decisions for the configured rates."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._rng = random.Random(seed)

    def roll(self, rate: float) -> bool:
        """True with probability ``rate`` (never draws for 0, always true for 1)."""
        if rate <= 0.0:
            return False
        if rate >= 1.0:
            return True
        return self._rng.random() < rate

    def reset(self) -> None:
        """Restart the sequence from the seed."""
        self._rng = random.Random(self._seed)
