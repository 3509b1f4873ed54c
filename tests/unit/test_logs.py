"""Structured logging: format, correlation ids and masking of secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import JsonFormatter, Redactor, TextFormatter, correlated


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
