"""``python -m bot api`` and ``python -m bot check`` against the standalone emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator_process import EmulatorProcess, start_emulator

ROOT = Path(__file__).resolve().parents[3]


class Emulators:
    """Standalone emulators (``python -m bot sandbox``), one per mode, started when first asked for."""

    def __init__(self) -> None:
        self.started: dict[bool, EmulatorProcess] = {}

    def base(self, realistic: bool) -> str:
        """The base URL of the exact or the realistic (``--realistic``) emulator."""
        if realistic not in self.started:
            mode = ["--realistic"] if realistic else []
            started = start_emulator("--key", "k1", "--secret", "s1~x", *mode)
            self.started[realistic] = started
            assert ("realistic" in started.banner) == realistic, started.banner
        return self.started[realistic].url

    def stop(self) -> None:
        """Stop every emulator started."""
        for started in self.started.values():
            started.stop()


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    started = Emulators()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def emulator(emulators: Emulators, sandbox_realistic: bool) -> str:
    """The standalone emulator's base URL, once exact and once realistic (shared by the module's tests)."""
    return emulators.base(sandbox_realistic)


def bot(base: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ZADARMA_")}
    environ.update({"ZADARMA_API_URL": base, "ZADARMA_KEY": "k1", "ZADARMA_SECRET": "s1~x", **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_api_prints_the_json_reply(emulator: str) -> None:
    result = bot(emulator, "api", "GET", "/v1/direct_numbers/country/", "country=PL", "language=pl")
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["status"] == "success" and reply["info"]


def test_api_error_goes_to_stderr_with_exit_1(emulator: str) -> None:
    result = bot(emulator, "api", "GET", "/v1/direct_numbers/country/", "country=XX")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "XX" in result.stderr


def test_check_prints_one_line(emulator: str) -> None:
    result = bot(emulator, "check")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert "USD" in line and "requests left this minute" in line


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"ZADARMA_KEY": ""}, "ZADARMA_KEY"),
        ({"ZADARMA_SECRET": "wrong"}, "signature"),
        ({"ZADARMA_RATE_LIMIT": "many"}, "ZADARMA_RATE_LIMIT"),
        ({"ZADARMA_API_URL": "ftp://x"}, "ZADARMA_API_URL"),
    ],
)
def test_check_names_the_problem_without_a_traceback(
    emulator: str, env: dict[str, str], expected: str
) -> None:
    result = bot(emulator, "check", **env)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "wrong" not in result.stderr and "s1~x" not in result.stderr
