"""The token stays out of logs (adapters.telegram.redact)."""

from __future__ import annotations

import logging

import pytest

from adapters.telegram.redact import MASK, TokenRedactor, redact

TOKEN = "123456:SECRET-token-value"


def test_redact_masks_every_occurrence() -> None:
    assert (
        redact(f"GET /bot{TOKEN}/getMe and /file/bot{TOKEN}/x", TOKEN)
        == f"GET /bot{MASK}/getMe and /file/bot{MASK}/x"
    )
    assert redact("nothing here", TOKEN) == "nothing here"


def test_the_filter_masks_messages_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    redactor = TokenRedactor(TOKEN)
    redactor.install(("aiogram.event",))
    logger = logging.getLogger("aiogram.event")
    try:
        with caplog.at_level(logging.INFO, logger="aiogram.event"):
            logger.info("failed: %s", f"https://api.telegram.org/bot{TOKEN}/sendMessage")
            try:
                raise RuntimeError(f"url=https://api.telegram.org/file/bot{TOKEN}/a.jpg")
            except RuntimeError:
                logger.exception("download failed")
            logger.info("harmless %s", "text")
    finally:
        redactor.uninstall(("aiogram.event",))

    assert TOKEN not in caplog.text
    assert MASK in caplog.text
    assert "harmless text" in caplog.text
    assert "RuntimeError" in caplog.text


def test_the_filter_leaves_clean_records_untouched() -> None:
    record = logging.LogRecord("aiogram", logging.INFO, __file__, 1, "value %s", ("x",), None)
    assert TokenRedactor(TOKEN).filter(record)
    assert record.getMessage() == "value x"
    assert record.args == ("x",)
