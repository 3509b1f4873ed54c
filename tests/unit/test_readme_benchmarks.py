"""The README's benchmark commands name scripts that exist and options those scripts accept."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("\n## Benchmarks\n", 1)[1].split("\n## ", 1)[0]
HELPERS = {"support.py", "rr_proxy.py"}  # imported or started by the benches, not run on their own


def _commands() -> list[list[str]]:
    """Each ``.venv/bin/python bench/…`` command of the section, as its arguments after the interpreter."""
    in_blocks = re.findall(r"^\$? ?\.venv/bin/python (bench/\S+\.py.*)$", SECTION, flags=re.MULTILINE)
    in_text = re.findall(r"`\.venv/bin/python (bench/[^`]+)`", SECTION)
    return [shlex.split(line.split("#", 1)[0]) for line in in_blocks + in_text]


def _options(script: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, script, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", result.stdout))


def test_every_runnable_bench_has_a_command_in_the_readme() -> None:
    documented = {Path(args[0]).name for args in _commands()}
    runnable = {p.name for p in (ROOT / "bench").glob("*.py")} - HELPERS
    assert runnable - documented == set()
    assert documented - runnable == set()


@pytest.mark.parametrize("script", sorted({args[0] for args in _commands()}))
def test_the_readme_passes_only_options_the_bench_accepts(script: str) -> None:
    accepted = _options(script)
    used = {
        arg.split("=", 1)[0]
        for args in _commands()
        if args[0] == script
        for arg in args[1:]
        if arg.startswith("--")
    }
    assert used <= accepted, f"{script} does not accept {sorted(used - accepted)}"
