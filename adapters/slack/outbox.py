"""Every way the adapter talks back to Slack, in one place that remembers the last failure.

Messages go through ``response_url`` (answers to commands and buttons,
ephemeral or replacing the message pressed), ``chat.postMessage`` /
``chat.postEphemeral`` / ``chat.update``, and views through
``views.open`` / ``views.update`` / ``views.publish``. Failures are logged
by method and Slack's error code only, never with payloads or tokens.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import Rendered

log = logging.getLogger("adapters.slack.outbox")


def slack_error_code(exc: Exception) -> str:
    """Slack's error code of a failed Web API call, or the exception's type name."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error") or "unknown_error")
    return type(exc).__name__


class Outbox:
    """Posts, updates and views over one :class:`AsyncWebClient`."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.last_error: str | None = None

    def note_failure(self, method: str, exc: Exception) -> str:
        """Remember and log a failed call; returns the error code."""
        code = slack_error_code(exc)
        self.last_error = f"{method}: {code}"
        log.warning("slack call failed", extra={"method": method, "error": code})
        return code

    async def respond(
        self,
        response_url: str,
        message: Rendered,
        *,
        replace: bool = False,
        ephemeral: bool = True,
    ) -> bool:
        """Answer through a ``response_url``; ``replace`` swaps the message that was pressed."""
        if not response_url:
            return False
        webhook = AsyncWebhookClient(response_url, timeout=15)
        try:
            response = await webhook.send(
                text=message.text,
                blocks=message.blocks,
                response_type="ephemeral" if ephemeral else "in_channel",
                replace_original=replace,
            )
        except Exception as exc:  # network trouble: the caller may fall back to another way
            self.note_failure("response_url", exc)
            return False
        if response.status_code != 200:
            self.last_error = f"response_url: HTTP {response.status_code}"
            log.warning("slack response_url refused", extra={"status": response.status_code})
            return False
        return True

    async def delete_original(self, response_url: str) -> bool:
        """Remove the message a button was pressed on (ephemeral confirmations)."""
        if not response_url:
            return False
        try:
            response = await AsyncWebhookClient(response_url, timeout=15).send(delete_original=True)
        except Exception as exc:
            self.note_failure("response_url", exc)
            return False
        return response.status_code == 200

    async def post(self, channel: str, message: Rendered) -> tuple[str, str]:
        """``chat.postMessage``; returns ``(channel_id, ts)``. Raises on failure (after noting it)."""
        try:
            response = await self.client.chat_postMessage(
                channel=channel, text=message.text, blocks=message.blocks
            )
        except Exception as exc:
            self.note_failure("chat.postMessage", exc)
            raise
        return str(response.get("channel") or channel), str(response.get("ts") or "")

    async def ephemeral(self, channel: str, user: str, message: Rendered) -> bool:
        """``chat.postEphemeral`` to ``user`` in ``channel``."""
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=user, text=message.text, blocks=message.blocks
            )
        except Exception as exc:
            self.note_failure("chat.postEphemeral", exc)
            return False
        return True

    async def update(self, channel: str, ts: str, message: Rendered) -> bool:
        """``chat.update`` of a message the bot posted."""
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
        except Exception as exc:
            self.note_failure("chat.update", exc)
            return False
        return True

    async def answer(
        self, *, response_url: str, channel: str, user: str, message: Rendered, replace: bool = False
    ) -> None:
        """Best effort: the ``response_url``, else an ephemeral message, else a DM."""
        if await self.respond(response_url, message, replace=replace):
            return
        if channel and await self.ephemeral(channel, user, message):
            return
        try:
            await self.post(user, message)
        except Exception:  # already noted; nothing else to try
            return

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> tuple[str, str] | None:
        """``views.open``; returns ``(view_id, hash)`` or None when Slack refused."""
        try:
            response = await self.client.views_open(trigger_id=trigger_id, view=view)
        except Exception as exc:
            self.note_failure("views.open", exc)
            return None
        opened = response.get("view") or {}
        return str(opened.get("id") or ""), str(opened.get("hash") or "")

    async def update_view(self, view_id: str, view: dict[str, Any], view_hash: str = "") -> bool:
        """``views.update`` of an open modal (with its hash, so a newer state is never overwritten)."""
        try:
            if view_hash:
                await self.client.views_update(view_id=view_id, view=view, hash=view_hash)
            else:
                await self.client.views_update(view_id=view_id, view=view)
        except Exception as exc:
            self.note_failure("views.update", exc)
            return False
        return True

    async def publish_home(self, user: str, view: dict[str, Any]) -> bool:
        """``views.publish`` of a user's App Home."""
        try:
            await self.client.views_publish(user_id=user, view=view)
        except Exception as exc:
            self.note_failure("views.publish", exc)
            return False
        return True
