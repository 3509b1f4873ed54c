"""A serving process freezes its start-up heap and runs the collector as ``bot.heap`` says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.heap import GC_THRESHOLDS

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import gc, json
default = gc.get_threshold()
from bot.app import settle_heap
settle_heap()
print(json.dumps({"default": default, "now": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def test_settling_the_heap_freezes_it_and_makes_young_collections_rarer() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert tuple(seen["now"]) == GC_THRESHOLDS
    assert seen["now"][0] >= 10 * seen["default"][0]
    assert seen["frozen"] > 10_000
