"""``python -m bot events setup`` and the webhook line of ``python -m bot check``.

The account's notification settings are compared with ``ZADARMA_EVENTS_URL``.
:func:`report_at_start` logs one line at ``python -m bot run``'s start (it
changes nothing). ``setup`` points SMS (``/v1/pbx/webhooks``) and call events
(``/v1/pbx/callinfo``) at that URL and switches them on; a URL that points
elsewhere is never replaced without ``--force``.
"""

from __future__ import annotations

import asyncio
import logging

from bot.zadarma.client import ZadarmaClient
from bot.zadarma.errors import ZadarmaError

log = logging.getLogger("bot.events_setup")

FIX_COMMAND = "python -m bot events setup"
START_CHECK_SECONDS = 20.0


async def describe(client: ZadarmaClient, wanted: str) -> tuple[bool, str]:
    """Whether the account sends SMS and call events to ``wanted``, and one line saying what is set."""
    hooks = await client.webhook_settings()
    calls = await client.callinfo_settings()
    ok = (
        bool(wanted)
        and hooks.url == wanted
        and hooks.hooks.sms
        and calls.url == wanted
        and calls.notifications.notify_end
    )
    end = "on" if calls.notifications.notify_end else "off"
    line = (
        f"SMS events -> {hooks.url or '(not set)'} (sms {'on' if hooks.hooks.sms else 'off'}); "
        f"call events -> {calls.url or '(not set)'} (end {end}); "
        f"ZADARMA_EVENTS_URL={wanted or '(not set)'}"
    )
    return ok, line


async def setup(client: ZadarmaClient, wanted: str, *, force: bool = False) -> tuple[bool, str]:
    """Point both kinds of events at ``wanted`` and switch them on; refuses to overwrite another URL."""
    if not wanted:
        return False, "ZADARMA_EVENTS_URL is not set"
    hooks = await client.webhook_settings()
    calls = await client.callinfo_settings()
    elsewhere = [u for u in (hooks.url, calls.url) if u and u != wanted]
    if elsewhere and not force:
        return False, f"events already go to {', '.join(sorted(set(elsewhere)))}; use --force to replace"
    if hooks.url != wanted:
        await client.set_webhook_url(wanted)
    await client.set_webhook_hooks(sms=True)
    if calls.url != wanted:
        await client.set_callinfo_url(wanted)
    await client.set_call_notifications(notify_start=True, notify_end=True)
    return await describe(client, wanted)


async def report_at_start(client: ZadarmaClient, wanted: str, seconds: float = START_CHECK_SECONDS) -> bool:
    """Read the account's notification settings and log one line; never changes them.

    Info when SMS and call events go to ``wanted`` and are on; a warning naming
    what is set and the command that fixes it otherwise (or when the settings
    cannot be read). Returns whether the account is ready.
    """
    try:
        ready, seen = await asyncio.wait_for(describe(client, wanted), seconds)
    except (ZadarmaError, TimeoutError) as exc:
        log.warning(
            "Zadarma events settings could not be read at start (%s); check them with python -m bot check",
            type(exc).__name__,
        )
        return False
    if ready:
        log.info("Zadarma events ready: %s", seen)
    else:
        log.warning(
            "Zadarma events are NOT set up for ZADARMA_EVENTS_URL: %s; to fix: %s "
            "(add --force to replace a URL that points elsewhere)",
            seen,
            FIX_COMMAND,
        )
    return ready
