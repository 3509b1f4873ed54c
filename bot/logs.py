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
import re
import secrets
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TextIO

from aiohttp.http_exceptions import HttpProcessingError

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

_PLAIN_RECORD = vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))
_STANDARD = frozenset(_PLAIN_RECORD) | {"message", "asctime"}
# A record's own attributes come first in its __dict__, the extra fields after them.
_FIRST_EXTRA = len(_PLAIN_RECORD)


def _extra_items(record: logging.LogRecord) -> Iterator[tuple[str, Any]]:
    """The record's extra fields (and ``correlation_id``), in the order they were given."""
    return ((k, v) for k, v in islice(vars(record).items(), _FIRST_EXTRA, None) if k not in _STANDARD)


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
    """Masks registered secret strings in a record's message, fields and traceback.

    Prepared once: the secrets (longest first, so one that contains another is
    masked whole) and one compiled pattern for the replacement are built when
    secrets are registered, not per record. Per record only what can hold a
    secret is looked at: the message, string fields at least as long as the
    shortest secret, the traceback, and the text of any field that is not a
    number, a bool or ``None`` (an object's ``str`` may quote a secret).
    """

    def __init__(self, secrets_: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()
        self._pattern: re.Pattern[str] | None = None
        self._shortest = 0
        self._plain: frozenset[type] = _NEVER_SECRET
        self.add(*secrets_)

    def add(self, *values: str) -> None:
        """Register more secrets (values shorter than 6 characters are ignored)."""
        known = set(self._secrets) | {v for v in values if len(v) >= 6}
        ordered = tuple(sorted(known, key=lambda s: (-len(s), s)))
        pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        numeric = any(_NUMERIC_TEXT.fullmatch(s) for s in ordered)
        self._plain = _NEVER_SECRET if numeric else _NEVER_SECRET | _NUMBERS
        self._pattern, self._shortest = pattern, min(map(len, ordered), default=0)
        self._secrets = ordered

    def _holds_secret(self, text: str) -> bool:
        if len(text) < self._shortest:
            return False
        for secret in self._secrets:  # noqa: SIM110 - a plain loop: any() and a generator cost more per line
            if secret in text:
                return True
        return False

    def scrub(self, text: str) -> str:
        """``text`` with every registered secret replaced by ``***``."""
        pattern = self._pattern
        if pattern is None or not self._holds_secret(text):
            return text
        return pattern.sub("***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        if not self._secrets:
            return True
        message = record.getMessage()
        record.msg = self.scrub(message)
        record.args = None
        scrubbed: dict[str, str] = {}
        for key, value in _extra_items(record):
            kind = type(value)
            if kind is str:
                if self._holds_secret(value):
                    scrubbed[key] = self.scrub(value)
            elif kind not in self._plain:
                text = str(value)
                if self._holds_secret(text):
                    scrubbed[key] = self.scrub(text)
        if scrubbed:
            record.__dict__.update(scrubbed)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.scrub(_formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


#: ``True``, ``False``, ``None``: shorter than any secret.
_NEVER_SECRET: frozenset[type] = frozenset({bool, type(None)})
#: Their text is digits, signs, points and ``e``: skipped unless a secret is made of those alone.
_NUMBERS: frozenset[type] = frozenset({int, float})
_NUMERIC_TEXT = re.compile(r"[0-9eE.+-]+")
_formatter = logging.Formatter()


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in _extra_items(record) if k != "correlation_id"}


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


def lean_records() -> None:
    """Stop every log record from collecting what no line shows (the logging HOWTO's "Optimization").

    Neither format prints the caller's file, line and function, nor thread
    or process names, so they are not looked up (``sys._getframe`` walks
    and ``threading`` calls on every line).
    """
    logging._srcfile = None  # documented: skips finding the caller
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def configure_logging(
    fmt: str = "text", level: str = "INFO", secrets_: Iterable[str] = (), stream: TextIO | None = None
) -> Redactor:
    """Route all logging to ``stream`` (default stderr) as ``fmt`` ("text"/"json"), masking ``secrets_``.

    Records are made lean first (:func:`lean_records`), for the whole process.
    """
    lean_records()
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
