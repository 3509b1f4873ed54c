"""Alerts: expiry warnings, renewals, parking, documents and balance, each sent once.

Zadarma sends no webhooks for these events, so the bot finds them by
scanning the account and comparing it with what it saw last time.

* :mod:`.snapshot` -- :class:`Snapshot`, the stored picture of the account;
* :mod:`.rules` -- :func:`due_alerts`, the pure rule;
* :mod:`.drafts` -- :class:`AlertKind`, :class:`AlertDraft` and the actions per kind;
* :mod:`.delivery` -- :class:`AlertSink`, the adapters' contract;
* :mod:`.routing` -- :class:`AlertRoutes`, each platform's sink and audience;
* :mod:`.outbox` -- sending claimed alerts with backoff;
* :mod:`.rejections` -- why documents were refused;
* :mod:`.scheduler` -- :class:`AlertScheduler`, which runs it all.
"""

from __future__ import annotations

from bot.services.alerts.delivery import AlertMessage, AlertSink, DeliveryResult
from bot.services.alerts.drafts import (
    ACTION_AUTORENEW_ON,
    ACTION_PROLONG,
    ACTION_UPLOAD_DOCUMENTS,
    ACTIONS,
    AlertDraft,
    AlertKind,
)
from bot.services.alerts.outbox import OutboxSettings
from bot.services.alerts.routing import CUSTOMERS, TEAM, AlertRoute, AlertRoutes, Audience
from bot.services.alerts.rules import BalanceLike, due_alerts
from bot.services.alerts.scheduler import AlertScheduler, ScanReport
from bot.services.alerts.snapshot import NumberState, Snapshot, SnapshotError

__all__ = [
    "ACTIONS",
    "ACTION_AUTORENEW_ON",
    "ACTION_PROLONG",
    "ACTION_UPLOAD_DOCUMENTS",
    "CUSTOMERS",
    "TEAM",
    "AlertDraft",
    "AlertKind",
    "AlertMessage",
    "AlertRoute",
    "AlertRoutes",
    "AlertScheduler",
    "AlertSink",
    "Audience",
    "BalanceLike",
    "DeliveryResult",
    "NumberState",
    "OutboxSettings",
    "ScanReport",
    "Snapshot",
    "SnapshotError",
    "due_alerts",
]
