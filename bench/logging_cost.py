"""CPU per INFO log line, as the bot writes them, before and after redaction was prepared once.

Run: ``.venv/bin/python bench/logging_cost.py [--lines 20000] [--rounds 7]``.
Logging is set up exactly as in production (:func:`bot.logs.configure_logging`
with every secret of a full configuration, the Telegram token filter on
aiogram's logger), writing to ``os.devnull``. Each round logs two kinds of
INFO line: aiogram's one per update (a message with arguments; the bot now
writes the update gate's line instead, six extra fields, see
:mod:`adapters.telegram.log_lines`) and the Zadarma client's one per API
call (four extra fields, under a correlation id). ``before`` swaps the handler's filter for
:class:`PerCallRedactor`, the filter as it was (every field of every line
scrubbed secret by secret); ``after`` is :class:`bot.logs.Redactor`, with records made lean
(:func:`bot.logs.lean_records`: no caller, thread or process look-ups, which
``before`` still makes). Rounds
alternate; medians of microseconds of CPU per line are printed, per format.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from collections.abc import Iterable

from adapters.telegram.redact import TokenRedactor
from bot.config import Settings
from bot.logs import _STANDARD, Redactor, configure_logging, correlated, correlation_id, lean_records

#: What every record collected before: the caller's place, thread and process (logging's defaults).
FULL_RECORDS = (logging._srcfile, logging.logThreads, logging.logProcesses, logging.logMultiprocessing)


def full_records() -> None:
    """Logging's defaults, as before :func:`bot.logs.lean_records`."""
    logging._srcfile, logging.logThreads, logging.logProcesses, logging.logMultiprocessing = FULL_RECORDS


TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SETTINGS = Settings(
    zadarma_key="a1b2c3d4e5f6",
    zadarma_secret="0123456789abcdef0123",
    telegram_bot_token=TOKEN,
    telegram_webhook_secret="webhook-secret-0123456789",
    slack_bot_token="xoxb-1111-2222-abcdefghijkl",
    slack_signing_secret="8f742231b10e8888abcd99yyyzzz85a5",
    redis_url="redis://:redis-password-123@127.0.0.1:6379/0",
    database_url="postgresql://bot:database-password-456@127.0.0.1:5432/bot",
)


class PerCallRedactor(Redactor):
    """The filter before this change: every string field of every record scrubbed, secret by secret.

    Kept here as the reference the benchmark compares with.
    """

    def __init__(self, secrets_: Iterable[str]) -> None:
        super().__init__()
        self._all = {s for s in secrets_ if len(s) >= 6}

    def _old_scrub(self, text: str) -> str:
        for secret in self._all:
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        if self._all:
            record.msg = self._old_scrub(record.getMessage())
            record.args = None
            for key, value in list(vars(record).items()):
                if key not in _STANDARD and isinstance(value, str):
                    setattr(record, key, self._old_scrub(value))
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = self._old_scrub(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def one_round(lines: int) -> float:
    """CPU microseconds per line for ``lines`` lines (half per update, half per API call)."""
    updates = logging.getLogger("aiogram.event")
    client = logging.getLogger("bot.zadarma")
    started = time.process_time()
    for i in range(lines // 2):
        updates.info("Update id=%s is %s. Duration %d ms by bot id=%d", 800_000 + i, "handled", 3, 7012345678)
        with correlated("a1b2c3d4e5f6"):
            client.info(
                "zadarma call",
                extra={"method": "GET", "path": "/v1/direct_numbers/available/", "status": 200, "ms": 4.2},
            )
    return (time.process_time() - started) / (lines // 2 * 2) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    secrets = SETTINGS.secret_values()
    token_filter = TokenRedactor(TOKEN)
    token_filter.install(("aiogram.event",))
    print(f"INFO lines, {args.lines} per round x {args.rounds} rounds, {len(secrets)} secrets registered")
    print(f"{'format':<8}{'before us/line':>16}{'after us/line':>16}{'saved':>8}")
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for fmt in ("text", "json"):
            configure_logging(fmt, "INFO", secrets, stream=sink)
            (handler,) = logging.getLogger().handlers
            current = next(f for f in handler.filters if isinstance(f, Redactor))
            before_filter = PerCallRedactor(secrets)
            figures: dict[str, list[float]] = {"before": [], "after": []}
            one_round(2000)  # warm up
            for _ in range(args.rounds):
                for label, chosen in (("before", before_filter), ("after", current)):
                    handler.filters[:] = [chosen]
                    (full_records if label == "before" else lean_records)()
                    figures[label].append(one_round(args.lines))
            before, after = statistics.median(figures["before"]), statistics.median(figures["after"])
            print(f"{fmt:<8}{before:>16.2f}{after:>16.2f}{1 - after / before:>8.0%}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
