"""The one exception the emulator's rules raise: an API error with an HTTP status."""

from __future__ import annotations


class ApiError(Exception):
    """A request the emulated API refuses.

    Rendered as ``{"status": "error", "message": message}`` with ``status``
    as the HTTP status code (400 unless a rule says otherwise).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
