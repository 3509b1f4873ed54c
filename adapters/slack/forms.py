"""Modals (pure): the loading view, the document-group form and its validation, the one-answer form.

The group form asks exactly the fields :func:`bot.services.documents.group_form`
lists (the edit form those of :func:`bot.services.documents.edit_form`, filled
in with the group's values); the answers are checked with
:func:`bot.services.validation.group_answers`, the rules every form uses, and
problems go back as ``response_action: errors`` keyed by the input's block id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.slack import actions
from adapters.slack.texts import error_text
from bot.services.documents import FormField
from bot.services.errors import InvalidInput
from bot.services.validation import ID_TYPES, SALUTATIONS, group_answers

View = dict[str, Any]

FIELD_BLOCK_PREFIX = "f."
VALUE_ACTION = "v"

LABELS: dict[str, str] = {
    "salutation": "Salutation",
    "first_name": "First name",
    "middle_name": "Middle name",
    "last_name": "Last name",
    "email": "E-mail",
    "phone": "Phone",
    "country": "Country (two-letter code, e.g. PL)",
    "nationality": "Nationality (two-letter code)",
    "city": "City",
    "region": "Region",
    "zip_code": "Postal code",
    "street": "Street",
    "street_code": "Street code",
    "municipality_code": "Municipality code",
    "building_number": "Building number",
    "building_letter": "Building letter",
    "address": "Full address",
    "date_of_birth": "Date of birth",
    "organization": "Organisation (company name)",
    "organization_description": "What the organisation does",
    "organization_reg_number": "Registration number",
    "type_of_id": "Type of ID",
    "id_number": "ID number",
    "issuing_authority": "Issuing authority",
    "issuing_date": "Date of issue",
}
_DATES = frozenset({"date_of_birth", "issuing_date"})
_CHOICES: dict[str, tuple[str, ...]] = {"salutation": SALUTATIONS, "type_of_id": ID_TYPES}
_MULTILINE = frozenset({"address", "organization_description"})


def _title(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:24], "emoji": True}


def loading_view(callback_id: str, title: str = "Please wait") -> View:
    """A modal that opens at once (the trigger expires in 3 s) while the real one is prepared."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _title(title),
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "Loading…", "emoji": True}}],
    }


def message_view(title: str, text: str) -> View:
    """A modal that only says something (a refusal, an error)."""
    return {
        "type": "modal",
        "title": _title(title),
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }


def field_block_id(name: str) -> str:
    """The block id of a form field's input."""
    return FIELD_BLOCK_PREFIX + name


def _option(choice: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": choice.replace("_", " ").title()}, "value": choice}


def _element(name: str, initial: str = "") -> dict[str, Any]:
    if name in _DATES:
        element: dict[str, Any] = {"type": "datepicker", "action_id": VALUE_ACTION}
        if initial:
            element["initial_date"] = initial
        return element
    if name in _CHOICES:
        element = {
            "type": "static_select",
            "action_id": VALUE_ACTION,
            "options": [_option(choice) for choice in _CHOICES[name]],
        }
        if initial in _CHOICES[name]:
            element["initial_option"] = _option(initial)
        return element
    element = {"type": "plain_text_input", "action_id": VALUE_ACTION}
    if name in _MULTILINE:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial[:3000]
    return element


def group_form_view(
    fields: Sequence[FormField],
    context: actions.ModalContext,
    values: Mapping[str, str] | None = None,
) -> View:
    """The document-group form: one input per field, required ones marked by Slack itself.

    With ``values`` (and ``context.group_id``) it is the edit form of that group, filled in.
    """
    editing = context.group_id is not None
    blocks: list[dict[str, Any]] = [
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "The details go to Zadarma only, to register numbers to this person or company.",
                }
            ],
        }
    ]
    for form_field in fields:
        blocks.append(
            {
                "type": "input",
                "block_id": field_block_id(form_field.name),
                "optional": not form_field.required,
                "label": {"type": "plain_text", "text": LABELS.get(form_field.name, form_field.name)},
                "element": _element(form_field.name, (values or {}).get(form_field.name, "")),
            }
        )
    return {
        "type": "modal",
        "callback_id": actions.GROUP_EDIT_VIEW if editing else actions.GROUP_VIEW,
        "title": _title(f"Edit group #{context.group_id}" if editing else "New document group"),
        "submit": {"type": "plain_text", "text": "Save" if editing else "Create"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": context.encode(),
        "blocks": blocks[:100],
    }


def text_answer_view(context: actions.ModalContext, prompt: str = "") -> View:
    """A one-field modal for answering a conversation step that expects typed text."""
    blocks: list[dict[str, Any]] = []
    if prompt:
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": prompt[:3000]}})
    blocks.append(
        {
            "type": "input",
            "block_id": actions.TEXT_BLOCK,
            "label": {"type": "plain_text", "text": "Your answer"},
            "element": {"type": "plain_text_input", "action_id": actions.TEXT_INPUT},
        }
    )
    return {
        "type": "modal",
        "callback_id": actions.TEXT_VIEW,
        "title": _title("Answer"),
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
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


@dataclass(frozen=True)
class FormResult:
    """Validated answers by field name, or errors by block id (never both)."""

    answers: dict[str, str]
    errors: dict[str, str]


def validate_group_form(
    fields: Sequence[FormField],
    values: Mapping[str, str],
    *,
    language: str = "en",
    given: Mapping[str, str] | None = None,
) -> FormResult:
    """Check the fields with ``group_answers``, the rules every form uses; required ones must not be empty.

    ``given`` are answers the conversation already has (a postcode is checked against
    their country when the modal does not ask it); messages are in ``language``.
    """
    raw = {f.name: values.get(field_block_id(f.name), "").strip() for f in fields}
    known = {name: value for name, value in (given or {}).items() if name not in raw}
    checked, problems = group_answers({**known, **raw})
    answers = {name: value for name, value in checked.items() if name in raw}
    errors = {
        field_block_id(name): error_text(exc, language) for name, exc in problems.items() if name in raw
    }
    for form_field in fields:
        if form_field.required and not raw[form_field.name]:
            errors[field_block_id(form_field.name)] = error_text(InvalidInput("invalid.empty"), language)
    return FormResult({} if errors else answers, errors)
