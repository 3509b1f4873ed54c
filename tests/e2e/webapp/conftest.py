"""Fixtures of the Mini App's browser tests: the emulator on a real socket, and Chromium."""

from tests.e2e.service.support import emulator

__all__ = ["emulator"]
