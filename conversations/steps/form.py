"""Creating a document group: one question at a time, each answer checked as it comes.

The questions come from :func:`bot.services.documents.group_form` (the
required fields, a company's organization, plus what the direction
specifies); each answer is checked with
:func:`bot.services.documents.check_answer` (the postcode against the
country already given). Answers stay in the state
only until the group is created (or the form is left).
"""

from __future__ import annotations

from typing import ClassVar

from bot.services.documents import check_answer, group_form
from bot.services.errors import ServiceError
from bot.services.types import Direction
from bot.services.validation import ID_TYPES, SALUTATIONS
from conversations.context import Ctx
from conversations.formatting import choice_text, field_hint, field_label, format_phone
from conversations.screens import Screen
from conversations.state import Action, FormField, FormState, Origin
from conversations.steps.base import Step, lines
from conversations.steps.common import draft, form_state
from conversations.steps.upload import after_group_chosen
from conversations.ui import ScreenBuilder

CHOICES: dict[str, tuple[str, ...]] = {"salutation": SALUTATIONS, "type_of_id": ID_TYPES}


def start_form(ctx: Ctx, origin: Origin, direction: Direction | None = None, iso: str = "") -> None:
    """Open the form for a new group (for ``direction`` when ordering)."""
    fields = [FormField(name=f.name, required=f.required) for f in group_form(direction)]
    ctx.state.form = FormState(
        origin=origin,
        fields=fields,
        direction_id=direction.id if direction else None,
        country_must_be=iso.upper() if direction is not None and "address" in direction.specify else "",
    )
    ctx.go("order.form" if origin == "order" else "docs.form")


class FormStep(Step):
    """The document-group form; the last screen is a summary with a Create button."""

    origin: ClassVar[Origin]

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        form = form_state(ctx)
        if form.index >= len(form.fields):
            summary = [
                f"{field_label(tr, f.name)}: {self._shown(ctx, f.name, form.answers[f.name])}"
                for f in form.fields
                if form.answers.get(f.name)
            ]
            ui.row(ui.button(tr.gettext("form.create"), "create"))
            ui.row(ui.back(), ui.cancel())
            return ui.screen(lines(tr.gettext("form.summary"), "\n".join(summary)))
        field = form.fields[form.index]
        label = field_label(tr, field.name)
        if not field.required:
            label = tr.gettext("form.optional", label=label)
        extra = ""
        if field.name == "country" and form.country_must_be:
            country = await ctx.services.catalog.country(form.country_must_be, ctx.language)
            extra = tr.gettext("form.country_must_be", country=country.name, iso=country.iso)
        current = form.answers.get(field.name)
        choices = CHOICES.get(field.name)
        if choices:
            ui.rows([ui.button(choice_text(tr, c), "choose", ref=c) for c in choices], 2)
        if not field.required:
            ui.row(ui.button(tr.gettext("form.skip"), "skip"))
        ui.row(ui.back(), ui.cancel())
        text = lines(
            tr.gettext("form.title", index=form.index + 1, total=len(form.fields)),
            f"{label}: {field_hint(tr, field.name)}",
            extra,
            tr.gettext("form.current", value=self._shown(ctx, field.name, current)) if current else "",
        )
        return ui.screen(text, "choice" if choices else "text")

    def _shown(self, ctx: Ctx, name: str, value: str) -> str:
        if name == "phone":
            return format_phone(value)
        return choice_text(ctx.tr, value) if name in CHOICES else value

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        form = form_state(ctx)
        match action.op:
            case "choose":
                await self._answer(ctx, action.ref)
            case "skip":
                if form.index < len(form.fields) and not form.fields[form.index].required:
                    form.answers.pop(form.fields[form.index].name, None)
                    form.index += 1
            case "back":
                if form.index > 0:
                    form.index -= 1
                else:
                    self._leave(ctx)
            case "create":
                await self._create(ctx)

    async def on_text(self, ctx: Ctx, text: str) -> None:
        form = form_state(ctx)
        if form.index >= len(form.fields) or form.fields[form.index].name in CHOICES:
            ctx.say(ctx.tr.gettext("input.use_buttons"))
            return
        await self._answer(ctx, text)

    async def _answer(self, ctx: Ctx, raw: str) -> None:
        form = form_state(ctx)
        if form.index >= len(form.fields):
            return
        field = form.fields[form.index]
        value = check_answer(field.name, raw, form.answers, country_must_be=form.country_must_be)
        form.answers[field.name] = value
        if field.name == "salutation":
            await self._refit(ctx, value)
        form.index += 1

    async def _refit(self, ctx: Ctx, salutation: str) -> None:
        """A company is asked its organization; the questions follow the salutation just given."""
        form = form_state(ctx)
        direction = (
            await ctx.services.catalog.direction(draft(ctx).iso, form.direction_id, ctx.language)
            if self.origin == "order" and form.direction_id is not None
            else None
        )
        fields = [FormField(name=f.name, required=f.required) for f in group_form(direction, salutation)]
        names = {f.name for f in fields}
        form.answers = {k: v for k, v in form.answers.items() if k in names}
        form.fields = fields

    def _leave(self, ctx: Ctx) -> None:
        ctx.state.form = None
        ctx.go("order.group" if self.origin == "order" else "docs.list")

    async def _create(self, ctx: Ctx) -> None:
        form = form_state(ctx)
        group = await ctx.services.documents.create_group(ctx.actor, dict(form.answers), form.direction_id)
        ctx.state.form = None  # the answers are with Zadarma now; nothing of them stays here
        ctx.say(ctx.tr.gettext("form.created", name=group.display_name))
        if self.origin == "order":
            try:
                await after_group_chosen(ctx, group.id)
            except ServiceError as exc:
                # The group exists now: never roll back to the form (a second Create would duplicate it).
                ctx.fail(exc)
                draft(ctx).group_id = group.id
                ctx.go("order.doc_status")
        else:
            ctx.state.docs.group_id = group.id
            ctx.go("docs.group")


class OrderFormStep(FormStep):
    """The form inside the order flow (asks what the direction requires)."""

    name = "order.form"
    origin = "order"


class DocsFormStep(FormStep):
    """The form from "my documents" (the required fields only)."""

    name = "docs.form"
    origin = "docs"
