"""The modals: the one-answer form for text steps, the document-group form and its edit form.

The group form opens as a "loading" view at once (a trigger expires after
3 s) and is replaced by the real questions with ``views.update``. On
submission the answers are checked with ``group_answers`` (problems go back as
``response_action: errors``); then, inside the order wizard, the answers
are fed to the conversation (see :meth:`Wizard.submit_form`), and outside
it the group is created with ``services.documents.create_group``.

The edit form (``/numbers docs GROUP`` → Edit details) opens filled in with the
group's values; on submission the fields are checked the same way, then only
what changed goes to ``services.documents.update_group`` (which re-checks
access and sends the full record to ``groups/update``).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack import actions, blocks, forms
from adapters.slack.outbox import Outbox
from adapters.slack.payloads import part
from adapters.slack.tasks import BackgroundTasks
from adapters.slack.team import TeamConsole
from adapters.slack.texts import EXPIRED, MODAL_FAILED, error_text
from adapters.slack.wizard import Wizard, conversation_key
from bot.services import Actor, Services
from bot.services.documents import FormField, edit_form, group_form, group_values
from bot.services.errors import InvalidInput, ServiceError
from bot.services.types import UserRef
from conversations.team_commands import COMMAND

Body = dict[str, Any]


def operator(user_id: str) -> Actor:
    """Slack users of this app are operators (the gate lets only admins in)."""
    return Actor(UserRef("slack", user_id), is_operator=True)


class Modals:
    """Opens the modals and takes their submissions."""

    def __init__(
        self, *, services: Services, wizard: Wizard, outbox: Outbox, tasks: BackgroundTasks, team: TeamConsole
    ) -> None:
        self._team = team
        self._services = services
        self._wizard = wizard
        self._outbox = outbox
        self._tasks = tasks

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.spawn(work, name)

    async def open_text_answer(self, trigger: str, chat_id: str, channel: str, url: str) -> None:
        """The one-field modal for a step that expects typed text."""
        context = actions.ModalContext(chat_id, channel, url)
        if await self._outbox.open_view(trigger, forms.text_answer_view(context)) is None:
            await self._outbox.respond(url, blocks.note(MODAL_FAILED))

    async def open_group_form(self, trigger: str, chat_id: str, channel: str, url: str, user: str) -> None:
        """A loading modal at once (the trigger lives 3 s), then the real form in its place."""
        opened = await self._outbox.open_view(
            trigger, forms.loading_view(actions.GROUP_VIEW, "Document group")
        )
        if opened is None:
            await self._outbox.respond(url, blocks.note(MODAL_FAILED))
            return
        view_id, view_hash = opened
        context = actions.ModalContext(chat_id, channel, url)
        if chat_id:
            form = await self._wizard.open_form(conversation_key(chat_id, user))
            if form is None:
                await self._outbox.update_view(view_id, forms.message_view("Form closed", EXPIRED), view_hash)
                return
            fields = list(form.fields)
        else:
            fields = group_form(None)
        await self._outbox.update_view(view_id, forms.group_form_view(fields, context), view_hash)

    async def open_group_edit(self, trigger: str, value: str, channel: str, url: str, user: str) -> None:
        """A loading modal at once, then the group's fields filled in with its values."""
        opened = await self._outbox.open_view(
            trigger, forms.loading_view(actions.GROUP_EDIT_VIEW, "Edit group")
        )
        if opened is None:
            await self._outbox.respond(url, blocks.note(MODAL_FAILED))
            return
        view_id, view_hash = opened
        if not value.isdigit():
            await self._outbox.update_view(view_id, forms.message_view("Edit group", EXPIRED), view_hash)
            return
        try:
            group = await self._services.documents.group(operator(user), int(value))
        except ServiceError as exc:
            failed = forms.message_view("Edit group", f":warning: {blocks.escape(error_text(exc))}")
            await self._outbox.update_view(view_id, failed, view_hash)
            return
        context = actions.ModalContext("", channel, url, group.id)
        fields = edit_form(None, group.salutation)
        if all(f.name != "organization" for f in fields):
            # A modal cannot grow a field when the salutation changes: the organization is always
            # there, and required on submission when the salutation is COMPANY.
            fields.insert(1, FormField("organization", False))
        view = forms.group_form_view(fields, context, group_values(group))
        await self._outbox.update_view(view_id, view, view_hash)

    async def on_group_edit_view(self, ack: AsyncAck, body: Body, view: Body) -> None:
        """Check every field (errors go back into the modal), then send what changed."""
        context = actions.ModalContext.decode(str(view.get("private_metadata") or ""))
        user = str(part(body, "user").get("id") or "")
        if context.group_id is None:
            await ack(response_action="update", view=forms.message_view("Form closed", EXPIRED))
            return
        submitted = forms.submitted_values(view)
        salutation = submitted.get(forms.field_block_id("salutation"), "").strip().upper()
        fields = edit_form(None, salutation or None)
        result = forms.validate_group_form(fields, submitted)
        if result.errors:
            await ack(response_action="errors", errors=result.errors)
            return
        await ack()
        group_id = context.group_id
        answers = result.answers
        optional = [f.name for f in fields if not f.required]

        async def work() -> None:
            actor = operator(user)
            try:
                current = group_values(await self._services.documents.group(actor, group_id))
                changes = {k: v for k, v in answers.items() if current.get(k) != v}
                changes |= {k: "" for k in optional if current.get(k) and k not in answers}
                if changes:
                    await self._services.documents.update_group(actor, group_id, changes)
                message, _ = await self._team.command(user, f"docs {group_id}")
                head = (
                    f":white_check_mark: Document group *#{group_id}* saved."
                    if changes
                    else "Nothing changed."
                )
                message = blocks.Rendered(
                    message.text, [*blocks.section(head, markdown=True), *message.blocks]
                )
            except ServiceError as exc:
                message = blocks.note(f":warning: {blocks.escape(error_text(exc))}")
            await self._outbox.answer(
                response_url=context.response_url, channel=context.channel_id, user=user, message=message
            )

        self._spawn(work(), "view:group_edit")

    async def on_text_view(self, ack: AsyncAck, body: Body, view: Body) -> None:
        """A typed answer from the one-field modal goes to its conversation."""
        context = actions.ModalContext.decode(str(view.get("private_metadata") or ""))
        text = forms.submitted_values(view).get(actions.TEXT_BLOCK, "").strip()
        if not context.chat_id:
            await ack(response_action="errors", errors={actions.TEXT_BLOCK: EXPIRED})
            return
        if not text:
            await ack(response_action="errors", errors={actions.TEXT_BLOCK: "Please type an answer."})
            return
        await ack()
        user = str(part(body, "user").get("id") or "")

        async def work() -> None:
            message = await self._wizard.text(context.chat_id, user, text)
            await self._outbox.answer(
                response_url=context.response_url,
                channel=context.channel_id,
                user=user,
                message=message,
                replace=True,
            )

        self._spawn(work(), "view:text")

    async def on_group_view(self, ack: AsyncAck, body: Body, view: Body) -> None:
        """Check every field (errors go back into the modal), then create the group."""
        context = actions.ModalContext.decode(str(view.get("private_metadata") or ""))
        user = str(part(body, "user").get("id") or "")
        country_must_be, language, given = "", "en", {}
        if context.chat_id:
            form = await self._wizard.open_form(conversation_key(context.chat_id, user))
            if form is None:
                await ack(response_action="update", view=forms.message_view("Form closed", EXPIRED))
                return
            fields = list(form.fields)
            country_must_be, language, given = form.country_must_be, form.language, dict(form.answers)
        else:
            fields = group_form(None)
        submitted = forms.submitted_values(view)
        result = forms.validate_group_form(fields, submitted, language=language, given=given)
        errors = dict(result.errors)
        typed_country = submitted.get(forms.field_block_id("country"), "").strip().upper()
        if country_must_be and typed_country and typed_country != country_must_be:
            mismatch = InvalidInput("form.country_mismatch", iso=country_must_be)
            errors[forms.field_block_id("country")] = error_text(mismatch, language)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        answers = result.answers

        async def work() -> None:
            if context.chat_id:
                message = await self._wizard.submit_form(context.chat_id, user, answers)
                replace = True
            else:
                message = await self._create_group(user, answers)
                replace = False
            await self._outbox.answer(
                response_url=context.response_url,
                channel=context.channel_id,
                user=user,
                message=message,
                replace=replace,
            )

        self._spawn(work(), "view:group")

    async def _create_group(self, user: str, answers: dict[str, str]) -> blocks.Rendered:
        try:
            group = await self._services.documents.create_group(operator(user), answers)
        except ServiceError as exc:
            return blocks.note(f":warning: {blocks.escape(error_text(exc))}")
        return blocks.note(
            f":white_check_mark: Document group *#{group.id}* {blocks.escape(group.display_name)} created. "
            f"`{COMMAND} docs {group.id}` shows it."
        )
