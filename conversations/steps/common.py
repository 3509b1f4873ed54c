"""Helpers the order steps share: the draft, its direction, what a direction requires."""

from __future__ import annotations

from collections.abc import Mapping

from bot.services.types import Direction
from conversations.context import Ctx
from conversations.formatting import document_type_text, field_label
from conversations.forms import errors_text
from conversations.i18n import Translator
from conversations.screens import Form
from conversations.state import FormState, OrderDraft, PaidAction, UploadState
from conversations.steps.base import FlowLost
from conversations.tokens import new_idempotency_key

PURPOSE = "purpose"


def draft(ctx: Ctx) -> OrderDraft:
    """The order in progress."""
    if ctx.state.order is None:
        raise FlowLost("no order in progress")
    return ctx.state.order


def form_state(ctx: Ctx) -> FormState:
    """The document-group form in progress."""
    if ctx.state.form is None:
        raise FlowLost("no form in progress")
    return ctx.state.form


def upload_state(ctx: Ctx) -> UploadState:
    """The uploads in progress."""
    if ctx.state.upload is None:
        raise FlowLost("no upload in progress")
    return ctx.state.upload


async def order_direction(ctx: Ctx) -> Direction:
    """The direction chosen in the order draft, fresh from the (cached) catalogue."""
    order = draft(ctx)
    return await ctx.services.catalog.direction(order.iso, order.direction_id, ctx.language)


def needs_documents(direction: Direction) -> bool:
    """Whether ordering asks for a document group: uploads, or data other than the order's purpose."""
    return bool(direction.upload) or any(name != PURPOSE for name in direction.specify)


def needs_purpose(direction: Direction) -> bool:
    """Whether the order must say what the number is for."""
    return PURPOSE in direction.specify


def requirements_text(tr: Translator, direction: Direction) -> str:
    """What a direction asks for, in one line (``Requires: documents (Passport), details (Address)``)."""
    items = []
    if direction.upload:
        docs = ", ".join(document_type_text(tr, t) for t in direction.upload)
        items.append(tr.gettext("direction.needs_documents", documents=docs))
    details = [field_label(tr, name) for name in direction.specify if name != PURPOSE]
    if details:
        items.append(tr.gettext("direction.needs_details", details=", ".join(details)))
    if needs_purpose(direction):
        items.append(tr.gettext("direction.needs_purpose"))
    if not items:
        return tr.gettext("direction.needs_nothing")
    return tr.gettext("direction.requires", items=", ".join(items))


def enter_confirm(ctx: Ctx) -> None:
    """Go to the confirmation with a fresh idempotency key: one key per confirmation entered.

    The key is saved with the move, before the screen with the Pay button is shown, so
    a press handled again after a crash finds the same key.
    """
    order = draft(ctx)
    order.key = new_idempotency_key("order")
    order.failed = False
    ctx.go("order.confirm")


def after_number(ctx: Ctx, direction: Direction) -> None:
    """After the number: documents when the direction asks for them, else the confirmation."""
    order = draft(ctx)
    if needs_documents(direction):
        order.group_id = None
        order.group_page = 0
        ctx.go("order.group")
    else:
        order.group_id = None
        enter_confirm(ctx)


def remember_paid(ctx: Ctx, paid: PaidAction) -> None:
    """Mark the Confirm button just pressed as used for ``paid``, so pressing it again replays, never pays."""
    if ctx.pressed:
        ctx.state.remember_paid(ctx.pressed, paid)


def refuse_form(ctx: Ctx, form: Form, answers: Mapping[str, str], errors: Mapping[str, str]) -> None:
    """A whole-form submission refused: nothing applied, the form shown again with the answers and errors."""
    ctx.form_errors = dict(errors)
    ctx.form_answers = {f.name: str(answers.get(f.name) or "") for f in form.fields}
    ctx.press_not_applied = True  # nothing applied: the form on screen stays valid
    ctx.say(errors_text(ctx.tr, form, errors))
