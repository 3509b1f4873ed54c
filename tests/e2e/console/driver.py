"""Drives ``python -m bot demo`` as a subprocess through its standard input, like a script would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BUTTON = re.compile(r"^\[(/?(?:\d+|<|>))\] (.*)$")


class Demo:
    """One running demo; :meth:`screen` is what it printed since the last input."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        """Start the demo with ``args``; ``env`` adds to (or overrides) the environment it inherits."""
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("ZADARMA_", "STATE_ENCRYPTION_"))
        }
        env = {**inherited, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.screen = self._read_screen()
        self.farewell = ""

    def _read_screen(self) -> str:
        assert self.proc.stdout is not None
        lines: list[str] = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.rstrip("\n") == "> ":
                break
            lines.append(line.rstrip("\n"))
        return "\n".join(lines).replace("\xa0", " ").replace("\u202f", " ")

    @property
    def buttons(self) -> dict[str, str]:
        """Labels of the live buttons -> what to type to press them (``2``, or ``/2`` at a text question)."""
        found: dict[str, str] = {}
        for line in self.screen.splitlines():
            match = BUTTON.match(line)
            if match:
                found[match.group(2)] = match.group(1)
        return found

    def send(self, line: str) -> str:
        """Type a line; returns the screen printed in answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self.screen = self._read_screen()
        return self.screen

    def press(self, label_part: str) -> str:
        """Press the first live button whose label contains ``label_part``."""
        for label, number in self.buttons.items():
            if label_part in label:
                return self.send(number)
        raise AssertionError(f"no button containing {label_part!r} in:\n{self.screen}")

    def quit(self) -> tuple[int, str]:
        """``/quit`` and wait; returns the exit code and what went to stderr."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("/quit\n")
        self.proc.stdin.flush()
        out, err = self.proc.communicate(timeout=30)
        self.farewell = out
        return self.proc.returncode, err

    def kill(self) -> None:
        """Stop the demo if still running and release its pipes (test teardown)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=30)

    def close_input(self) -> tuple[int, str]:
        """End of input, as a script ending would."""
        _, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err
