"""The document-group forms as descriptions (:class:`~conversations.screens.Form`), and checking them whole.

Pure functions over the service rules: the fields come from
:func:`bot.services.documents.group_form` / :func:`~bot.services.documents.edit_form`,
every answer is checked with :func:`bot.services.documents.check_answer` (the
one place where a field's rule and the "address must be in country X" rule
live), and labels, hints, choices and messages come from the conversation
catalogs. The form steps use them for both the one-question-at-a-time screens
and :class:`~conversations.events.FormSubmitted` (the team console's
``team.form``/``team.edit`` among them), and every platform renders them.

The salutation changes the field set (a company names its organization). A
description holds the fields of every salutation; the organization is
``required_if`` the salutation is ``COMPANY``, and :func:`check_form`
validates against the field set the submitted salutation implies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.services.documents import COMPANY, check_answer, edit_form, group_form
from bot.services.documents import FormField as ServiceField
from bot.services.errors import InvalidInput
from bot.services.types import Direction
from bot.services.validation import FIELD_MAX_LENGTHS, ID_TYPES, SALUTATIONS
from conversations.context import error_text
from conversations.formatting import choice_text, field_hint, field_label
from conversations.i18n import Translator
from conversations.screens import Button, Choice, FieldKind, Form, FormField

CHOICES: dict[str, tuple[str, ...]] = {"salutation": SALUTATIONS, "type_of_id": ID_TYPES}
"""The fields answered by picking one of a fixed set of values."""

KINDS: dict[str, FieldKind] = {
    "salutation": "choice",
    "type_of_id": "choice",
    "date_of_birth": "date",
    "issuing_date": "date",
    "email": "email",
    "phone": "phone",
    "country": "country",
    "nationality": "country",
    "address": "multiline",
    "organization_description": "multiline",
}
COMPANY_ONLY = ("salutation", COMPANY)
"""The condition under which the organization is required."""


def describe_field(
    tr: Translator,
    name: str,
    required: bool,
    value: str = "",
    required_if: tuple[str, str] | None = None,
) -> FormField:
    """One field, translated: label, hint, kind, choices and length limit."""
    return FormField(
        name=name,
        kind=KINDS.get(name, "text"),
        label=field_label(tr, name),
        hint=field_hint(tr, name),
        required=required,
        choices=tuple(Choice(c, choice_text(tr, c)) for c in CHOICES.get(name, ())),
        max_length=FIELD_MAX_LENGTHS.get(name),
        value=value,
        required_if=required_if,
    )


def _describe(
    tr: Translator,
    company: Sequence[ServiceField],
    person: Sequence[ServiceField],
    values: Mapping[str, str],
) -> tuple[FormField, ...]:
    """The fields of the company's field set; what only a company must fill in is ``required_if``."""
    always = {f.name for f in person if f.required}
    described = []
    for f in company:
        conditional = f.required and f.name not in always
        described.append(
            describe_field(
                tr,
                f.name,
                f.required and not conditional,
                values.get(f.name, ""),
                COMPANY_ONLY if conditional else None,
            )
        )
    return tuple(described)


def new_group_form(
    tr: Translator,
    direction: Direction | None = None,
    values: Mapping[str, str] | None = None,
    *,
    intro: str = "",
    errors: Mapping[str, str] | None = None,
    open_button: Button | None = None,
) -> Form:
    """The form for a new document group (for ``direction`` when ordering), filled in with ``values``."""
    return Form(
        title=tr.gettext("form.modal_title"),
        submit=tr.gettext("form.create"),
        cancel=tr.gettext("button.cancel"),
        fields=_describe(tr, group_form(direction, COMPANY), group_form(direction), values or {}),
        intro="\n".join(p for p in (tr.gettext("form.modal_intro"), intro) if p),
        errors=dict(errors or {}),
        open=open_button,
    )


def edit_group_form(
    tr: Translator,
    values: Mapping[str, str],
    direction: Direction | None = None,
    *,
    errors: Mapping[str, str] | None = None,
    open_button: Button | None = None,
) -> Form:
    """Every field the owner of a group may correct, filled in with the group's ``values``."""
    return Form(
        title=tr.gettext("docs.edit.modal_title"),
        submit=tr.gettext("docs.edit.save"),
        cancel=tr.gettext("button.cancel"),
        fields=_describe(tr, edit_form(direction, COMPANY), edit_form(direction, None), values),
        intro=tr.gettext("form.modal_intro"),
        errors=dict(errors or {}),
        open=open_button,
    )


def check_form(
    tr: Translator, form: Form, answers: Mapping[str, str], *, country_must_be: str = ""
) -> tuple[dict[str, str], dict[str, str]]:
    """Check a whole submission of ``form``: the cleaned non-empty answers, and errors by field name.

    Each answer goes through ``check_answer`` (the country first, so a postcode is
    checked against it); an empty required field, or an empty field that the
    submitted answers make required (``required_if``), is refused. Answers for
    fields the form does not have are ignored. Messages are in ``tr``'s language.
    """
    raw = {f.name: str(answers.get(f.name) or "") for f in form.fields}
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    context: dict[str, str] = {}  # what a postcode is checked against
    for name in sorted(raw, key=lambda n: n != "country"):
        if not raw[name].strip():
            continue
        try:
            cleaned[name] = context[name] = check_answer(
                name, raw[name], context, country_must_be=country_must_be
            )
        except InvalidInput as exc:
            errors[name] = error_text(tr, exc)
            if exc.code == "form.country_mismatch":
                # A real country, only not the one required: the postcode is still checked against it.
                context[name] = raw[name].strip().upper()
    for f in form.fields:
        needed = f.required or (
            f.required_if is not None and cleaned.get(f.required_if[0]) == f.required_if[1]
        )
        if needed and not raw[f.name].strip() and f.name not in errors:
            errors[f.name] = error_text(tr, InvalidInput("invalid.empty"))
    return cleaned, {f.name: errors[f.name] for f in form.fields if f.name in errors}


def new_group_answers(cleaned: Mapping[str, str], direction: Direction | None = None) -> dict[str, str]:
    """The checked answers of a new group that its salutation's field set asks for (the rest is dropped)."""
    names = {f.name for f in group_form(direction, cleaned.get("salutation"))}
    return {name: value for name, value in cleaned.items() if name in names}


def group_changes(form: Form, current: Mapping[str, str], cleaned: Mapping[str, str]) -> dict[str, str]:
    """What a checked edit submission changes in a group: new values, and ``""`` for what was emptied."""
    changes = {name: value for name, value in cleaned.items() if current.get(name) != value}
    for f in form.fields:
        if f.name not in cleaned and current.get(f.name):
            changes[f.name] = ""  # emptied: the service clears it (a required one was refused above)
    return changes


def errors_text(tr: Translator, form: Form, errors: Mapping[str, str]) -> str:
    """The errors of a refused submission as lines (``Label: message``), for renderers that show text."""
    lines = [tr.gettext("form.refused")]
    for f in form.fields:
        if f.name in errors:
            lines.append(f"• {f.label}: {errors[f.name]}")
    return "\n".join(lines)
