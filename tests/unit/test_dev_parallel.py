"""``python3 dev.py test`` runs pytest on parallel workers (dev.PARALLEL, dev.test_workers)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

import dev

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("cores", "workers"), [(1, 2), (2, 3), (3, 4), (16, 4)])
def test_one_worker_more_than_the_cores_at_most_four(
    monkeypatch: pytest.MonkeyPatch, cores: int, workers: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert dev.test_workers() == workers


def test_the_workers_come_from_the_dev_extra() -> None:
    assert dev.PARALLEL[:2] == ("-n", "auto")  # auto: the number dev.py puts in the environment
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    assert any(requirement.startswith("pytest-xdist") for requirement in extra)
