"""Modals (pure): the loading view, a form description as a modal, the one-answer form.

A form modal is built only from a :class:`~conversations.screens.Form`
description the conversations produce (fields, kinds, choices, limits,
translated labels and hints); its inputs' block ids are :func:`field_block_id`
of the field names, so the conversations' per-field errors go back as
``response_action: errors`` keyed by those block ids (:func:`block_errors`).
No field, label or rule is known here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.slack import actions
from adapters.slack.texts import ANSWER_LABEL, ANSWER_SEND, ANSWER_TITLE, CLOSE, LOADING, LOADING_TITLE
from conversations.i18n import translator
from conversations.screens import Form, FormField

View = dict[str, Any]

FIELD_BLOCK_PREFIX = "f."
VALUE_ACTION = "v"
MAX_TITLE = 24
MAX_LABEL = 2000
MAX_OPTION = 75
MAX_INPUT = 3000
MAX_MODAL_BLOCKS = 100
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _title(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:MAX_TITLE], "emoji": True}


def loading_view(callback_id: str, language: str) -> View:
    """A modal that opens at once (the trigger expires in 3 s) while the real one is prepared."""
    tr = translator(language)
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _title(tr.gettext(LOADING_TITLE)),
        "blocks": [{"type": "section", "text": _plain(tr.gettext(LOADING), MAX_INPUT)}],
    }


def message_view(title: str, text: str, language: str) -> View:
    """A modal that only says something (a refusal, an error); its close button in ``language``."""
    return {
        "type": "modal",
        "title": _title(title),
        "close": _plain(translator(language).gettext(CLOSE), MAX_TITLE),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }


def field_block_id(name: str) -> str:
    """The block id of a form field's input."""
    return FIELD_BLOCK_PREFIX + name


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label[:MAX_OPTION], "emoji": True}, "value": value}


def _element(field: FormField) -> dict[str, Any]:
    """The input element that fits the field's kind, holding its current value."""
    if field.kind == "date":
        element: dict[str, Any] = {"type": "datepicker", "action_id": VALUE_ACTION}
        if _ISO_DATE.match(field.value):
            element["initial_date"] = field.value
        return element
    if field.kind == "choice":
        element = {
            "type": "static_select",
            "action_id": VALUE_ACTION,
            "options": [_option(c.value, c.label) for c in field.choices[:100]],
        }
        chosen = next((c for c in field.choices if c.value == field.value), None)
        if chosen is not None:
            element["initial_option"] = _option(chosen.value, chosen.label)
        return element
    element = {"type": "plain_text_input", "action_id": VALUE_ACTION}
    if field.kind == "multiline":
        element["multiline"] = True
    if field.max_length is not None:
        element["max_length"] = min(field.max_length, MAX_INPUT)
    if field.value:
        element["initial_value"] = field.value[:MAX_INPUT]
    return element


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def form_view(form: Form, callback_id: str, context: actions.ModalContext) -> View:
    """``form`` as a modal: one input per field (Slack marks the required ones), errors under their field.

    ``context`` round-trips in ``private_metadata``. A field required only by another
    field's value (``required_if``) is optional here; the submission check says so beside it.
    """
    blocks: list[dict[str, Any]] = []
    if form.intro:
        blocks.append({"type": "context", "elements": [_plain(form.intro, MAX_INPUT)]})
    for field in form.fields:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": field_block_id(field.name),
            "optional": not field.required,
            "label": _plain(field.label, MAX_LABEL),
            "element": _element(field),
        }
        if field.hint:
            block["hint"] = _plain(field.hint, MAX_LABEL)
        blocks.append(block)
        error = form.errors.get(field.name)
        if error:
            blocks.append({"type": "context", "elements": [_plain(f"⚠️ {error}", MAX_INPUT)]})
    view: View = {
        "type": "modal",
        "callback_id": callback_id,
        "title": _title(form.title),
        "submit": _plain(form.submit, MAX_TITLE),
        "private_metadata": context.encode(),
        "blocks": blocks[:MAX_MODAL_BLOCKS],
    }
    if form.cancel:  # else Slack's own Cancel, in the user's Slack language
        view["close"] = _plain(form.cancel, MAX_TITLE)
    return view


def form_answers(values: Mapping[str, str]) -> dict[str, str]:
    """A form's answers by field name from :func:`submitted_values` (other inputs are left out)."""
    return {
        block_id[len(FIELD_BLOCK_PREFIX) :]: value
        for block_id, value in values.items()
        if block_id.startswith(FIELD_BLOCK_PREFIX)
    }


def block_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Errors by field name as Slack wants them: by the input's block id."""
    return {field_block_id(name): message for name, message in errors.items()}


def text_answer_view(context: actions.ModalContext, language: str, prompt: str = "") -> View:
    """A one-field modal for answering a conversation step that expects typed text, in ``language``."""
    tr = translator(language)
    blocks: list[dict[str, Any]] = []
    if prompt:
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": prompt[:3000]}})
    blocks.append(
        {
            "type": "input",
            "block_id": actions.TEXT_BLOCK,
            "label": _plain(tr.gettext(ANSWER_LABEL), MAX_LABEL),
            "element": {"type": "plain_text_input", "action_id": actions.TEXT_INPUT},
        }
    )
    return {
        "type": "modal",
        "callback_id": actions.TEXT_VIEW,
        "title": _title(tr.gettext(ANSWER_TITLE)),
        "submit": _plain(tr.gettext(ANSWER_SEND), MAX_TITLE),
        "close": _plain(tr.gettext("button.cancel"), MAX_TITLE),
        "private_metadata": context.encode(),
        "blocks": blocks,
    }


def submitted_values(view: Mapping[str, Any]) -> dict[str, str]:
    """``block_id -> value`` from a submitted view's state (text, select or date; empty as "")."""
    values: dict[str, str] = {}
    state = view.get("state") or {}
    for block_id, inputs in (state.get("values") or {}).items():
        if not isinstance(inputs, dict):
            continue
        for item in inputs.values():
            if not isinstance(item, dict):
                continue
            value: Any = item.get("value")
            if item.get("type") == "static_select":
                value = (item.get("selected_option") or {}).get("value")
            elif item.get("type") == "datepicker":
                value = item.get("selected_date")
            values[str(block_id)] = str(value or "")
    return values
