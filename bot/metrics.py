"""The bot's Prometheus metrics: one registry per app, the metric objects, and the scrape.

:class:`Metrics` owns a :class:`prometheus_client.CollectorRegistry` of its own
(never the process-wide default one), so tests and several apps in one process
do not collide. The layers do not import this module: each receives it through
a narrow interface declared next to its user
(:class:`bot.zadarma.client.CallObserver`, :class:`adapters.updates.UpdateObserver`,
:class:`bot.services.alerts.outbox.DeliveryObserver`); the composition root hands
the same object to all of them.

Labels are low-cardinality by construction: platforms, outcomes, API path
templates, HTTP statuses, intent states. Never a user id, a chat or a number.

What is cheaper to read than to count (intents by state, the alert outbox, the
API budget) is read when ``/metrics`` is scraped: :meth:`Metrics.render` runs
the registered readers first.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics import MetricWrapperBase

from bot.storage import IntentStatus, Storage

log = logging.getLogger("bot.metrics")

PREFIX = "zadarma_bot_"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The ``Content-Type`` of :meth:`Metrics.render`'s output: the text format every Prometheus reads
(the names here need none of version 1.0.0's escaping, so the bytes are the same)."""

# 1 ms to 10 s: a dropped duplicate takes a millisecond, a slow Zadarma reply several seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Path segments that carry an id: ``/v1/documents/groups/get/123/`` -> ``.../get/{id}/``.
_ID_PATHS = re.compile(r"^(/v1/direct_numbers/available/|/v1/documents/groups/(?:get|update|valid)/)[^/]+/$")
_KNOWN_PATH = re.compile(r"^/v1/[a-z_/-]+/$")

Reader = Callable[[], Awaitable[None]]


def path_template(path: str) -> str:
    """The API path with its id segment replaced by ``{id}``; ``other`` for a path that is not a route."""
    templated = _ID_PATHS.sub(r"\1{id}/", path)
    if templated != path:
        return templated
    return path if _KNOWN_PATH.match(path) else "other"


M = TypeVar("M", bound=MetricWrapperBase)


class Metrics:
    """The bot's metrics in a registry of their own; implements every observer interface."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter(
            PREFIX + "updates",
            "Updates (Telegram updates, Slack requests) by platform and outcome.",
            ["platform", "outcome"],
            registry=r,
        )
        self.update_seconds = Histogram(
            PREFIX + "update_handling_seconds",
            "Time to handle one update (handled or failed ones only), by platform.",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.api_calls = Counter(
            PREFIX + "zadarma_api_calls",
            "Zadarma API calls (each attempt) by path template and HTTP status, 'timeout' or 'error'.",
            ["path", "status"],
            registry=r,
        )
        self.api_seconds = Histogram(
            PREFIX + "zadarma_api_call_seconds",
            "Time of one Zadarma API attempt, by path template.",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.api_rate_limited = Counter(
            PREFIX + "zadarma_api_rate_limited",
            "429 replies received from the Zadarma API.",
            registry=r,
        )
        self.api_budget_left = Gauge(
            PREFIX + "zadarma_api_budget_left",
            "Calls the client's rate limiter would still start in the current minute (0 while blocked).",
            registry=r,
        )
        self.intents = Gauge(
            PREFIX + "money_intents",
            "Money intents (orders, renewals) in the store, by state.",
            ["state"],
            registry=r,
        )
        self.outbox_depth = Gauge(
            PREFIX + "alert_outbox_depth",
            "Alert deliveries waiting to be sent (pending, or failed with a retry due).",
            registry=r,
        )
        self.outbox_oldest_seconds = Gauge(
            PREFIX + "alert_outbox_oldest_due_age_seconds",
            "How long the most overdue alert delivery has been due (0 when none is due).",
            registry=r,
        )
        self.deliveries = Counter(
            PREFIX + "alert_deliveries",
            "Alert delivery attempts by platform and result (sent, blocked, failed, given_up).",
            ["platform", "result"],
            registry=r,
        )
        self._readers: list[Reader] = []
        self._children: dict[tuple[object, ...], MetricWrapperBase] = {}

    def _child(self, metric: M, *labels: str) -> M:
        """``metric.labels(*labels)``, looked up once per label values (``labels`` locks and checks)."""
        key = (metric, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child  # type: ignore[return-value]

    # -- the observer interfaces -----------------------------------------------------

    def update(self, platform: str, outcome: str, seconds: float | None) -> None:
        """One update finished with ``outcome``; ``seconds`` is its handling time (``None``: not timed)."""
        self._child(self.updates, platform, outcome).inc()
        if seconds is not None:
            self._child(self.update_seconds, platform).observe(seconds)

    def api_call(self, path: str, status: str, seconds: float) -> None:
        """One Zadarma API attempt ended with ``status`` (HTTP status, ``timeout`` or ``error``)."""
        template = path_template(path)
        self._child(self.api_calls, template, status).inc()
        self._child(self.api_seconds, template).observe(seconds)
        if status == "429":
            self.api_rate_limited.inc()

    def delivery(self, platform: str, result: str) -> None:
        """One alert delivery attempt ended with ``result``."""
        self.deliveries.labels(platform, result).inc()

    # -- read at scrape time -----------------------------------------------------------

    def read_at_scrape(self, reader: Reader) -> None:
        """Run ``reader`` (which sets gauges) before each :meth:`render`."""
        self._readers.append(reader)

    def read_storage(self, storage: Storage, clock: Callable[[], datetime]) -> None:
        """Read intents by state and the alert outbox from ``storage`` at each scrape."""

        async def read() -> None:
            counts = await storage.intents.count_by_status()
            for state in IntentStatus:
                self.intents.labels(state.value).set(counts.get(state, 0))
            now = clock()
            backlog = await storage.alerts.delivery_backlog(now)
            self.outbox_depth.set(backlog.waiting)
            oldest = backlog.oldest_due_at
            age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
            self.outbox_oldest_seconds.set(age)

        self.read_at_scrape(read)

    def read_budget(self, budget_left: Callable[[], int | Awaitable[int]]) -> None:
        """Read the API budget left from ``budget_left`` (the client's rate limiter) at each scrape."""

        async def read() -> None:
            left = budget_left()
            self.api_budget_left.set(await left if inspect.isawaitable(left) else left)

        self.read_at_scrape(read)

    async def render(self) -> bytes:
        """The registry in Prometheus text format, after the readers ran.

        A reader that fails (the store is down) leaves its gauges at their last
        values and is logged; the counters are still served.
        """
        for reader in self._readers:
            try:
                await reader()
            except Exception:  # a scrape must not fail because one source does
                log.exception("a metrics reader failed")
        return generate_latest(self.registry)
