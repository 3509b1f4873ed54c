"""The outcome of posting an alert or a digest to Slack, for the scheduler's retry bookkeeping."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError

# Slack errors that no retry will cure (wrong channel, the app removed, bad token...).
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "no_permission",
        "missing_scope",
        "restricted_action",
        "invalid_blocks",
        "msg_too_long",
        "no_alert_channel",
    }
)
DEFAULT_RETRY_AFTER = 60.0
TRANSPORT_RETRY_AFTER = 30.0


@dataclass(frozen=True)
class DeliveryOutcome:
    """Whether a message went out.

    ``sent`` with the message's ``ts``; or failed with ``error`` (Slack's
    error code or a short description) and ``retry_after``: seconds to wait
    before trying again, ``None`` when retrying will not help.
    """

    sent: bool
    error: str | None = None
    retry_after: float | None = None
    ts: str | None = None

    @classmethod
    def delivered(cls, ts: str | None = None) -> DeliveryOutcome:
        """A message that was posted."""
        return cls(True, ts=ts)

    @classmethod
    def failed(cls, error: str, retry_after: float | None) -> DeliveryOutcome:
        """A message that was not posted."""
        return cls(False, error=error, retry_after=retry_after)


def outcome_of_error(exc: Exception) -> DeliveryOutcome:
    """Classify a failed post: rate limits carry Slack's ``Retry-After``, permanent errors no retry."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        code = str(response.get("error") or "unknown_error") if response is not None else "unknown_error"
        if code == "ratelimited" or (response is not None and response.status_code == 429):
            header = response.headers.get("Retry-After") or response.headers.get("retry-after") or ""
            try:
                wait = max(1.0, float(header))
            except ValueError:
                wait = DEFAULT_RETRY_AFTER
            return DeliveryOutcome.failed("ratelimited", wait)
        if code in PERMANENT_ERRORS:
            return DeliveryOutcome.failed(code, None)
        return DeliveryOutcome.failed(code, DEFAULT_RETRY_AFTER)
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return DeliveryOutcome.failed(f"transport: {type(exc).__name__}", TRANSPORT_RETRY_AFTER)
    return DeliveryOutcome.failed(f"error: {type(exc).__name__}", DEFAULT_RETRY_AFTER)
