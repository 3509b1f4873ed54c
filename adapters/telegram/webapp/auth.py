"""Checking a Mini App request's ``Authorization: tma <initData>`` header.

Telegram signs the init data it hands the page with the bot token (HMAC-SHA256,
see https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app);
aiogram's ``safe_parse_webapp_init_data`` checks that signature. On top of it
the data must be fresh (``auth_date`` at most ``max_age`` seconds old, and not
from the future beyond a little clock skew) and name a user. The raw header is
never logged: it identifies the customer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiogram.utils.web_app import safe_parse_webapp_init_data

SCHEME = "tma "
MAX_INIT_DATA = 4096
"""Longer headers are refused unread (Telegram's init data is well under 1 KB)."""
CLOCK_SKEW = timedelta(seconds=60)


class InitDataRefused(Exception):
    """The request is not signed by Telegram for this bot, or too long ago; ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    """The Telegram user the init data was signed for."""

    id: int
    language_code: str | None


class InitDataCheck:
    """Validates init data with the bot ``token``; ``max_age`` seconds is how long it stays good."""

    def __init__(
        self, token: str, max_age: float = 3600.0, *, now: Callable[[], datetime] | None = None
    ) -> None:
        self._token = token
        self._max_age = timedelta(seconds=max_age)
        self._now = now or (lambda: datetime.now(UTC))

    def user(self, authorization: str | None) -> WebAppUser:
        """The user of a request's ``Authorization`` header; :class:`InitDataRefused` when it is not good."""
        if not authorization or not authorization.startswith(SCHEME):
            raise InitDataRefused("missing")
        raw = authorization[len(SCHEME) :].strip()
        if not raw or len(raw) > MAX_INIT_DATA:
            raise InitDataRefused("missing" if not raw else "too long")
        try:
            data = safe_parse_webapp_init_data(self._token, raw)
        except (ValueError, TypeError):  # a wrong signature, or signed fields that do not parse
            raise InitDataRefused("signature") from None
        signed_at = data.auth_date if data.auth_date.tzinfo else data.auth_date.replace(tzinfo=UTC)
        age = self._now() - signed_at
        if age > self._max_age or age < -CLOCK_SKEW:
            raise InitDataRefused("stale")
        if data.user is None:
            raise InitDataRefused("no user")
        return WebAppUser(id=data.user.id, language_code=data.user.language_code)
