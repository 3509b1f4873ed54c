"""The errors :class:`~bot.zadarma.client.ZadarmaClient` raises.

::

    ZadarmaError                      root: catch this to handle any API failure
    ├── ZadarmaTransportError         no usable reply (connect/read failure, timeout, dropped connection)
    ├── ZadarmaMalformedResponse      a reply that is not the JSON the contract promises
    └── ZadarmaAPIError               the API answered ``status: error`` (any HTTP status, 200 included)
        ├── ZadarmaAuthError          HTTP 401: wrong key or signature
        └── ZadarmaRateLimited        HTTP 429: over the account's request budget; ``reset_at`` says when

``outcome_unknown`` is true when a request that changes state (POST/PUT) may
have been carried out although no valid reply came back: the caller must
reconcile with the account before telling anyone what happened.

Messages never contain the API secret or the ``Authorization`` header.
"""

from __future__ import annotations

from datetime import datetime


class ZadarmaError(Exception):
    """Root of every error raised by the Zadarma client."""

    def __init__(self, message: str, *, method: str = "", path: str = "", outcome_unknown: bool = False):
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        where = f"{self.method} {self.path}: " if self.path else ""
        return f"{where}{self.message}"


class ZadarmaTransportError(ZadarmaError):
    """The request failed on the way: connection refused or reset, timeout, dropped connection."""


class ZadarmaMalformedResponse(ZadarmaError):
    """The reply could not be decoded or lacks fields the contract requires."""


class ZadarmaAPIError(ZadarmaError):
    """The API refused the request: ``status: error`` with a readable ``message``."""

    def __init__(self, message: str, *, status_code: int, method: str = "", path: str = ""):
        super().__init__(message, method=method, path=path)
        self.status_code = status_code


class ZadarmaAuthError(ZadarmaAPIError):
    """HTTP 401: the key or the signature was not accepted."""


class ZadarmaRateLimited(ZadarmaAPIError):
    """HTTP 429: the account's request budget is spent until ``reset_at`` (UTC)."""

    def __init__(self, message: str, *, reset_at: datetime, method: str = "", path: str = ""):
        super().__init__(message, status_code=429, method=method, path=path)
        self.reset_at = reset_at
