"""Sending the required files one at a time, each checked before it is uploaded.

Files are checked by content (JPEG, PNG or PDF) and size with
:func:`bot.services.file_check.check_file` and passed straight to the
service; nothing of them is kept in the state.
"""

from __future__ import annotations

from typing import ClassVar

from bot.services.file_check import MAX_UPLOAD_BYTES, check_file
from conversations.context import Ctx
from conversations.events import FileUpload
from conversations.formatting import document_type_text
from conversations.screens import Screen
from conversations.state import Action, Origin, UploadState
from conversations.steps.base import Step, lines
from conversations.steps.common import draft, order_direction, upload_state
from conversations.ui import ScreenBuilder


def start_uploads(ctx: Ctx, origin: Origin, group_id: int, types: list[str]) -> None:
    """Ask for ``types`` in turn for ``group_id``."""
    ctx.state.upload = UploadState(origin=origin, group_id=group_id, types=types)
    ctx.go("order.upload" if origin == "order" else "docs.upload")


async def after_group_chosen(ctx: Ctx, group_id: int) -> None:
    """Order flow: with a group chosen, ask for the files ``groups/valid`` says it lacks, else show
    where it stands (``groups/valid`` is the judge; unknown requirements never block the flow)."""
    order = draft(ctx)
    direction = await order_direction(ctx)
    documents = ctx.services.documents
    validity = await documents.validity(ctx.actor, group_id, direction.id)
    missing = (
        [] if validity.documents_uploaded else await documents.missing_uploads(ctx.actor, group_id, direction)
    )
    order.group_id = group_id
    if missing:
        start_uploads(ctx, "order", group_id, missing)
    else:
        ctx.state.upload = None
        ctx.go("order.doc_status")


def _leave(ctx: Ctx, origin: Origin) -> None:
    ctx.state.upload = None
    ctx.go("order.doc_status" if origin == "order" else "docs.group")


class UploadStep(Step):
    """One required file at a time: photo or file, JPEG/PNG/PDF up to 20 MB."""

    origin: ClassVar[Origin]

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        upload = upload_state(ctx)
        document = document_type_text(tr, upload.types[upload.index])
        if self.origin == "order":
            ui.row(ui.back(), ui.cancel())
        else:
            ui.row(ui.back())
        return ui.screen(
            lines(
                tr.gettext(
                    "upload.prompt", document=document, index=upload.index + 1, total=len(upload.types)
                ),
                tr.gettext("upload.rules", max_mb=MAX_UPLOAD_BYTES // (1024 * 1024)),
                tr.gettext("upload.quality_tip"),
            ),
            "file",
        )

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        if action.op == "back":
            upload = upload_state(ctx)
            ctx.state.upload = None
            if self.origin == "order":
                ctx.go("order.group")
            else:
                ctx.go("docs.upload_type")
                ctx.state.docs.group_id = upload.group_id

    async def on_text(self, ctx: Ctx, text: str) -> None:
        ctx.say(ctx.tr.gettext("upload.send_file"))

    async def on_file(self, ctx: Ctx, upload: FileUpload) -> None:
        state = upload_state(ctx)
        document_type = state.types[state.index]
        checked = await check_file(upload.filename, upload.content, upload.declared_size)
        await ctx.services.documents.upload(ctx.actor, state.group_id, document_type, checked)
        ctx.say(ctx.tr.gettext("upload.done", document=document_type_text(ctx.tr, document_type)))
        if state.index + 1 < len(state.types):
            state.index += 1
        else:
            _leave(ctx, state.origin)


class OrderUploadStep(UploadStep):
    """Uploads the chosen direction requires, in the order flow."""

    name = "order.upload"
    origin = "order"


class DocsUploadStep(UploadStep):
    """One more document for a group, from "my documents"."""

    name = "docs.upload"
    origin = "docs"
