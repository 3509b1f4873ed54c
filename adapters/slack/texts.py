"""The Slack adapter's own texts: keys of the conversation catalogs (English and Polish).

Nothing here is English: each constant is a catalog key (``slack.*``), shown
with :func:`say` in the language of the person it is for (the conversation's
language, the operator's console language, or for someone the bot does not
know the team's Slack locale). Service errors are told by the conversations
(:func:`conversations.context.error_text`), never here.
"""

from __future__ import annotations

from conversations.i18n import N_, translator

REFUSAL = N_("slack.refusal")
NOT_ALLOWED = N_("slack.not_allowed")
EXPIRED = N_("slack.expired")
NOTHING_WAITING_FOR_FILE = N_("slack.nothing_waiting_for_file")
FILE_STEP_HINT = N_("slack.file_step_hint")
FILE_TOO_BIG = N_("slack.file_too_big")
FILE_UNREADABLE = N_("slack.file_unreadable")
MODAL_FAILED = N_("slack.modal_failed")
GENERIC_FAILURE = N_("slack.generic_failure")
DM_HINT = N_("slack.dm_hint")
LOADING_TITLE = N_("slack.loading.title")
LOADING = N_("slack.loading.text")
FORM_CLOSED = N_("slack.form_closed")
CLOSE = N_("slack.close")
TYPE_AN_ANSWER = N_("slack.type_answer")
ANSWER_TITLE = N_("slack.answer.title")
ANSWER_LABEL = N_("slack.answer.label")
ANSWER_SEND = N_("slack.answer.send")
ANSWER_EMPTY = N_("slack.answer.empty")
DIGEST_TITLE = N_("slack.digest.title")
DIGEST_EMPTY = N_("slack.digest.empty")


def say(language: str, key: str, **params: object) -> str:
    """The text of ``key`` in ``language`` (en or pl; anything else gets English)."""
    return translator(language).gettext(key, **params)
