"""The standalone emulator (``python -m bot sandbox``) as a process, on a port it picks itself.

``--port 0`` lets the emulator bind a free port and print its URL: a port chosen by the test and
bound later could be taken by another test's server in between, which would then answer for it.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANNER = "Zadarma sandbox listening on "


@dataclass(frozen=True)
class EmulatorProcess:
    """A started emulator: the process, its base URL and the first line it printed."""

    proc: subprocess.Popen[str]
    url: str
    banner: str

    def stop(self) -> None:
        """Terminate the emulator and wait for it; close its stdout."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def start_emulator(*args: str, stderr: int | None = None) -> EmulatorProcess:
    """Start ``python -m bot sandbox --port 0 *args`` and wait until it listens.

    The URL is read from the emulator's first line, which it prints once it listens; its stdout
    stays a pipe (the emulator prints a few more lines, then nothing until it stops).
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    if not banner.startswith(BANNER):
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"the emulator did not start: {banner!r} {err or ''}")
    return EmulatorProcess(proc, banner.removeprefix(BANNER).split()[0], banner)
