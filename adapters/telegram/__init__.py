"""The Telegram adapter: the conversations in Telegram, through aiogram 3.

* :class:`TelegramPart` (:mod:`.part`) - the part the composition root runs;
  also :meth:`TelegramPart.deliver_notice` for alerts;
* :mod:`.delivery` - :data:`DeliveryOutcome` (:class:`Sent`, :class:`Blocked`, :class:`RetryLater`);
  :mod:`.alerts` - :class:`~adapters.telegram.alerts.TelegramAlertSink`, the alert scheduler's sink;
* :mod:`.translate` / :mod:`.render` - pure translation of messages to events
  and of screens to messages;
* :mod:`.gate` (order, de-duplication, user records), :mod:`.handlers`
  (the router), :mod:`.presenter` (edit or send), :mod:`.files` (bounded
  downloads), :mod:`.sending` (flood waits), :mod:`.pacer` (bulk pacing),
  :mod:`.webhook`, :mod:`.texts`,
  :mod:`.status` and :mod:`.retries` (health and start-up), :mod:`.redact`
  (the token stays out of logs).
"""

from adapters.telegram.delivery import Blocked, DeliveryOutcome, RetryLater, Sent
from adapters.telegram.part import TelegramPart

__all__ = ["Blocked", "DeliveryOutcome", "RetryLater", "Sent", "TelegramPart"]
