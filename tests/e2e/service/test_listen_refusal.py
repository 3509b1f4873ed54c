"""``python -m bot run`` told to listen on a port another program holds: one line naming it, no traceback."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from bot.app import EXIT_LISTEN
from tests.e2e.service.test_storage_refusal import environment, run_bot


async def test_a_port_in_use_is_refused_with_one_line_and_its_own_exit_code(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = environment(tmp_path / "bot.db") | {"HTTP_PORT": str(port), "LOG_FORMAT": "text"}
        code, lines = await run_bot("run", env=env)

    assert code == EXIT_LISTEN != 0
    assert not any("Traceback" in line for line in lines), lines
    in_use = os.strerror(errno.EADDRINUSE)
    assert [line for line in lines if line.startswith("configuration error: ")] == [
        f"configuration error: cannot listen on 127.0.0.1:{port} (HTTP_HOST, HTTP_PORT): {in_use}"
    ]
