"""The modals: the one-answer form for text steps, and a conversation's form.

Every form modal opens as a "loading" view at once (a trigger expires after
3 s) and is replaced by the real one with ``views.update``. It is built from
a form description of :mod:`conversations` and nothing else: the engine
gives the form of a screen's ``open`` button while it is on screen (a
wizard's, or the operator's console's document-group forms, chat ``team``);
a submission is checked by the engine first (errors go back as
``response_action: errors`` beside their fields), then applied as
:class:`~conversations.events.FormSubmitted` and the screens that follow
replace the message.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack import actions, blocks, forms
from adapters.slack.outbox import Outbox
from adapters.slack.payloads import part
from adapters.slack.texts import ANSWER_EMPTY, EXPIRED, FORM_CLOSED, MODAL_FAILED, say
from adapters.slack.wizard import Wizard
from conversations.events import FormSubmitted

Body = dict[str, Any]


class Modals:
    """Opens the modals and takes their submissions."""

    def __init__(
        self, *, wizard: Wizard, outbox: Outbox, spawn: Callable[[Coroutine[Any, Any, None], str], None]
    ) -> None:
        """``spawn(work, name)`` starts background work (in the user's turn, see the handlers)."""
        self._wizard = wizard
        self._outbox = outbox
        self._spawn = spawn

    async def _language(self, chat_id: str, user: str) -> str:
        """The language of ``user``'s conversation in ``chat_id`` (the team's locale when there is none)."""
        return await self._wizard.language_of(chat_id, user) if chat_id else self._wizard.language

    def _closed(self, language: str) -> forms.View:
        """The modal a form becomes when its conversation no longer shows it."""
        return forms.message_view(say(language, FORM_CLOSED), say(language, EXPIRED), language)

    async def open_text_answer(self, trigger: str, chat_id: str, channel: str, url: str, user: str) -> None:
        """The one-field modal for a step that expects typed text."""
        language = await self._language(chat_id, user)
        context = actions.ModalContext(chat_id, channel, url)
        if await self._outbox.open_view(trigger, forms.text_answer_view(context, language)) is None:
            await self._outbox.respond(url, blocks.note(say(language, MODAL_FAILED)))

    async def _loading(
        self, trigger: str, callback_id: str, url: str, language: str
    ) -> tuple[str, str] | None:
        """Open the loading view at once; None (and the user told) when Slack would not open it."""
        opened = await self._outbox.open_view(trigger, forms.loading_view(callback_id, language))
        if opened is None:
            await self._outbox.respond(url, blocks.note(say(language, MODAL_FAILED)))
        return opened

    async def open_screen_form(self, trigger: str, value: str, channel: str, url: str, user: str) -> None:
        """The form of a conversation's screen (its open button carries ``CHAT|TOKEN``) as a modal."""
        parsed = actions.parse_wizard_value(value)
        language = await self._language(parsed[0] if parsed is not None else "", user)
        opened = await self._loading(trigger, actions.FORM_VIEW, url, language)
        if opened is None:
            return
        view_id, view_hash = opened
        form = await self._wizard.form(parsed[0], user, parsed[1]) if parsed is not None else None
        if parsed is None or form is None:
            await self._outbox.update_view(view_id, self._closed(language), view_hash)
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
            language = await self._language(context.chat_id, user)
            await ack(response_action="update", view=self._closed(language))
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

    async def on_text_view(self, ack: AsyncAck, body: Body, view: Body) -> None:
        """A typed answer from the one-field modal goes to its conversation."""
        context = actions.ModalContext.decode(str(view.get("private_metadata") or ""))
        text = forms.submitted_values(view).get(actions.TEXT_BLOCK, "").strip()
        user = str(part(body, "user").get("id") or "")
        if not context.chat_id or not text:
            language = await self._language(context.chat_id, user)
            refusal = say(language, ANSWER_EMPTY if context.chat_id else EXPIRED)
            await ack(response_action="errors", errors={actions.TEXT_BLOCK: refusal})
            return
        await ack()

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
