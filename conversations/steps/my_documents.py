"""My documents: the groups, their files and verification, uploads, corrections, new groups."""

from __future__ import annotations

from bot.services.documents import COMPANY
from bot.services.types import DOCUMENT_TYPES, CheckingWrongs, DocumentFile
from conversations.context import Ctx
from conversations.formatting import address_text, document_type_text
from conversations.i18n import Translator
from conversations.paging import page_line, page_row, paginate
from conversations.reasons import reason_text
from conversations.screens import Screen
from conversations.state import Action, StepName
from conversations.steps.base import FlowLost, Step, lines, paragraphs
from conversations.steps.form import start_form
from conversations.steps.group_edit import start_edit
from conversations.steps.upload import start_uploads
from conversations.ui import ScreenBuilder

PAGE_SIZE = 6


def open_documents(ctx: Ctx) -> None:
    """Show the user's document groups, dropping any flow in progress."""
    ctx.state.reset_flows()
    ctx.go("docs.list")


def file_line(tr: Translator, file: DocumentFile, wrongs: CheckingWrongs) -> str:
    """``• Passport (scan.png): ✅ verified`` (or being checked, or rejected)."""
    if file.is_verified:
        state = tr.gettext("docs.file.verified")
    elif wrongs.document_message and wrongs.document_type == file.type:
        state = tr.gettext("docs.file.rejected")
    else:
        state = tr.gettext("docs.file.checking")
    name = f" ({file.name})" if file.name else ""
    return f"• {document_type_text(tr, file.type)}{name}: {state}"


class DocumentGroupsStep(Step):
    """The user's groups (the people or companies numbers are registered to)."""

    name = "docs.list"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        groups = await ctx.services.documents.groups_for(ctx.actor)
        page = paginate(groups, ctx.state.docs.page, PAGE_SIZE)
        entries = []
        for group in page.items:
            where = address_text(tr, None, group.city, group.country)
            entries.append(f"• {group.display_name}" + (f" — {where}" if where else ""))
            ui.row(ui.button(group.display_name, "open", n=group.id))
        page_row(ui, page)
        ui.row(ui.button(tr.gettext("docs.new_group"), "new"))
        ui.row(ui.menu())
        listing = "\n".join(entries) if entries else tr.gettext("docs.empty")
        return ui.screen(paragraphs(tr.gettext("docs.title"), lines(listing, page_line(ui, page))))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        match action.op:
            case "open":
                ctx.state.docs.group_id = action.n
                ctx.go("docs.group")
            case "page":
                ctx.state.docs.page = action.n
            case "new":
                start_form(ctx, "docs")


class DocumentGroupStep(Step):
    """One group: its details, files with verification state, and rejection reasons."""

    name = "docs.group"
    fallback = "docs.list"

    async def route(self, ctx: Ctx) -> StepName | None:
        return "docs.list" if ctx.state.docs.group_id is None else None

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        group_id = ctx.state.docs.group_id
        if group_id is None:  # never: route() sends this state to docs.list
            raise FlowLost("no group open")
        documents = ctx.services.documents
        group = await documents.group(ctx.actor, group_id)
        files = await documents.files(ctx.actor, group_id)
        wrongs = await documents.wrongs(ctx.actor, group_id)
        details = [
            tr.gettext("docs.group.organization", value=group.organization)
            if group.salutation == COMPANY and group.organization
            else "",
            tr.gettext("docs.group.email", value=group.email) if group.email else "",
            tr.gettext(
                "docs.group.address",
                value=address_text(tr, group.address, group.city, group.country),
            )
            if group.address or group.city
            else "",
        ]
        file_lines = [file_line(tr, f, wrongs) for f in files] or [tr.gettext("docs.group.no_files")]
        problems = []
        if wrongs.document_message:
            problems.append(
                tr.gettext(
                    "order.docs.rejected",
                    document=document_type_text(tr, wrongs.document_type or ""),
                    reason=reason_text(tr, wrongs.document_message),
                )
            )
        if wrongs.address_message:
            problems.append(
                tr.gettext("order.docs.address_rejected", reason=reason_text(tr, wrongs.address_message))
            )
        if group.is_readonly:
            ui.row(ui.button(tr.gettext("docs.upload"), "upload"))
        else:
            ui.row(ui.button(tr.gettext("docs.edit"), "edit"), ui.button(tr.gettext("docs.upload"), "upload"))
        ui.row(ui.button(tr.gettext("button.refresh"), "nav.refresh"), ui.back())
        return ui.screen(
            paragraphs(
                lines(f"📄 {group.display_name}", *details),
                lines(tr.gettext("docs.group.files"), *file_lines),
                lines(*problems),
            )
        )

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        match action.op:
            case "upload":
                ctx.go("docs.upload_type")
            case "edit":
                if ctx.state.docs.group_id is not None:
                    await ctx.services.documents.ensure_access(ctx.actor, ctx.state.docs.group_id)
                    start_edit(ctx, "docs", ctx.state.docs.group_id)
            case "back":
                ctx.state.docs.group_id = None
                ctx.go("docs.list")


class UploadTypeStep(Step):
    """Which document to upload to the open group."""

    name = "docs.upload_type"

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        ui.rows([ui.button(document_type_text(tr, t), "type", ref=t) for t in DOCUMENT_TYPES], 2)
        ui.row(ui.back())
        return ui.screen(tr.gettext("docs.upload_type.prompt"))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        group_id = ctx.state.docs.group_id
        match action.op:
            case "type":
                if group_id is None or action.ref not in DOCUMENT_TYPES:
                    ctx.go("docs.list")
                    return
                await ctx.services.documents.ensure_access(ctx.actor, group_id)
                start_uploads(ctx, "docs", group_id, [action.ref])
            case "back":
                ctx.go("docs.group")
