"""The PostgreSQL/Redis probe and ``--require-services`` (tests/external.py, tests/conftest.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.external import ExternalService

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_probe_tells_a_listening_server_from_a_closed_port(monkeypatch: object) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        up = ExternalService("X", "TEST_X_URL_UP", f"redis://127.0.0.1:{port}/0", 1)
        assert up.unreachable() is None
    closed = _closed_port()
    down = ExternalService("X", "TEST_X_URL_DOWN", f"redis://user:secret@127.0.0.1:{closed}/0", 1)
    why = down.unreachable()
    assert why is not None and f"127.0.0.1:{closed}" in why
    assert "secret" not in why and down.where() == f"127.0.0.1:{closed}"


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


_NEEDS_REDIS = """
def test_uses_redis(redis_url):
    assert redis_url.startswith("redis://")
"""


def test_a_missing_server_skips_and_is_named_or_stops_the_run_when_required(tmp_path: Path) -> None:
    probe = tmp_path / "test_needs_redis_probe.py"
    probe.write_text(_NEEDS_REDIS)
    url = f"redis://127.0.0.1:{_closed_port()}/0"

    relaxed = _pytest(str(probe), "-p", "tests.conftest", TEST_REDIS_URL=url)
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert "1 skipped" in relaxed.stdout
    assert "skipped 1 tests that need Redis" in relaxed.stdout

    required = _pytest(str(probe), "-p", "tests.conftest", "--require-services", TEST_REDIS_URL=url)
    assert required.returncode != 0
    assert "--require-services: Redis (TEST_REDIS_URL)" in required.stdout + required.stderr


_TWO_NEED_REDIS = """
import pytest

@pytest.mark.parametrize("n", [1, 2])
def test_uses_redis(redis_url, n):
    assert redis_url.startswith("redis://")
"""


def test_a_parallel_run_names_what_its_workers_skipped(tmp_path: Path) -> None:
    """Under pytest-xdist (``python3 dev.py test``) the controller adds up the workers' skips."""
    probe = tmp_path / "test_two_need_redis_probe.py"
    probe.write_text(_TWO_NEED_REDIS)
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    parallel = ("-p", "tests.conftest", "-n", "2")

    relaxed = _pytest(str(probe), *parallel, TEST_REDIS_URL=url)
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert "bringing up nodes" in relaxed.stdout and "2 skipped" in relaxed.stdout
    assert "skipped 2 tests that need Redis" in relaxed.stdout

    required = _pytest(str(probe), *parallel, "--require-services", TEST_REDIS_URL=url)
    assert required.returncode != 0
    assert "--require-services: Redis (TEST_REDIS_URL)" in required.stdout + required.stderr
    assert "bringing up nodes" not in required.stdout  # it stops before starting any worker


_NEEDS_CHROMIUM = """
def test_uses_chromium(chromium_path):
    assert chromium_path
"""


def test_a_missing_browser_skips_with_its_reason_or_stops_the_run_when_required(tmp_path: Path) -> None:
    probe = tmp_path / "test_needs_chromium_probe.py"
    probe.write_text(_NEEDS_CHROMIUM)
    missing = str(tmp_path / "no-chromium-here")

    relaxed = _pytest(str(probe), "-p", "tests.conftest", TEST_CHROMIUM=missing)
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert "1 skipped" in relaxed.stdout
    assert f"skipped 1 tests that need Chromium: no browser at {missing}" in relaxed.stdout

    required = _pytest(str(probe), "-p", "tests.conftest", "--require-services", TEST_CHROMIUM=missing)
    assert required.returncode != 0
    assert "--require-services: Chromium (TEST_CHROMIUM): no browser at" in required.stdout + required.stderr
