"""Structured logging: format, correlation ids and masking of secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.config import Settings
from bot.logs import JsonFormatter, Redactor, TextFormatter, configure_logging, correlated


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redactor(["123456:ABC-token-value", "short"]))
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream, handler
    logger.removeHandler(handler)


def test_json_lines_carry_the_correlation_id_and_extras(
    capture: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = capture
    handler.setFormatter(JsonFormatter())
    with correlated("abc123"):
        logger.info("zadarma call", extra={"method": "GET", "status": 200})
    logger.info("outside")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["cid"] == "abc123" and first["method"] == "GET" and first["status"] == 200
    assert first["message"] == "zadarma call" and first["level"] == "INFO"
    assert second["cid"] == "-"


def test_secrets_are_masked_in_messages_fields_and_tracebacks(
    capture: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = capture
    handler.setFormatter(TextFormatter())
    logger.info(
        "calling https://api.telegram.org/bot%s/getMe",
        "123456:ABC-token-value",
        extra={"url": "x123456:ABC-token-value"},
    )
    try:
        raise RuntimeError("failed with 123456:ABC-token-value")
    except RuntimeError:
        logger.exception("boom")
    text = stream.getvalue()
    assert "ABC-token-value" not in text
    assert text.count("***") >= 3


def test_values_too_short_to_be_secrets_are_left_alone(
    capture: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = capture
    handler.setFormatter(TextFormatter())
    logger.info("a short note")
    assert "a short note" in stream.getvalue()


# -- the production set-up: every secret of a full configuration, both formats ---------------

BOT_TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
ZADARMA_SECRET = "0123456789abcdef0123"
SLACK_SIGNING = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TOKEN = "xoxb-1111-2222-abcdefghijkl"
WEBHOOK_SECRET = "webhook-secret-0123456789"
DB_PASSWORD = "database-password-456"
FULL = Settings(
    zadarma_key="a1b2c3d4e5f6",
    zadarma_secret=ZADARMA_SECRET,
    telegram_bot_token=BOT_TOKEN,
    telegram_webhook_secret=WEBHOOK_SECRET,
    slack_bot_token=SLACK_TOKEN,
    slack_signing_secret=SLACK_SIGNING,
    database_url=f"postgresql://bot:{DB_PASSWORD}@127.0.0.1:5432/bot",
)
ALL_SECRETS = (BOT_TOKEN, ZADARMA_SECRET, SLACK_SIGNING, SLACK_TOKEN, WEBHOOK_SECRET, DB_PASSWORD)


@dataclass
class Production:
    fmt: str
    stream: io.StringIO
    redactor: Redactor
    logger: logging.Logger

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def records(self) -> list[dict[str, Any]]:
        """The JSON lines (only in the JSON format)."""
        return [json.loads(line) for line in self.lines() if line.startswith("{")]


@pytest.fixture(params=["text", "json"])
def production(request: pytest.FixtureRequest) -> Iterator[Production]:
    """Logging as ``python -m bot run`` sets it up, into a string; the root logger restored after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    record_defaults = (logging._srcfile, logging.logThreads, logging.logProcesses, logging.logMultiprocessing)
    stream = io.StringIO()
    redactor = configure_logging(request.param, "INFO", FULL.secret_values(), stream=stream)
    try:
        yield Production(request.param, stream, redactor, logging.getLogger("bot.test"))
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        (logging._srcfile, logging.logThreads, logging.logProcesses, logging.logMultiprocessing) = (
            record_defaults
        )


class Quoting:
    """An object whose text quotes a secret (as an exception or a request object might)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __str__(self) -> str:
        return f"<request to /bot{self.secret}/getMe>"


def test_the_configuration_registers_every_secret() -> None:
    assert set(ALL_SECRETS) <= set(FULL.secret_values())


@pytest.mark.parametrize("secret", ALL_SECRETS)
def test_no_secret_reaches_a_line_wherever_it_is_put(production: Production, secret: str) -> None:
    log = production.logger
    log.info("calling %s with %r", f"https://api.telegram.org/bot{secret}/getMe", {"key": secret})
    log.info(f"literal {secret} in the message")
    log.info(
        "fields",
        extra={"url": f"/bot{secret}/x", "obj": Quoting(secret), "raw": secret.encode(), "d": {"s": secret}},
    )
    log.warning("with the stack", stack_info=True)
    try:
        raise RuntimeError(f"refused: {secret}")  # the traceback quotes this line too
    except RuntimeError:
        log.exception("failed")
    text = production.stream.getvalue()
    assert secret not in text
    assert "calling https://api.telegram.org/bot***/getMe" in text
    assert "literal *** in the message" in text
    assert "<request to /bot***/getMe>" in text
    assert "RuntimeError: refused: ***" in text
    if production.fmt == "json":
        assert len(production.records()) == 5  # every line is still one JSON object


def test_numbers_bools_and_none_are_written_as_given(production: Production) -> None:
    with correlated("cid123"):
        production.logger.info(
            "zadarma call",
            extra={
                "method": "GET",
                "path": "/v1/info/balance/",
                "status": 200,
                "ms": 4.2,
                "ok": True,
                "x": None,
            },
        )
    if production.fmt == "json":
        (line,) = production.records()
        assert line["cid"] == "cid123"
        assert (line["method"], line["path"], line["status"], line["ms"]) == (
            "GET",
            "/v1/info/balance/",
            200,
            4.2,
        )
        assert line["ok"] is True and line["x"] is None
    else:
        (line_text,) = production.lines()
        assert line_text.endswith(
            "[cid123] zadarma call method=GET path=/v1/info/balance/ status=200 ms=4.2 ok=True x=None"
        )


def test_a_numeric_secret_is_masked_in_numbers_too(production: Production) -> None:
    production.redactor.add("73519246")  # a database password of digits alone
    production.logger.info("n", extra={"count": 97351924601, "share": 0.73519246, "small": 7})
    text = production.stream.getvalue()
    assert "73519246" not in text
    assert "9***01" in text  # the number's text, masked
    assert ("small=7" if production.fmt == "text" else '"small": 7') in text


def test_a_secret_registered_later_is_masked(production: Production) -> None:
    production.logger.info("before: later-secret-value")
    production.redactor.add("later-secret-value")
    production.logger.info("after: later-secret-value")
    first, second = production.lines()
    assert "later-secret-value" in first and "later-secret-value" not in second


def test_a_secret_holding_another_is_masked_whole() -> None:
    redactor = Redactor(["abcdef123", "abcdef123456789"])
    assert redactor.scrub("x abcdef123456789 y abcdef123 z") == "x *** y *** z"
    assert redactor.scrub("no secret here") == "no secret here"
