"""aiogram's own line per update, left out where the update gate writes one.

aiogram's dispatcher writes ``Update id=… is handled. Duration … ms`` at INFO
for every update it is fed. Every update the bot receives also passes the
update gate (:mod:`adapters.telegram.gate`), whose one line per update says
the same and more: its kind, sender, outcome, attempt and duration, and a
duplicate dropped. So at INFO, the production default, the bot writes one
line per update rather than two. At DEBUG both are written; aiogram's errors
(``ERROR``, with the traceback) are written at any level.
"""

from __future__ import annotations

import logging
from typing import Final

EVENT_LOGGER: Final = "aiogram.event"
"""The logger of aiogram's line per update."""


class AiogramUpdateLines:
    """Leaves out aiogram's INFO line per update while a Telegram part runs."""

    def __init__(self) -> None:
        self._quieted = False

    def quiet(self) -> None:
        """At INFO (and unless that logger's level was set on purpose), write only its warnings and errors."""
        logger = logging.getLogger(EVENT_LOGGER)
        if logger.level == logging.NOTSET and logger.getEffectiveLevel() == logging.INFO:
            logger.setLevel(logging.WARNING)
            self._quieted = True

    def restore(self) -> None:
        """Undo :meth:`quiet`."""
        if self._quieted:
            logging.getLogger(EVENT_LOGGER).setLevel(logging.NOTSET)
            self._quieted = False
