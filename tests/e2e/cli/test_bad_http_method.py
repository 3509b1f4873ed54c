"""An unknown HTTP method: ``api FOO`` says what is allowed; the emulator answers 400 without a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.emulator_process import start_emulator

ROOT = Path(__file__).resolve().parents[3]


def test_api_with_an_unknown_method_names_the_methods_it_takes() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZADARMA_")}
    env.update(ZADARMA_KEY="k1", ZADARMA_SECRET="s1", ZADARMA_API_URL="http://127.0.0.1:9")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "api", "FOO", "/v1/info/balance/"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "FOO" in done.stderr and "GET" in done.stderr and "DELETE" in done.stderr
    assert "HTTP 400" not in done.stderr and "Traceback" not in done.stderr


def _raw_exchange(port: int, requests: list[bytes]) -> list[bytes]:
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        for request in requests:
            conn.sendall(request)
            time.sleep(0.3)
            answers.append(conn.recv(4096))
    return answers


def test_the_emulator_refuses_a_bad_method_on_a_kept_alive_connection_with_one_line(
    sandbox_realistic: bool,
) -> None:
    started = start_emulator(*(["--realistic"] if sandbox_realistic else []), stderr=subprocess.PIPE)
    proc, port = started.proc, int(started.url.rsplit(":", 1)[1])
    try:
        good, bad = _raw_exchange(
            port,
            [
                b"GET /_sandbox/stats HTTP/1.1\r\nHost: x\r\n\r\n",
                b"FOO /v1/info/balance/ HTTP/1.1\r\nHost: x\r\n\r\n",
            ],
        )
        assert good.startswith(b"HTTP/1.1 200")
        assert bad.startswith(b"HTTP/1.0 400") or bad.startswith(b"HTTP/1.1 400")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err and "BadHttpMethod" not in err
    assert "malformed HTTP request refused with 400" in err
