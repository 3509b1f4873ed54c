"""The modals: the one-answer form for text steps, a conversation's form, the operator's group forms.

Every form modal opens as a "loading" view at once (a trigger expires after
3 s) and is replaced by the real one with ``views.update``. It is built from
a form description of :mod:`conversations` and nothing else:

* A conversation's form (its screen's ``open`` button): the engine gives the
  form while it is on screen; a submission is checked by the engine first
  (errors go back as ``response_action: errors`` beside their fields), then
  applied as :class:`~conversations.events.FormSubmitted` and the screens that
  follow replace the message.
* The operator's new group and group edit (``/numbers docs``): the
  descriptions of :func:`conversations.forms.new_group_form` and
  :func:`~conversations.forms.edit_group_form`, checked with
  :func:`~conversations.forms.check_form` (the rules every form uses); then
  ``services.documents.create_group``, or only what changed to
  ``services.documents.update_group`` (which re-checks access and sends the
  full record to ``groups/update``).
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
from adapters.slack.wizard import Wizard
from bot.services import Actor, Services
from bot.services.documents import group_values
from bot.services.errors import ServiceError
from bot.services.types import UserRef
from conversations.events import FormSubmitted
from conversations.forms import check_form, edit_group_form, group_changes, new_group_answers, new_group_form
from conversations.i18n import Translator, translator
from conversations.team_commands import COMMAND

Body = dict[str, Any]
CLOSED = "Form closed"


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

    @property
    def _tr(self) -> Translator:
        return translator(self._wizard.language)

    async def _loading(self, trigger: str, callback_id: str, url: str) -> tuple[str, str] | None:
        """Open the loading view at once; None (and the user told) when Slack would not open it."""
        opened = await self._outbox.open_view(trigger, forms.loading_view(callback_id))
        if opened is None:
            await self._outbox.respond(url, blocks.note(MODAL_FAILED))
        return opened

    async def open_screen_form(self, trigger: str, value: str, channel: str, url: str, user: str) -> None:
        """The form of a conversation's screen (its open button carries ``CHAT|TOKEN``) as a modal."""
        opened = await self._loading(trigger, actions.FORM_VIEW, url)
        if opened is None:
            return
        view_id, view_hash = opened
        parsed = actions.parse_wizard_value(value)
        form = await self._wizard.form(parsed[0], user, parsed[1]) if parsed is not None else None
        if parsed is None or form is None:
            await self._outbox.update_view(view_id, forms.message_view(CLOSED, EXPIRED), view_hash)
            return
        context = actions.ModalContext(parsed[0], channel, url, form=parsed[1])
        await self._outbox.update_view(view_id, forms.form_view(form, actions.FORM_VIEW, context), view_hash)

    async def on_form_view(self, ack: AsyncAck, body: Body, view: Body) -> None:
        """A conversation's form: the engine's errors go back beside their fields, else it is applied."""
        context = actions.ModalContext.decode(str(view.get("private_metadata") or ""))
        user = str(part(body, "user").get("id") or "")
        submitted = FormSubmitted(forms.form_answers(forms.submitted_values(view)), context.form)
        errors = (
            await self._wizard.check_form(context.chat_id, user, submitted)
            if context.chat_id and context.form
            else None
        )
        if errors is None:
            await ack(response_action="update", view=forms.message_view(CLOSED, EXPIRED))
            return
        if errors:
            await ack(response_action="errors", errors=forms.block_errors(errors))
            return
        await ack()

        async def work() -> None:
            message = await self._wizard.submit_answers(context.chat_id, user, submitted)
            await self._outbox.answer(
                response_url=context.response_url,
                channel=context.channel_id,
                user=user,
                message=message,
                replace=True,
            )

        self._spawn(work(), "view:form")

    async def open_group_form(self, trigger: str, value: str, channel: str, url: str, user: str) -> None:
        """The operator's new document group (``/numbers docs``): loading at once, then the form."""
        opened = await self._loading(trigger, actions.GROUP_VIEW, url)
        if opened is None:
            return
        view_id, view_hash = opened
        if value:  # a wizard's form button of an earlier release: its conversation has its own now
            await self._outbox.update_view(view_id, forms.message_view(CLOSED, EXPIRED), view_hash)
            return
        context = actions.ModalContext("", channel, url)
        view = forms.form_view(new_group_form(self._tr), actions.GROUP_VIEW, context)
        await self._outbox.update_view(view_id, view, view_hash)

    async def open_group_edit(self, trigger: str, value: str, channel: str, url: str, user: str) -> None:
        """A loading modal at once, then the group's fields filled in with its values."""
        opened = await self._loading(trigger, actions.GROUP_EDIT_VIEW, url)
        if opened is None:
            return
        view_id, view_hash = opened
        title = self._tr.gettext("docs.edit.modal_title")
        if not value.isdigit():
            await self._outbox.update_view(view_id, forms.message_view(title, EXPIRED), view_hash)
            return
        try:
            group = await self._services.documents.group(operator(user), int(value))
        except ServiceError as exc:
            failed = forms.message_view(title, f":warning: {blocks.escape(error_text(exc))}")
            await self._outbox.update_view(view_id, failed, view_hash)
            return
        context = actions.ModalContext("", channel, url, group.id)
        form = edit_group_form(self._tr, group_values(group))
        await self._outbox.update_view(
            view_id, forms.form_view(form, actions.GROUP_EDIT_VIEW, context), view_hash
        )

    async def on_group_edit_view(self, ack: AsyncAck, body: Body, view: Body) -> None:
        """Check every field (errors go back into the modal), then send what changed."""
        context = actions.ModalContext.decode(str(view.get("private_metadata") or ""))
        user = str(part(body, "user").get("id") or "")
        if context.group_id is None:
            await ack(response_action="update", view=forms.message_view(CLOSED, EXPIRED))
            return
        form = edit_group_form(self._tr, {})
        cleaned, errors = check_form(self._tr, form, forms.form_answers(forms.submitted_values(view)))
        if errors:
            await ack(response_action="errors", errors=forms.block_errors(errors))
            return
        await ack()
        group_id = context.group_id

        async def work() -> None:
            actor = operator(user)
            try:
                current = group_values(await self._services.documents.group(actor, group_id))
                changes = group_changes(form, current, cleaned)
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
        """The operator's new group: check every field (errors go back into the modal), then create it."""
        context = actions.ModalContext.decode(str(view.get("private_metadata") or ""))
        user = str(part(body, "user").get("id") or "")
        if context.chat_id:  # a wizard's modal of an earlier release: its conversation has its own form now
            await ack(response_action="update", view=forms.message_view(CLOSED, EXPIRED))
            return
        cleaned, errors = check_form(
            self._tr, new_group_form(self._tr), forms.form_answers(forms.submitted_values(view))
        )
        if errors:
            await ack(response_action="errors", errors=forms.block_errors(errors))
            return
        await ack()
        answers = new_group_answers(cleaned)

        async def work() -> None:
            message = await self._create_group(user, answers)
            await self._outbox.answer(
                response_url=context.response_url, channel=context.channel_id, user=user, message=message
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
