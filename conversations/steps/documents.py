"""Order step 4: whose documents to use, and where that document group stands.

Only for directions that require documents or data. The user picks one of
their groups (each shown with whether ``groups/valid`` accepts it for this
direction) or creates one; the files the group lacks are asked for next;
then the status screen shows what is still missing and why something was
rejected, and lets the user continue once everything is uploaded.
"""

from __future__ import annotations

from bot.services.documents import missing_details
from bot.services.types import GroupValidity
from conversations.context import Ctx
from conversations.formatting import document_type_text, field_label
from conversations.i18n import Translator
from conversations.paging import page_line, page_row, paginate
from conversations.reasons import reason_text
from conversations.screens import Screen
from conversations.state import Action, StepName
from conversations.steps.base import FlowLost, Step, lines, paragraphs
from conversations.steps.common import draft, enter_confirm, order_direction, requirements_text
from conversations.steps.form import start_form
from conversations.steps.group_edit import start_edit
from conversations.steps.upload import after_group_chosen, start_uploads
from conversations.ui import ScreenBuilder

PAGE_SIZE = 5


def validity_summary(tr: Translator, validity: GroupValidity) -> str:
    """One line: accepted, being checked, or what is missing."""
    if validity.verified:
        return tr.gettext("group.valid.verified")
    if validity.complete:
        return tr.gettext("group.valid.checking")
    missing = []
    if not validity.information_match:
        missing.append(tr.gettext("group.valid.part.details"))
    if not validity.documents_uploaded:
        missing.append(tr.gettext("group.valid.part.documents"))
    if not validity.address_match:
        missing.append(tr.gettext("group.valid.part.address"))
    return tr.gettext("group.valid.missing", parts=", ".join(missing))


class GroupChoiceStep(Step):
    """The user's document groups with their standing for this direction, or a new one."""

    name = "order.group"
    fallback = "order.number"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        order = draft(ctx)
        direction = await order_direction(ctx)
        groups = await ctx.services.documents.groups_for(ctx.actor)
        page = paginate(groups, order.group_page, PAGE_SIZE)
        entries = []
        for group in page.items:
            validity = await ctx.services.documents.validity(ctx.actor, group.id, direction.id)
            entries.append(f"• {group.display_name}: {validity_summary(tr, validity)}")
            ui.row(ui.button(group.display_name, "pick", n=group.id))
        page_row(ui, page)
        ui.row(ui.button(tr.gettext("order.group.new"), "new"))
        ui.row(ui.back(), ui.cancel())
        listing = "\n".join(entries) if entries else tr.gettext("order.group.none")
        return ui.screen(
            paragraphs(
                tr.gettext("order.group.prompt", requirements=requirements_text(tr, direction)),
                lines(listing, page_line(ui, page)),
            )
        )

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        order = draft(ctx)
        match action.op:
            case "pick":
                await after_group_chosen(ctx, action.n)
            case "new":
                start_form(ctx, "order", await order_direction(ctx), order.iso)
            case "page":
                order.group_page = action.n
            case "back":
                ctx.go("order.number")


class DocumentStatusStep(Step):
    """What ``groups/valid`` still misses and why something was rejected; Continue when complete."""

    name = "order.doc_status"
    fallback = "order.group"

    async def route(self, ctx: Ctx) -> StepName | None:
        return "order.group" if draft(ctx).group_id is None else None

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        order = draft(ctx)
        group_id = order.group_id
        if group_id is None:  # never: route() sends this state to order.group
            raise FlowLost("no group chosen")
        documents = ctx.services.documents
        direction = await order_direction(ctx)
        group = await documents.group(ctx.actor, group_id)
        validity = await documents.validity(ctx.actor, group_id, direction.id)
        wrongs = await documents.wrongs(ctx.actor, group_id)
        missing = await documents.missing_uploads(ctx.actor, group_id, direction)
        country = await ctx.services.catalog.country(order.iso, ctx.language)
        ok, bad = "✅", "❌"
        details = missing_details(group, direction)
        parts = [
            tr.gettext("order.docs.title", name=group.display_name),
            f"{ok if validity.information_match else bad} "
            + (
                tr.gettext("order.docs.details_ok")
                if validity.information_match
                else tr.gettext(
                    "order.docs.details_missing",
                    fields=", ".join(field_label(tr, f) for f in details) or "—",
                )
            ),
            f"{ok if validity.documents_uploaded else bad} "
            + (
                tr.gettext("order.docs.files_ok")
                if validity.documents_uploaded
                else tr.gettext(
                    "order.docs.files_missing",
                    documents=", ".join(document_type_text(tr, t) for t in missing) or "—",
                )
            ),
            ("✅ " + tr.gettext("order.docs.verified"))
            if validity.documents_verified
            else ("⏳ " + tr.gettext("order.docs.verifying")),
            f"{ok if validity.address_match else bad} "
            + (
                tr.gettext("order.docs.address_ok")
                if validity.address_match
                else tr.gettext("order.docs.address_wrong", country=country.name)
            ),
        ]
        if wrongs.document_message:
            parts.append(
                tr.gettext(
                    "order.docs.rejected",
                    document=document_type_text(tr, wrongs.document_type or ""),
                    reason=reason_text(tr, wrongs.document_message),
                )
            )
        if wrongs.address_message:
            parts.append(
                tr.gettext("order.docs.address_rejected", reason=reason_text(tr, wrongs.address_message))
            )
        if validity.complete:
            parts.append(tr.gettext("order.docs.can_continue"))
            ui.row(ui.button(tr.gettext("order.docs.continue"), "continue"))
        elif not validity.information_match or not validity.address_match:
            parts.append(tr.gettext("order.docs.fix_hint"))
        if missing and not validity.documents_uploaded:
            ui.row(ui.button(tr.gettext("order.docs.upload"), "upload"))
        if not group.is_readonly:
            ui.row(ui.button(tr.gettext("docs.edit"), "edit"))
        ui.row(
            ui.button(tr.gettext("order.docs.other_group"), "groups"),
            ui.button(tr.gettext("button.refresh"), "nav.refresh"),
        )
        ui.row(ui.back(), ui.cancel())
        return ui.screen("\n".join(parts))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        order = draft(ctx)
        match action.op:
            case "continue":
                if order.group_id is None:
                    ctx.go("order.group")
                    return
                direction = await order_direction(ctx)
                validity = await ctx.services.documents.validity(ctx.actor, order.group_id, direction.id)
                if validity.complete:
                    enter_confirm(ctx)
                else:
                    ctx.say(ctx.tr.gettext("order.docs.not_complete"))
            case "upload":
                if order.group_id is None:
                    return
                direction = await order_direction(ctx)
                missing = await ctx.services.documents.missing_uploads(ctx.actor, order.group_id, direction)
                if missing:
                    start_uploads(ctx, "order", order.group_id, missing)
            case "edit":
                if order.group_id is not None:
                    await ctx.services.documents.ensure_access(ctx.actor, order.group_id)
                    start_edit(ctx, "order", order.group_id, await order_direction(ctx))
            case "groups" | "back":
                ctx.go("order.group")
