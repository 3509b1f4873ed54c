"""``python -m bot events setup`` and the webhook line of ``python -m bot check``.

The account's notification settings are compared with ``ZADARMA_EVENTS_URL``.
``setup`` points SMS (``/v1/pbx/webhooks``) and call events
(``/v1/pbx/callinfo``) at that URL and switches them on; a URL that points
elsewhere is never replaced without ``--force``.
"""

from __future__ import annotations

from bot.zadarma.client import ZadarmaClient


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
