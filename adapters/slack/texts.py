"""The English texts of the Slack adapter (the team's own tool) and service-error messages.

Messages about invalid input come from the conversation catalogs (English and
Polish), the same texts the Telegram and console forms show.
"""

from __future__ import annotations

from bot.services.errors import ApiUnavailable, InsufficientBalance, InvalidInput, ServiceError
from conversations.context import error_text as translated_error
from conversations.i18n import translator

REFUSAL = (
    "Sorry, this bot is only for the team that runs the phone numbers. "
    "Ask an administrator to add you if you need access."
)
WORKING = "Working on it…"
EXPIRED = "This menu has expired. Run the command again."
NOTHING_WAITING_FOR_FILE = (
    "Thanks, but no order is waiting for a document right now. "
    "Start one with `/numbers order` and share the file when it asks for it."
)
FILE_STEP_HINT = (
    "Share the file in a direct message with this bot (JPEG, PNG or PDF, at most 20 MB); "
    "it goes straight to Zadarma."
)
FILE_TOO_BIG = "That file is larger than {max_mb} MB; please share a smaller scan."
FILE_UNREADABLE = "I could not fetch that file from Slack; please share it again."
MODAL_FAILED = "Slack did not open the form in time; please press the button again."
GENERIC_FAILURE = "Something went wrong on our side; nothing was changed. Please try again."

_MESSAGES: dict[str, str] = {
    "error.not_found": "There is no such number or group in the account.",
    "error.not_yours": "You may not act on that.",
    "error.number_gone": "That number was taken meanwhile; please pick another one.",
    "error.balance_low": "The balance ({balance} {balance_currency}) does not cover {needed} {currency}.",
    "error.outcome_pending": (
        "⏳ Checking with Zadarma: the reply was lost or late. Nothing will be charged twice; "
        "you will get the outcome in a direct message as soon as it is known."
    ),
    "error.renewal_in_progress": (
        "⏳ A renewal of {number} is being checked with Zadarma; "
        "no new renewal can start until its outcome is known."
    ),
    "error.outcome_contested": (
        ":warning: The records disagree about this payment for {number}; it was sent to the alert channel "
        "for a person to settle. Nobody's ownership was changed."
    ),
    "error.generic": GENERIC_FAILURE,
}


def error_text(exc: ServiceError, language: str = "en") -> str:
    """One readable sentence for a service error (never leaks credentials: services made sure).

    Invalid input is explained in ``language`` from the catalogs; the rest in English.
    """
    if isinstance(exc, InvalidInput) and translator(language).gettext(exc.code) != exc.code:
        return translated_error(translator(language), exc)
    if isinstance(exc, ApiUnavailable):
        suffix = " Please try again later." if exc.retryable else ""
        return f"Zadarma said: {exc.detail}{suffix}"
    if isinstance(exc, InsufficientBalance):
        return _MESSAGES["error.balance_low"].format(
            balance=exc.balance,
            balance_currency=exc.balance_currency,
            currency=exc.currency,
            needed=exc.needed,
        )
    template = _MESSAGES.get(exc.code)
    if template is None:
        return exc.detail or GENERIC_FAILURE
    try:
        return template.format(**exc.params)
    except (KeyError, IndexError):
        return template
