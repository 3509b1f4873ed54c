"""A SIGTERM that arrives while the parts are still starting stops the process cleanly.

``/healthz`` can answer 200 before the last part's start returns, so an orchestrator (or a
test) may send SIGTERM then; it must drain and stop the parts, not kill the process.
Run in a child process: without the handler the signal's default action would end pytest.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from typing import Any
    from aiohttp import web
    from bot.runtime import Runner

    class SignalledWhileStarting:
        name = "slow"
        required = True

        def install_routes(self, app: web.Application) -> None:
            return None

        async def start(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)  # healthy already, start not yet returned
            await asyncio.sleep(0.2)

        async def stop(self) -> None:
            print("part stopped", flush=True)

        def health(self) -> dict[str, Any]:
            return {"ok": True}

    async def main() -> None:
        runner = Runner(web.Application(), [SignalledWhileStarting()], "127.0.0.1", 0)
        await runner.start()
        try:
            await asyncio.wait_for(runner.serve_forever(), 10)
            print("stop asked", flush=True)
        finally:
            await runner.stop()
        # once stopped, the process is left with the default action again
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, signal.getsignal(signal.SIGTERM)

    asyncio.run(main())
    """
)


def test_sigterm_during_start_stops_the_parts_and_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.splitlines() == ["stop asked", "part stopped"]
