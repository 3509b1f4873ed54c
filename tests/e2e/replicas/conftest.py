"""Fixtures of the replica tests (the emulator on a real socket)."""

from tests.e2e.service.support import emulator

__all__ = ["emulator"]
