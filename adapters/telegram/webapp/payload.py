"""What the Mini App page is sent (pure): the current screen as a form or an upload, and its own words.

The form is the engine's :class:`~conversations.screens.Form` description as
JSON (fields, kinds, choices, limits, translated labels and hints, per-field
errors) with the token of its ``open`` button, which a submission must carry.
An upload screen (``expects == "file"``) is identified by a fingerprint of its
text, so a file is only taken for the document the page showed. Every other
screen is only shown as text, with a way back to the chat. The page's own
words come from the conversation catalogs in the conversation's language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from bot.services.errors import InvalidInput
from bot.services.file_check import ALLOWED_MIME, MAX_UPLOAD_BYTES
from conversations.context import error_text
from conversations.i18n import N_, Translator
from conversations.screens import Form, FormField, Screen

Json = dict[str, Any]

UI_TEXTS: dict[str, str] = {
    "title": N_("webapp.title"),
    "loading": N_("webapp.loading"),
    "required": N_("webapp.required"),
    "optional": N_("webapp.optional"),
    "choose": N_("webapp.choose"),
    "sending": N_("webapp.sending"),
    "refused": N_("form.refused"),
    "pick_file": N_("webapp.pick_file"),
    "take_photo": N_("webapp.take_photo"),
    "pick_hint": N_("webapp.pick_hint"),
    "rotate": N_("webapp.rotate"),
    "upload": N_("webapp.upload"),
    "uploading": N_("webapp.uploading"),
    "too_big": N_("telegram.file_too_big"),
    "pdf_chosen": N_("webapp.pdf_chosen"),
    "back_to_chat": N_("webapp.back_to_chat"),
    "in_chat": N_("webapp.in_chat"),
    "changed": N_("webapp.changed"),
    "failed": N_("telegram.error"),
    "network": N_("webapp.network"),
    "private": N_("webapp.private"),
}
"""The page's own sentences by short name (message ids of the catalogs; ``{x}`` filled in by the page)."""

UNAUTHORIZED = N_("webapp.unauthorized")
"""What a request without good init data is told."""


def ui_texts(tr: Translator) -> dict[str, str]:
    """The page's own sentences in ``tr``'s language, placeholders left for the page to fill."""
    texts = {name: tr.gettext(key) for name, key in UI_TEXTS.items()}
    texts["wrong_type"] = error_text(tr, InvalidInput("invalid.file_type"))
    return texts


def screen_fingerprint(screen: Screen) -> str:
    """A short digest of what a screen asks: an upload is taken only while that screen is current."""
    return hashlib.sha256(f"{screen.expects}\n{screen.text}".encode()).hexdigest()[:24]


def field_json(tr: Translator, form: Form, field: FormField) -> Json:
    """One field for the page; a ``required_if`` field says for which choice it is required."""
    data: Json = {
        "name": field.name,
        "kind": field.kind,
        "label": field.label,
        "hint": field.hint,
        "required": field.required,
        "choices": [{"value": c.value, "label": c.label} for c in field.choices],
        "max_length": field.max_length,
        "value": field.value,
        "required_when": "",
        "required_if": list(field.required_if) if field.required_if is not None else None,
    }
    if field.required_if is not None:
        other, value = field.required_if
        source = form.field(other)
        choice = next((c.label for c in source.choices if c.value == value), value) if source else value
        data["required_when"] = tr.gettext("webapp.required_when", value=choice)
    return data


def form_json(tr: Translator, form: Form) -> Json:
    """The whole form: title, intro, buttons' labels, fields, errors and the token a submission carries."""
    return {
        "token": form.open.action if form.open is not None else "",
        "title": form.title,
        "intro": form.intro,
        "submit": form.submit,
        "fields": [field_json(tr, form, f) for f in form.fields],
        "errors": dict(form.errors),
    }


def page_state(tr: Translator, screens: Sequence[Screen]) -> Json:
    """The page for the conversation's current screen (the last of ``screens``); the others are notes."""
    screen = screens[-1]
    state: Json = {
        "language": tr.language,
        "texts": ui_texts(tr),
        "notes": [s.text for s in screens[:-1]],
        "kind": "chat",
        "text": screen.text,
    }
    if screen.form is not None and screen.form.open is not None:
        state["kind"] = "form"
        state["text"] = ""  # the chat's one question: the page shows the whole form instead
        state["form"] = form_json(tr, screen.form)
    elif screen.expects == "file":
        state["kind"] = "upload"
        state["upload"] = {
            "screen": screen_fingerprint(screen),
            "max_bytes": MAX_UPLOAD_BYTES,
            "accept": ",".join(sorted(ALLOWED_MIME)),
        }
    return state
