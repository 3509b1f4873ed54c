"""The English texts of the Slack adapter (the team's own tool) and service-error messages."""

from __future__ import annotations

from bot.services.errors import ApiUnavailable, InsufficientBalance, ServiceError

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
    "invalid.email": "Please give an e-mail address such as name@example.com.",
    "invalid.phone": "Please give a phone number in international form: 7 to 15 digits, + allowed.",
    "invalid.country": "Please give a two-letter country code such as PL or DE.",
    "invalid.date": "Please give a date as YYYY-MM-DD.",
    "invalid.date_future": "That date is in the future.",
    "invalid.choice": "Please pick one of the offered values.",
    "invalid.empty": "This cannot be empty.",
    "invalid.too_long": "At most {max} characters, please.",
    "invalid.caller_name": (
        "A caller name has Latin letters, digits and spaces only, at most 30 (or - to clear)."
    ),
    "invalid.sip_login": "No such SIP login in the account.",
    "invalid.sip_uri": "Give a SIP login such as 00001 or a SIP URI such as user@sip.example.com[:5060].",
    "invalid.mask": "Digits only, at most 15.",
    "invalid.months": "Months must be from 1 to 12.",
    "invalid.field": "That field is not part of the form.",
    "invalid.group_readonly": "This document group cannot be changed.",
    "invalid.group_incomplete": "Some required details are missing: {fields}.",
    "form.country_mismatch": "For this number the address must be in {iso}.",
    "invalid.file_too_big": "The file is larger than {max_mb} MB.",
    "invalid.file_empty": "The file is empty.",
    "invalid.file_type": "Only JPEG, PNG or PDF files are accepted.",
}


def error_text(exc: ServiceError) -> str:
    """One readable sentence for a service error (never leaks credentials: services made sure)."""
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
