"""Configuration, read once from the environment and validated at start.

Every setting is an environment variable of the same name in upper case.
Secrets are :class:`~pydantic.SecretStr`, so they never show in reprs or logs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.zadarma.client import PRODUCTION_URL


def split_ids(value: str) -> tuple[str, ...]:
    """``"1, 2,3"`` -> ``("1", "2", "3")``; empty parts dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


class Settings(BaseSettings):
    """All settings of the bot; see the README's table for their meaning."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    zadarma_api_url: str = PRODUCTION_URL
    zadarma_key: str = ""
    zadarma_secret: SecretStr = SecretStr("")
    zadarma_rate_limit: int = Field(default=100, ge=1, le=10_000)
    zadarma_timeout: float = Field(default=15.0, gt=0, le=120)
    settle_window: float = Field(default=0.0, ge=0, le=86_400)
    outcome_grace: float = Field(default=60.0, ge=0, le=3600)

    database_url: str = "sqlite:///zadarma-bot.db"
    default_language: Literal["en", "pl"] = "en"

    telegram_bot_token: SecretStr = SecretStr("")
    telegram_api_base: str = "https://api.telegram.org"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: SecretStr = SecretStr("")
    telegram_admin_ids: str = ""

    slack_bot_token: SecretStr = SecretStr("")
    slack_signing_secret: SecretStr = SecretStr("")
    slack_app_token: SecretStr = SecretStr("")
    slack_api_base: str = ""
    slack_admin_users: str = ""
    slack_alert_channel: str = ""

    alert_interval: float = Field(default=900.0, gt=0)
    alert_days: str = "14,7,3,1"
    alert_digest_hour: int = Field(default=9, ge=0, le=23)
    alert_lease_ttl: float = Field(default=20.0, ge=1, le=600)

    http_host: str = "0.0.0.0"  # noqa: S104 - a container listens on all interfaces
    http_port: int = Field(default=8080, ge=0, le=65535)

    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("zadarma_api_url", "telegram_api_base")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("alert_days")
    @classmethod
    def _days(cls, value: str) -> str:
        parts = split_ids(value)
        if not parts or not all(p.isdigit() and 0 < int(p) <= 365 for p in parts):
            raise ValueError("must be comma-separated whole days between 1 and 365, e.g. 14,7,3,1")
        return value

    @property
    def settle_window_seconds(self) -> float:
        """How long an unknown payment is re-checked before "no change" proves it did not happen.

        ``SETTLE_WINDOW`` when set; else eight client timeouts, at least a minute,
        so that a request that lands late (after the client gave up) is still seen.
        """
        return self.settle_window or max(60.0, 8 * self.zadarma_timeout)

    @property
    def telegram_admins(self) -> frozenset[str]:
        """Telegram user ids allowed to operate."""
        return frozenset(split_ids(self.telegram_admin_ids))

    @property
    def slack_admins(self) -> frozenset[str]:
        """Slack user ids allowed to use the commands."""
        return frozenset(split_ids(self.slack_admin_users))

    @property
    def alert_lead_days(self) -> tuple[int, ...]:
        """Lead times for expiry warnings, largest first."""
        return tuple(sorted({int(p) for p in split_ids(self.alert_days)}, reverse=True))

    @property
    def telegram_enabled(self) -> bool:
        """Telegram runs when its token is set."""
        return bool(self.telegram_bot_token.get_secret_value())

    @property
    def slack_enabled(self) -> bool:
        """Slack runs when its bot token is set."""
        return bool(self.slack_bot_token.get_secret_value())

    def secret_values(self) -> list[str]:
        """Every secret, for masking in logs."""
        values = [
            self.zadarma_secret,
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
        ]
        return [v.get_secret_value() for v in values if v.get_secret_value()]

    def run_problems(self) -> list[str]:
        """What keeps ``python -m bot run`` from starting, one line per problem."""
        problems = [f"{name} is not set" for name in self.missing_zadarma()]
        if not self.telegram_enabled and not self.slack_enabled:
            problems.append("neither TELEGRAM_BOT_TOKEN nor SLACK_BOT_TOKEN is set: nothing to run")
        if self.telegram_webhook_url and not self.telegram_webhook_url.startswith("https://"):
            problems.append("TELEGRAM_WEBHOOK_URL must be an https:// URL")
        if self.telegram_webhook_url and not self.telegram_enabled:
            problems.append("TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not")
        http_slack = self.slack_enabled and not self.slack_app_token.get_secret_value()
        if http_slack and not self.slack_signing_secret.get_secret_value():
            problems.append("SLACK_SIGNING_SECRET is needed for Slack over HTTP (or set SLACK_APP_TOKEN)")
        if self.slack_enabled and not self.slack_admins:
            problems.append("SLACK_ADMIN_USERS is empty: nobody could use the Slack commands")
        if self.slack_alert_channel and not self.slack_enabled:
            problems.append("SLACK_ALERT_CHANNEL is set but SLACK_BOT_TOKEN is not")
        return problems

    def missing_zadarma(self) -> list[str]:
        """Names of the Zadarma settings that are not set."""
        missing = []
        if not self.zadarma_key:
            missing.append("ZADARMA_KEY")
        if not self.zadarma_secret.get_secret_value():
            missing.append("ZADARMA_SECRET")
        return missing


class ConfigError(Exception):
    """The configuration is not usable; the message has one line per problem."""


def load_settings() -> Settings:
    """Read the settings, turning validation errors into a readable :class:`ConfigError`."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "_".join(str(p) for p in error["loc"]).upper() or "configuration"
            lines.append(f"{name}: {error['msg']}")
        raise ConfigError("\n".join(lines)) from None
