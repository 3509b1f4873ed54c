"""Configuration, read once from the environment and validated at start.

Every setting is an environment variable of the same name in upper case.
Secrets are :class:`~pydantic.SecretStr`, so they never show in reprs or logs.
:func:`load_settings` collects every problem at once, in plain words, one
line each (:class:`ConfigError`); the command line prints each line with
the same ``configuration error:`` prefix.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.eventloop import LoopName, uvloop_available
from bot.storage.sealing import StateKeys, parse_key
from bot.storage.url import EXPECTED_FORMS, SqliteUrl, parse_database_url
from bot.zadarma.client import PRODUCTION_URL
from bot.zadarma.transport import TransportName

TELEGRAM_API = "https://api.telegram.org"
SQLITE_HEADER = b"SQLite format 3\x00"
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


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
    zadarma_transport: TransportName = "aiohttp"  # what the Zadarma client's httpx sends through
    event_loop: LoopName = "auto"  # bot.eventloop: uvloop where installed
    settle_window: float = Field(default=0.0, ge=0, le=86_400)
    outcome_grace: float = Field(default=60.0, ge=0, le=3600)

    database_url: str = "sqlite:///zadarma-bot.db"
    state_encryption_key: SecretStr = SecretStr("")
    state_encryption_old_keys: SecretStr = SecretStr("")
    default_language: Literal["en", "pl"] = "en"

    telegram_bot_token: SecretStr = SecretStr("")
    telegram_api_base: str = TELEGRAM_API
    telegram_webhook_url: str = ""
    telegram_webhook_secret: SecretStr = SecretStr("")
    telegram_admin_ids: str = ""
    telegram_webapp_url: str = ""
    """The public https URL of the Mini App page (``/webapp/`` on this server); unset: no Mini App."""
    telegram_webapp_max_age: float = Field(default=3600.0, ge=60, le=86_400)
    """Seconds the Mini App's init data (its ``auth_date``) is accepted for."""

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

    zadarma_events_url: str = ""  # the public URL of /zadarma/events (python -m bot events setup)
    sms_retention_days: int = Field(default=30, ge=1, le=3650)

    redis_url: SecretStr = SecretStr("")  # may hold a password: never logged
    redis_prefix: str = "zadarma-bot:"
    orphan_after: float = Field(default=120.0, ge=1, le=86_400)
    """With REDIS_URL: seconds after which work a replica left unfinished (a kept update, an order or
    renewal still being placed) is taken over by another replica, whatever the replicas say they hold."""
    replica_heartbeat: float = Field(default=5.0, ge=0.1, le=60)
    """With REDIS_URL: seconds between two lists of a replica's work in hand; a replica silent for
    three of them is gone, and its unfinished work is taken over then (``bot.coord.in_hand``)."""

    http_host: str = "0.0.0.0"  # noqa: S104 - a container listens on all interfaces
    http_port: int = Field(default=8080, ge=0, le=65535)
    drain_seconds: float = Field(default=5.0, ge=0, le=300)
    """After SIGTERM: seconds /healthz answers 503 while requests are still served, before stopping."""
    metrics_token: SecretStr = SecretStr("")  # bearer token for /metrics; unset: open (keep it internal)

    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("zadarma_api_url", "telegram_api_base")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook(cls, value: str) -> str:
        if value and not (value.startswith(("http://", "https://")) and urlsplit(value).hostname):
            raise ValueError(
                "must be the public URL Telegram posts updates to, e.g. https://bot.example.com/tg"
            )
        return value

    @field_validator("telegram_webapp_url")
    @classmethod
    def _webapp(cls, value: str) -> str:
        if value and not (value.startswith("https://") and urlsplit(value).hostname):
            raise ValueError(
                "must be the public https URL of the Mini App page (Telegram opens only https), "
                "e.g. https://bot.example.com/webapp/"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        try:
            parse_database_url(value)
        except ValueError:  # its message quotes the URL, which may hold a password
            raise ValueError(f"must be {EXPECTED_FORMS}") from None
        return value.strip()

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value().strip()
        if url and (problem := redis_url_problem(url)):
            raise ValueError(problem)  # names the expected form, never the URL
        return SecretStr(url)

    @field_validator("redis_prefix")
    @classmethod
    def _redis_prefix(cls, value: str) -> str:
        if not value or len(value) > 64 or any(c.isspace() for c in value):
            raise ValueError("must be 1 to 64 characters without spaces, e.g. zadarma-bot:")
        return value

    @field_validator("state_encryption_key")
    @classmethod
    def _state_key(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value().strip():
            parse_key(value.get_secret_value())  # its ValueError names the format, never the value
        return value

    @field_validator("state_encryption_old_keys")
    @classmethod
    def _old_state_keys(cls, value: SecretStr) -> SecretStr:
        for part in split_ids(value.get_secret_value()):
            try:
                parse_key(part)
            except ValueError as exc:
                raise ValueError(f"each comma-separated key {exc}") from None
        return value

    @field_validator("telegram_admin_ids")
    @classmethod
    def _telegram_ids(cls, value: str) -> str:
        wrong = [p for p in split_ids(value) if not (p.isascii() and p.isdigit() and len(p) <= 20)]
        if wrong:
            raise ValueError(
                f"must be Telegram user ids (numbers), comma-separated, e.g. 1234,5678; not {wrong[0][:40]!r}"
            )
        return value

    @field_validator("slack_admin_users")
    @classmethod
    def _slack_ids(cls, value: str) -> str:
        wrong = [p for p in split_ids(value) if not SLACK_USER_ID.match(p)]
        if wrong:
            raise ValueError(
                f"must be Slack user ids, comma-separated, e.g. U012AB3CD; not {wrong[0][:40]!r}"
            )
        return value

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
    def state_keys(self) -> StateKeys | None:
        """``STATE_ENCRYPTION_KEY`` and ``STATE_ENCRYPTION_OLD_KEYS``; ``None`` when no key is set.

        Without a key the SQLite store generates one into a file beside the database.
        """
        current = self.state_encryption_key.get_secret_value().strip()
        if not current:
            return None
        old = split_ids(self.state_encryption_old_keys.get_secret_value())
        return StateKeys(parse_key(current), tuple(parse_key(k) for k in old))

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
            self.state_encryption_key,
            self.metrics_token,
        ]
        secrets = [v.get_secret_value() for v in values if v.get_secret_value()]
        for url in (self.redis_url.get_secret_value(), self.database_url):
            password = urlsplit(url).password
            if password:
                secrets.append(password)
        return secrets + list(split_ids(self.state_encryption_old_keys.get_secret_value()))

    def run_problems(self) -> list[str]:
        """What keeps ``python -m bot run`` from starting, one line per problem."""
        problems = [f"{name} is not set" for name in self.missing_zadarma()]
        if not self.telegram_enabled and not self.slack_enabled:
            problems.append("neither TELEGRAM_BOT_TOKEN nor SLACK_BOT_TOKEN is set: nothing to run")
        plain_http = self.telegram_webhook_url and not self.telegram_webhook_url.startswith("https://")
        if plain_http and self.telegram_api_is_telegrams:
            problems.append(
                "TELEGRAM_WEBHOOK_URL must be an https:// URL: Telegram delivers only to https (plain http "
                "works with a self-hosted Bot API server in --local mode, named by TELEGRAM_API_BASE)"
            )
        if self.telegram_webapp_url and not self.telegram_enabled:
            problems.append("TELEGRAM_WEBAPP_URL is set but TELEGRAM_BOT_TOKEN is not")
        if self.telegram_webhook_url and not self.telegram_enabled:
            problems.append("TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not")
        http_slack = self.slack_enabled and not self.slack_app_token.get_secret_value()
        if http_slack and not self.slack_signing_secret.get_secret_value():
            problems.append("SLACK_SIGNING_SECRET is needed for Slack over HTTP (or set SLACK_APP_TOKEN)")
        if self.slack_enabled and not self.slack_admins:
            problems.append("SLACK_ADMIN_USERS is empty: nobody could use the Slack commands")
        if self.slack_alert_channel and not self.slack_enabled:
            problems.append("SLACK_ALERT_CHANNEL is set but SLACK_BOT_TOKEN is not")
        if self.state_encryption_old_keys.get_secret_value().strip() and not self.state_keys:
            problems.append(
                "STATE_ENCRYPTION_OLD_KEYS is set but STATE_ENCRYPTION_KEY is not: old keys only decrypt, "
                "set the new key too"
            )
        where = database_problem(self.database_url)
        if where:
            problems.append(f"DATABASE_URL: {where}")
        if self.event_loop == "uvloop" and not uvloop_available():
            problems.append("EVENT_LOOP=uvloop but uvloop is not installed (pip install uvloop, or use auto)")
        return problems

    @property
    def telegram_api_is_telegrams(self) -> bool:
        """Whether the Bot API is Telegram's own (not a self-hosted ``telegram-bot-api`` server)."""
        return (urlsplit(self.telegram_api_base).hostname or "").lower() == "api.telegram.org"

    def missing_zadarma(self) -> list[str]:
        """Names of the Zadarma settings that are not set."""
        missing = []
        if not self.zadarma_key:
            missing.append("ZADARMA_KEY")
        if not self.zadarma_secret.get_secret_value():
            missing.append("ZADARMA_SECRET")
        return missing


class ConfigError(Exception):
    """The configuration is not usable; :attr:`problems` holds one plain line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(*, for_run: bool = False) -> Settings:
    """Read the settings; every problem at once as a :class:`ConfigError`.

    With ``for_run`` the problems that keep ``run`` from starting
    (:meth:`Settings.run_problems`) are in the same list: a value that does
    not parse is reported next to a missing secret, not after it is fixed.
    """
    try:
        settings = Settings()
        problems: list[str] = []
    except ValidationError as exc:
        errors = exc.errors()
        problems = [plain_problem(error) for error in errors]
        wrong = {str(error["loc"][0]) for error in errors if error["loc"]}
        try:  # the rest of the settings, with defaults in place of the wrong values
            settings = Settings(**{name: Settings.model_fields[name].default for name in wrong})
        except ValidationError:
            raise ConfigError(problems) from None
    if for_run:
        problems += settings.run_problems()
    if problems:
        raise ConfigError(problems)
    return settings


def plain_problem(error: ErrorDetails) -> str:
    """One pydantic error as ``NAME: what it must be``, without pydantic's own wording."""
    name = "_".join(str(p) for p in error["loc"]).upper() or "configuration"
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    kind = error["type"]
    if kind == "value_error":
        text = str(ctx.get("error", error["msg"]))
    elif kind in {"int_parsing", "int_from_float"}:
        text = "must be a whole number"
    elif kind == "float_parsing":
        text = "must be a number"
    elif kind == "bool_parsing":
        text = "must be true or false"
    elif kind == "literal_error":
        text = f"must be one of: {str(ctx.get('expected', '')).replace(chr(39), '')}"
    elif kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        limit = next(iter(ctx.values()), "")
        words = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }
        text = f"must be {words[kind]} {limit}"
    else:
        text = str(error["msg"])
    return f"{name}: {text}"


