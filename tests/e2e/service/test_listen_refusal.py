"""``python -m bot run`` told to listen on a port another program holds: one line naming it, no traceback."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import sys
from pathlib import Path

from bot.app import EXIT_LISTEN
from tests.e2e.service.test_storage_refusal import environment

ROOT = Path(__file__).resolve().parents[3]


async def test_a_port_in_use_is_refused_with_one_line_and_its_own_exit_code(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = environment(tmp_path / "bot.db") | {"HTTP_PORT": str(port), "LOG_FORMAT": "text"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)

    lines = err.decode().splitlines()
    assert proc.returncode == EXIT_LISTEN != 0
    assert "Traceback" not in err.decode()
    in_use = os.strerror(errno.EADDRINUSE)
    assert [line for line in lines if line.startswith("configuration error: ")] == [
        f"configuration error: cannot listen on 127.0.0.1:{port} (HTTP_HOST, HTTP_PORT): {in_use}"
    ]
