"""What a request from Slack looks like, checked before anything else reads it.

A signed request is from someone who holds the signing secret, not
necessarily a well-formed one. :func:`read_body` parses the raw bytes the way
Bolt does (a form, a form with a JSON ``payload``, or JSON), and
:func:`problem` checks the parsed body has the shape the listeners rely on.
A request that fails either is refused with 400 and one warning line, so
nothing downstream (Bolt's context building, the gate, the listeners) ever
meets a string where a dict belongs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from adapters.json_bounds import load_object

Body = dict[str, Any]

INTERACTIONS = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
        "workflow_step_edit",
    }
)


class MalformedRequest(ValueError):
    """The body is not a request Slack sends; ``reason`` says why (never quoting the body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_body(raw: bytes, content_type: str | None) -> Body:
    """Parse the raw body as Bolt will; raises :class:`MalformedRequest`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("the body is not UTF-8") from None
    if not text:
        raise MalformedRequest("the body is empty")
    try:
        if content_type == "application/json" or text.startswith("{"):
            return load_object(text)
        if "payload" in text:
            params = dict(parse_qsl(text, keep_blank_values=True))
            if "payload" not in params:
                raise MalformedRequest("a form without a payload field")
            return load_object(params["payload"])
        return dict(parse_qsl(text, keep_blank_values=True))
    except MalformedRequest:
        raise
    except ValueError as exc:
        raise MalformedRequest(str(exc)) from None


def part(body: Body, name: str) -> Body:
    """``body[name]`` when it is an object, else ``{}`` (listeners never meet a string there)."""
    value = body.get(name)
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _optional(body: Body, name: str, kind: type) -> bool:
    return name not in body or body[name] is None or isinstance(body[name], kind)


def problem(body: Any) -> str | None:
    """Why ``body`` is not shaped like a request Slack sends; ``None`` when it is."""
    if not isinstance(body, dict) or not body:
        return "an empty request"
    if "ssl_check" in body:
        return None  # Slack's certificate check; Bolt answers it
    if "command" in body:
        return _command_problem(body)
    kind = body.get("type")
    if not _text(kind):
        return "a request without a type"
    common = _common_problem(body)
    if common is not None:
        return common
    if kind == "event_callback":
        return _event_problem(body)
    if kind == "url_verification":
        return None if _text(body.get("challenge")) else "url_verification without a challenge"
    if kind in INTERACTIONS:
        return _interaction_problem(body)
    return None


def _common_problem(body: Body) -> str | None:
    """Fields Bolt's own middleware reads from every request, whatever its type."""
    for name in ("enterprise", "team", "user", "channel"):
        if not (_optional(body, name, str) or isinstance(body[name], dict)):
            return f"a request with a malformed {name}"
    for name in ("event", "message", "previous_message", "item", "view", "container", "assistant_thread"):
        if not _optional(body, name, dict):
            return f"a request with a malformed {name}"
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        return "a request with malformed authorizations"
    return None


def _command_problem(body: Body) -> str | None:
    if not all(isinstance(value, str) for value in body.values()):
        return "a slash command with non-text fields"
    if not body["command"].startswith("/"):
        return "a slash command without a command name"
    if not body.get("user_id"):
        return "a slash command without a user"
    return None


def _event_problem(body: Body) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict) or not _text(event.get("type")):
        return "an event without an event"
    if not _optional(body, "event_id", str):
        return "an event with a malformed event id"
    for name in ("user", "user_id", "channel", "channel_id", "channel_type", "text", "subtype", "tab"):
        if not _optional(event, name, str):
            return f"an event with a malformed {name}"
    if not _optional(event, "file", dict):
        return "an event with a malformed file"
    return None


def _interaction_problem(body: Body) -> str | None:
    user = body.get("user")
    if not isinstance(user, dict) or not _text(user.get("id")):
        return "an interaction without a user"
    for name in ("team", "channel", "container", "message", "view"):
        if not _optional(body, name, dict):
            return f"an interaction with a malformed {name}"
    for name in ("trigger_id", "response_url"):
        if not _optional(body, name, str):
            return f"an interaction with a malformed {name}"
    kind = body["type"]
    if kind == "block_actions":
        acted = body.get("actions")
        if not isinstance(acted, list) or not acted:
            return "block_actions without actions"
        if not all(isinstance(a, dict) and _text(a.get("action_id")) for a in acted):
            return "block_actions with a malformed action"
        if not all(_optional(a, "value", str) for a in acted):
            return "block_actions with a malformed value"
    message = body.get("message") or {}
    if not _optional(message, "blocks", list) or not _optional(message, "ts", str):
        return "an interaction with a malformed message"
    if kind in {"view_submission", "view_closed"}:
        return _view_problem(body.get("view"))
    return None


def _view_problem(view: Any) -> str | None:
    if not isinstance(view, dict):
        return "a view submission without a view"
    if not _text(view.get("type")):
        return "a view without a type"
    if not _optional(view, "private_metadata", str) or not _optional(view, "callback_id", str):
        return "a view with malformed metadata"
    state = view.get("state")
    if state is None:
        return None
    if not isinstance(state, dict):
        return "a view with a malformed state"
    values = state.get("values")
    if values is not None and not isinstance(values, dict):
        return "a view with malformed values"
    for block in (values or {}).values():
        if not isinstance(block, dict) or not all(isinstance(item, dict) for item in block.values()):
            return "a view with malformed values"
    return None
