"""``python -m bot check``: are the configured credentials accepted, and are the services reachable?

One short call to each configured service, each under a short time limit
(:data:`CHECK_TIMEOUT`, no retries): Zadarma's balance, Telegram's
``getMe`` when ``TELEGRAM_BOT_TOKEN`` is set, Slack's ``auth.test`` when
``SLACK_BOT_TOKEN`` is set. Each result is one line that names the service
and the URL it called (never a token): ``ok: ...`` on standard output,
``error: ...`` on standard error; with ``LOG_FORMAT=json`` each line is a
JSON object instead.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from typing import Any

import httpx

from bot.config import Settings
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.errors import ZadarmaAuthError, ZadarmaError, ZadarmaTransportError
from bot.zadarma.ratelimit import RateLimiter

CHECK_TIMEOUT = 5.0
"""Seconds each service has to answer."""

SLACK_API = "https://slack.com/api/"


@dataclass(frozen=True)
class CheckResult:
    """One service's answer: ``service`` (zadarma, telegram, slack), the ``url`` called, what was found."""

    service: str
    url: str
    ok: bool
    detail: str

    def line(self, fmt: str) -> str:
        """The result as the one line to print, in ``fmt`` ("text" or "json")."""
        if fmt == "json":
            return json.dumps(
                {"check": self.service, "ok": self.ok, "url": self.url, "detail": self.detail},
                ensure_ascii=False,
            )
        return f"{'ok' if self.ok else 'error'}: {self.service} {self.url}: {self.detail}"


def _no_answer(exc: BaseException, seconds: float) -> str:
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"no answer within {seconds:g} s"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    return f"request failed ({type(exc).__name__})"  # the type only: an httpx message quotes the URL


async def check_zadarma(settings: Settings, seconds: float = CHECK_TIMEOUT) -> CheckResult:
    """The account's balance, and the request budget left this minute."""
    url = settings.zadarma_api_url
    timeout = httpx.Timeout(seconds, connect=seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
        client = ZadarmaClient(
            http,
            base_url=url,
            key=settings.zadarma_key,
            secret=settings.zadarma_secret.get_secret_value(),
            limiter=RateLimiter(settings.zadarma_rate_limit),
            timeout=seconds,
            max_retries=0,
        )
        try:
            balance = await asyncio.wait_for(client.balance(), seconds * 2)
        except ZadarmaAuthError as exc:
            return CheckResult(
                "zadarma", url, False, f"ZADARMA_KEY/ZADARMA_SECRET refused (401: {exc.message})"
            )
        except TimeoutError as exc:
            return CheckResult("zadarma", url, False, _no_answer(exc, seconds))
        except ZadarmaTransportError as exc:
            slow = "Timeout" in exc.message
            detail = f"no answer within {seconds:g} s ({exc.message})" if slow else exc.message
            return CheckResult("zadarma", url, False, detail)
        except ZadarmaError as exc:
            return CheckResult("zadarma", url, False, str(exc))
        state = client.limiter.state
        events = ""
        if settings.zadarma_events_url:
            from bot.events_setup import describe

            try:
                ready, seen = await asyncio.wait_for(
                    describe(client, settings.zadarma_events_url), seconds * 2
                )
                events = f"; events {'ready' if ready else 'NOT set up (python -m bot events setup)'}: {seen}"
            except (ZadarmaError, TimeoutError):
                events = "; events settings unreadable"
    left = "unknown" if state.remaining is None else f"{state.remaining} of {state.limit}"
    return CheckResult(
        "zadarma",
        url,
        True,
        f"balance {balance.balance} {balance.currency}; requests left this minute: {left}{events}",
    )


async def check_telegram(settings: Settings, seconds: float = CHECK_TIMEOUT) -> CheckResult:
    """``getMe`` with ``TELEGRAM_BOT_TOKEN``."""
    base = settings.telegram_api_base
    token = settings.telegram_bot_token.get_secret_value()
    try:
        async with httpx.AsyncClient(timeout=seconds) as http:
            response = await asyncio.wait_for(http.get(f"{base}/bot{token}/getMe"), seconds * 2)
    except (httpx.HTTPError, TimeoutError) as exc:
        return CheckResult("telegram", base, False, _no_answer(exc, seconds))
    body = _json(response)
    if response.status_code in {401, 404}:
        return CheckResult("telegram", base, False, f"TELEGRAM_BOT_TOKEN refused ({response.status_code})")
    result = body.get("result") if body.get("ok") is True else None
    if not isinstance(result, dict):
        return CheckResult("telegram", base, False, f"unexpected answer (HTTP {response.status_code})")
    return CheckResult("telegram", base, True, f"bot @{result.get('username', '?')}")


async def check_slack(settings: Settings, seconds: float = CHECK_TIMEOUT) -> CheckResult:
    """``auth.test`` with ``SLACK_BOT_TOKEN``."""
    base = settings.slack_api_base or SLACK_API
    if not base.endswith("/"):
        base += "/"
    headers = {"Authorization": f"Bearer {settings.slack_bot_token.get_secret_value()}"}
    try:
        async with httpx.AsyncClient(timeout=seconds) as http:
            response = await asyncio.wait_for(http.post(base + "auth.test", headers=headers), seconds * 2)
    except (httpx.HTTPError, TimeoutError) as exc:
        return CheckResult("slack", base, False, _no_answer(exc, seconds))
    body = _json(response)
    if body.get("ok") is not True:
        error = str(body.get("error") or f"HTTP {response.status_code}")[:100]
        return CheckResult("slack", base, False, f"SLACK_BOT_TOKEN refused ({error})")
    return CheckResult("slack", base, True, f"team {body.get('team', '?')}, bot user {body.get('user', '?')}")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def run_checks(settings: Settings, seconds: float = CHECK_TIMEOUT) -> list[CheckResult]:
    """Every configured check, side by side."""
    checks = [check_zadarma(settings, seconds)]
    if settings.telegram_enabled:
        checks.append(check_telegram(settings, seconds))
    if settings.slack_enabled:
        checks.append(check_slack(settings, seconds))
    return list(await asyncio.gather(*checks))


def report(results: list[CheckResult], fmt: str) -> int:
    """Print one line per result; 0 when all are ok, else 1."""
    for result in results:
        print(result.line(fmt), file=sys.stdout if result.ok else sys.stderr)
    return 0 if all(r.ok for r in results) else 1