REDIS_FORMS = "redis://[:password@]host[:port][/db], rediss://... (TLS) or unix:///path/to/redis.sock"


def redis_url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable Redis URL (one line that does not quote it), or ``None``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return f"must be {REDIS_FORMS}"
    if parts.scheme in ("redis", "rediss") and parts.hostname:
        database = parts.path.strip("/")
        return None if database == "" or database.isdigit() else f"must be {REDIS_FORMS}"
    if parts.scheme == "unix" and parts.path:
        return None
    return f"must be {REDIS_FORMS}"


def demo_database_url(db: str | None) -> str:
    """The ``DATABASE_URL`` for ``demo --db``: a path (relative to the current folder) or a URL as is."""
    if not db:
        return "memory://"
    if db.strip().startswith(("sqlite:///", "memory://")):
        return db.strip()
    return "sqlite:///" + str(Path(db).expanduser())  # an absolute path gives the four-slash form


def database_problem(url: str) -> str | None:
    """Why the SQLite file ``url`` names cannot be used (None if it can, or it is not SQLite).

    A directory, a file that is not an SQLite database, a file or folder that
    is not writable, or a place where no file can be made: each is one
    plain line, found before anything is opened.
    """
    try:
        parsed = parse_database_url(url)
    except ValueError:
        return f"must be {EXPECTED_FORMS}"
    if not isinstance(parsed, SqliteUrl):
        return None
    path = parsed.path
    if path.is_dir():
        return f"{path} is a folder, not a database file"
    if path.exists():
        try:
            with path.open("rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
        except OSError as exc:
            return f"cannot read {path}: {exc.strerror or exc}"
        if header and header != SQLITE_HEADER:
            return f"{path} is not an SQLite database (it holds something else; name a new file instead)"
        if not os.access(path, os.W_OK):
            return f"{path} is not writable"
        return None
    folder = _nearest_existing(path.parent)
    if not folder.is_dir():
        return f"cannot create {path}: {folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot create {path}: the folder {folder} is not writable"
    return None


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder
