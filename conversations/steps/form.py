"""Creating a document group: one question at a time, or the whole form at once.

The questions come from :func:`bot.services.documents.group_form` (the
required fields, a company's organization, plus what the direction
specifies); each answer is checked with
:func:`bot.services.documents.check_answer` (the postcode against the
country already given). Every screen of the step carries the form's
description (:func:`conversations.forms.new_group_form`), which the one
question is built from and which a platform may show whole; a
:class:`~conversations.events.FormSubmitted` is checked at once
(:func:`conversations.forms.check_form`) and, when nothing is refused, does
what the Create button does. Answers stay in the state only until the group
is created (or the form is left).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from bot.services.documents import check_answer, group_form
from bot.services.errors import ServiceError
from bot.services.types import Direction
from conversations.context import Ctx
from conversations.formatting import choice_text, field_label, format_phone
from conversations.forms import CHOICES, check_form, describe_field, new_group_form
from conversations.screens import Form, Screen
from conversations.state import Action, FormField, FormState, Origin, StepName
from conversations.steps.base import Step, lines
from conversations.steps.common import draft, form_state, refuse_form
from conversations.steps.upload import after_group_chosen
from conversations.ui import ScreenBuilder

FORM_STEPS: dict[Origin, StepName] = {"order": "order.form", "docs": "docs.form", "team": "team.form"}
"""The form step of each origin."""
LEFT_TO: dict[Origin, StepName] = {"order": "order.group", "docs": "docs.list", "team": "team.docs"}
"""Where Back at the first question leads, by origin."""


def start_form(ctx: Ctx, origin: Origin, direction: Direction | None = None, iso: str = "") -> None:
    """Open the form for a new group (for ``direction`` when ordering)."""
    fields = [FormField(name=f.name, required=f.required) for f in group_form(direction)]
    ctx.state.form = FormState(
        origin=origin,
        fields=fields,
        direction_id=direction.id if direction else None,
        country_must_be=iso.upper() if direction is not None and "address" in direction.specify else "",
    )
    ctx.go(FORM_STEPS[origin])


class FormStep(Step):
    """The document-group form; the last screen is a summary with a Create button."""

    origin: ClassVar[Origin]

    async def _direction(self, ctx: Ctx) -> Direction | None:
        form = form_state(ctx)
        if self.origin != "order" or form.direction_id is None:
            return None
        return await ctx.services.catalog.direction(draft(ctx).iso, form.direction_id, ctx.language)

    async def _country_note(self, ctx: Ctx) -> str:
        """Where the address must be, when the direction insists on its own country."""
        form = form_state(ctx)
        if not form.country_must_be:
            return ""
        country = await ctx.services.catalog.country(form.country_must_be, ctx.language)
        return ctx.tr.gettext("form.country_must_be", country=country.name, iso=country.iso)

    async def _form(self, ctx: Ctx, ui: ScreenBuilder | None = None, intro: str | None = None) -> Form:
        """The whole form as a description, filled in with the answers so far (or those just refused)."""
        form = form_state(ctx)
        if intro is None:
            intro = await self._country_note(ctx)
        values = ctx.form_answers if ctx.form_answers is not None else form.answers
        return new_group_form(
            ctx.tr,
            await self._direction(ctx),
            values,
            intro=intro,
            errors=ctx.form_errors,
            open_button=ui.button(ctx.tr.gettext("form.fill_in"), "form", role="form") if ui else None,
        )

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        form = form_state(ctx)
        note = await self._country_note(ctx)
        whole = await self._form(ctx, ui, note)
        if form.index >= len(form.fields):
            summary = [
                f"{field_label(tr, f.name)}: {self._shown(ctx, f.name, form.answers[f.name])}"
                for f in form.fields
                if form.answers.get(f.name)
            ]
            ui.row(ui.button(tr.gettext("form.create"), "create"))
            self._nav(ui)
            return ui.screen(lines(tr.gettext("form.summary"), "\n".join(summary)), form=whole)
        # The one question asked now, built like the description's fields (label, hint, choices).
        field = describe_field(tr, form.fields[form.index].name, form.fields[form.index].required)
        label = field.label if field.required else tr.gettext("form.optional", label=field.label)
        extra = note if field.name == "country" else ""
        current = form.answers.get(field.name)
        if field.choices:
            ui.rows([ui.button(c.label, "choose", ref=c.value) for c in field.choices], 2)
        if not field.required:
            ui.row(ui.button(tr.gettext("form.skip"), "skip"))
        self._nav(ui)
        text = lines(
            tr.gettext("form.title", index=form.index + 1, total=len(form.fields)),
            f"{label}: {field.hint}",
            extra,
            tr.gettext("form.current", value=self._shown(ctx, field.name, current)) if current else "",
        )
        return ui.screen(text, "choice" if field.choices else "text", form=whole)

    def _nav(self, ui: ScreenBuilder) -> None:
        """Back and Cancel; the team console has no menu to cancel to, Back leads out of the form."""
        if self.origin == "team":
            ui.row(ui.back())
        else:
            ui.row(ui.back(), ui.cancel())

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

    async def _refit(self, ctx: Ctx, salutation: str | None) -> None:
        """A company is asked its organization; the questions follow the salutation just given."""
        form = form_state(ctx)
        direction = await self._direction(ctx)
        fields = [FormField(name=f.name, required=f.required) for f in group_form(direction, salutation)]
        names = {f.name for f in fields}
        form.answers = {k: v for k, v in form.answers.items() if k in names}
        form.fields = fields

    async def check_form(self, ctx: Ctx, answers: Mapping[str, str]) -> dict[str, str]:
        form = form_state(ctx)
        _, errors = check_form(ctx.tr, await self._form(ctx), answers, country_must_be=form.country_must_be)
        return errors

    async def on_form(self, ctx: Ctx, answers: Mapping[str, str]) -> None:
        """The whole form at once: refused with every field's error, or the group is created as by Create."""
        form = form_state(ctx)
        whole = await self._form(ctx)
        cleaned, errors = check_form(ctx.tr, whole, answers, country_must_be=form.country_must_be)
        if errors:
            refuse_form(ctx, whole, answers, errors)
            return
        form.answers = cleaned
        await self._refit(ctx, cleaned.get("salutation"))  # the field set this salutation implies
        form.index = len(form.fields)
        await self._create(ctx)

    def _leave(self, ctx: Ctx) -> None:
        ctx.state.form = None
        ctx.go(LEFT_TO[self.origin])

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
        elif self.origin == "team":
            ctx.state.team.group_id = group.id
            ctx.go("team.group")
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
