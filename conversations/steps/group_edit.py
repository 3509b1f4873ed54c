"""Correcting a document group: pick a field, answer it, Save sends the whole record.

The list of fields comes from :func:`bot.services.documents.edit_form` (the
spec's required fields, a company's organization, the identity fields, and
whatever the order's direction specifies); each answer is checked with
:func:`bot.services.documents.check_answer`, the same rules as the form for a
new group. Only the changes are kept in the state until Save; then
``groups/update`` gets the full record, and inside an order ``groups/valid``
is asked again for the direction being ordered.

Every screen carries the whole edit form as a description
(:func:`conversations.forms.edit_group_form`); a
:class:`~conversations.events.FormSubmitted` is checked at once and, when
nothing is refused, its changes are saved as by the Save button.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from bot.services.documents import FormField as GroupField
from bot.services.documents import check_answer, edit_form, group_values
from bot.services.errors import ServiceError
from bot.services.types import Direction, DocumentGroup
from conversations.context import Ctx
from conversations.formatting import choice_text, field_label
from conversations.forms import (
    CHOICES,
    check_form,
    describe_field,
    edit_group_form,
    group_changes,
)
from conversations.screens import Form, Screen
from conversations.state import Action, FormState, Origin, StepName
from conversations.steps.base import FlowLost, Step, lines, paragraphs
from conversations.steps.common import draft, form_state, order_direction, refuse_form
from conversations.steps.upload import after_group_chosen
from conversations.ui import ScreenBuilder

EDIT_STEPS: dict[Origin, StepName] = {"order": "order.edit", "docs": "docs.edit", "team": "team.edit"}
"""The correction step of each origin."""


def start_edit(ctx: Ctx, origin: Origin, group_id: int, direction: Direction | None = None) -> None:
    """Open the corrections of ``group_id`` (for ``direction`` when ordering)."""
    iso = draft(ctx).iso if origin == "order" else ""
    ctx.state.form = FormState(
        origin=origin,
        fields=[],
        group_id=group_id,
        direction_id=direction.id if direction else None,
        country_must_be=iso.upper() if direction is not None and "address" in direction.specify else "",
    )
    ctx.go(EDIT_STEPS[origin])


def _shown(ctx: Ctx, name: str, value: str) -> str:
    if not value:
        return "—"
    return choice_text(ctx.tr, value) if name in CHOICES else value


class GroupEditStep(Step):
    """The group's fields with their values; pressing one asks it, Save sends the corrections."""

    origin: ClassVar[Origin]

    async def _load(self, ctx: Ctx) -> tuple[FormState, int, DocumentGroup, dict[str, str], list[GroupField]]:
        form = form_state(ctx)
        if form.group_id is None:
            raise FlowLost("no group being edited")
        group = await ctx.services.documents.group(ctx.actor, form.group_id)
        values = {**group_values(group), **form.answers}
        direction = await self._direction(ctx)
        fields = edit_form(direction, values.get("salutation"))
        return form, form.group_id, group, values, fields

    async def _direction(self, ctx: Ctx) -> Direction | None:
        return await order_direction(ctx) if self.origin == "order" else None

    async def _form(self, ctx: Ctx, values: Mapping[str, str], ui: ScreenBuilder | None = None) -> Form:
        """The whole edit form, filled in with ``values`` (or the answers just refused)."""
        return edit_group_form(
            ctx.tr,
            ctx.form_answers if ctx.form_answers is not None else values,
            await self._direction(ctx),
            errors=ctx.form_errors,
            open_button=ui.button(ctx.tr.gettext("form.fill_in"), "form", role="form") if ui else None,
        )

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        form, _, group, values, fields = await self._load(ctx)
        whole = await self._form(ctx, values, ui)
        asked = next((f for f in fields if f.name == form.editing), None)
        if asked is not None:
            return self._question(ctx, ui, asked, values.get(asked.name, ""), whole)
        entries = []
        buttons = []
        for field in fields:
            value = values.get(field.name, "")
            mark = "❗ " if field.required and not value else ("✏️ " if field.name in form.answers else "")
            entries.append(f"{mark}{field_label(tr, field.name)}: {_shown(ctx, field.name, value)}")
            buttons.append(ui.button(f"{mark}{field_label(tr, field.name)}", "pick", ref=field.name))
        ui.rows(buttons, 2)
        if form.answers:
            ui.row(ui.button(tr.gettext("docs.edit.save"), "save"))
        self._nav(ui)
        return ui.screen(
            paragraphs(
                lines(tr.gettext("docs.edit.title", name=group.display_name), tr.gettext("docs.edit.hint")),
                "\n".join(entries),
            ),
            form=whole,
        )

    def _question(self, ctx: Ctx, ui: ScreenBuilder, asked: GroupField, current: str, whole: Form) -> Screen:
        tr = ctx.tr
        # The one question, built like the description's fields (label, hint, choices).
        field = describe_field(tr, asked.name, asked.required)
        label = field.label if field.required else tr.gettext("form.optional", label=field.label)
        if field.choices:
            ui.rows([ui.button(c.label, "choose", ref=c.value) for c in field.choices], 2)
        if current and not field.required:
            ui.row(ui.button(tr.gettext("docs.edit.clear"), "clear"))
        self._nav(ui)
        return ui.screen(
            lines(
                f"{label}: {field.hint}",
                tr.gettext("form.current", value=_shown(ctx, field.name, current)) if current else "",
            ),
            "choice" if field.choices else "text",
            form=whole,
        )

    def _nav(self, ui: ScreenBuilder) -> None:
        if self.origin == "order":
            ui.row(ui.back(), ui.cancel())
        else:
            ui.row(ui.back())

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        form = form_state(ctx)
        match action.op:
            case "pick":
                _, _, _, _, fields = await self._load(ctx)
                if any(f.name == action.ref for f in fields):
                    form.editing = action.ref
            case "choose":
                await self._answer(ctx, action.ref)
            case "clear":
                _, _, _, _, fields = await self._load(ctx)
                field = next((f for f in fields if f.name == form.editing), None)
                if field is not None and not field.required:
                    form.answers[field.name] = ""
                form.editing = ""
            case "back":
                if form.editing:
                    form.editing = ""
                else:
                    self._leave(ctx)
            case "save":
                await self._save(ctx)

    async def on_text(self, ctx: Ctx, text: str) -> None:
        form = form_state(ctx)
        if not form.editing or form.editing in CHOICES:
            ctx.say(ctx.tr.gettext("input.use_buttons"))
            return
        await self._answer(ctx, text)

    async def _answer(self, ctx: Ctx, raw: str) -> None:
        form = form_state(ctx)
        if not form.editing:
            return
        form.answers[form.editing] = check_answer(form.editing, raw, country_must_be=form.country_must_be)
        form.editing = ""

    async def check_form(self, ctx: Ctx, answers: Mapping[str, str]) -> dict[str, str]:
        form, _, _, values, _ = await self._load(ctx)
        _, errors = check_form(
            ctx.tr, await self._form(ctx, values), answers, country_must_be=form.country_must_be
        )
        return errors

    async def on_form(self, ctx: Ctx, answers: Mapping[str, str]) -> None:
        """The whole edit form at once: refused with every field's error, or saved as by Save."""
        form, _, group, values, _ = await self._load(ctx)
        whole = await self._form(ctx, values)
        cleaned, errors = check_form(ctx.tr, whole, answers, country_must_be=form.country_must_be)
        if errors:
            refuse_form(ctx, whole, answers, errors)
            return
        form.answers = group_changes(whole, group_values(group), cleaned)
        form.editing = ""
        await self._save(ctx)

    def _leave(self, ctx: Ctx) -> None:
        form = ctx.state.form
        ctx.state.form = None
        if self.origin == "order":
            ctx.go("order.doc_status")
        elif self.origin == "team":
            if form is not None and form.group_id is not None:
                ctx.state.team.group_id = form.group_id
            ctx.go("team.group")
        else:
            if form is not None and form.group_id is not None:
                ctx.state.docs.group_id = form.group_id
            ctx.go("docs.group")

    async def _save(self, ctx: Ctx) -> None:
        form, group_id, _, values, fields = await self._load(ctx)
        empty = [field_label(ctx.tr, f.name) for f in fields if f.required and not values.get(f.name)]
        if empty:
            ctx.say(ctx.tr.gettext("docs.edit.incomplete", fields=", ".join(empty)))
            return
        documents = ctx.services.documents
        group = await documents.update_group(ctx.actor, group_id, dict(form.answers), form.direction_id)
        ctx.state.form = None  # the corrections are with Zadarma now
        ctx.say(ctx.tr.gettext("docs.edit.saved", name=group.display_name))
        if self.origin == "order":
            try:
                await after_group_chosen(ctx, group_id)  # groups/valid again for this direction
            except ServiceError as exc:
                ctx.fail(exc)
                draft(ctx).group_id = group_id
                ctx.go("order.doc_status")
        elif self.origin == "team":
            ctx.state.team.group_id = group_id
            ctx.go("team.group")
        else:
            ctx.state.docs.group_id = group_id
            ctx.go("docs.group")


class OrderGroupEditStep(GroupEditStep):
    """Correcting the chosen group inside an order (asks what the direction requires)."""

    name = "order.edit"
    origin = "order"
    fallback = "order.doc_status"


class DocsGroupEditStep(GroupEditStep):
    """Correcting a group from "My documents"."""

    name = "docs.edit"
    origin = "docs"
    fallback = "docs.group"
