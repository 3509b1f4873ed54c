"""Structured logging: one line per event, text or JSON, with a correlation id and no secrets.

``correlation_id`` is a context variable: an adapter sets it when an update
arrives, and every log line written while that update is handled (the
Zadarma calls it causes included) carries it. Registered secrets are masked
in every line, whatever logger wrote it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import secrets
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

from aiohttp.http_exceptions import HttpProcessingError

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

_STANDARD = frozenset(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


def new_correlation_id() -> str:
    """A short random id for one update."""
    return secrets.token_hex(6)


@contextmanager
def correlated(cid: str | None = None) -> Iterator[str]:
    """Run a block with a correlation id (a new one unless given)."""
    value = cid or new_correlation_id()
    token = correlation_id.set(value)
    try:
        yield value
    finally:
        correlation_id.reset(token)


class Redactor(logging.Filter):
    """Masks registered secret strings in a record's message and fields."""

    def __init__(self, secrets_: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = {s for s in secrets_ if len(s) >= 6}

    def add(self, *values: str) -> None:
        """Register more secrets (values shorter than 6 characters are ignored)."""
        self._secrets.update(v for v in values if len(v) >= 6)

    def scrub(self, text: str) -> str:
        """``text`` with every registered secret replaced by ``***``."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        if self._secrets:
            record.msg = self.scrub(record.getMessage())
            record.args = None
            for key, value in list(vars(record).items()):
                if key not in _STANDARD and isinstance(value, str):
                    setattr(record, key, self.scrub(value))
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and k != "correlation_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "cid": getattr(record, "correlation_id", "-"),
        }
        data.update(_extras(record))
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["error"] = record.exc_text
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Readable lines: ``time level logger [cid] message key=value ...``."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S.%f")[:-3]
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = f"{when} {record.levelname:<7} {record.name} [{getattr(record, 'correlation_id', '-')}] "
        line += record.getMessage() + (f" {extras}" if extras else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return line


class MalformedRequestLine(logging.Filter):
    """Turns aiohttp's traceback for a malformed request (``FOO / HTTP/1.1``) into one warning line.

    Such a request is the client's mistake, already answered with 400; a
    traceback in the server's log says nothing more and floods it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            reason = " ".join(str(error.message).split())[:200]
            record.msg = "malformed HTTP request refused with 400: %s"
            record.args = (reason,)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_malformed_requests() -> None:
    """Install :class:`MalformedRequestLine` on aiohttp's server logger (once)."""
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequestLine) for f in server.filters):
        server.addFilter(MalformedRequestLine())


def configure_logging(
    fmt: str = "text", level: str = "INFO", secrets_: Iterable[str] = (), stream: TextIO | None = None
) -> Redactor:
    """Route all logging to ``stream`` (default stderr) as ``fmt`` ("text"/"json"), masking ``secrets_``."""
    redactor = Redactor(secrets_)
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(redactor)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # pypdf logs every defect it repairs while an upload is checked; a refused file says enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return redactor
