"""Errors the service layer raises, each meant to become one clear message.

::

    ServiceError               root; ``code`` names the message, ``params`` fill it
    ├── InvalidInput           a value the user typed or chose is not acceptable
    ├── NotFound               no such number, group, country or direction
    ├── NotYours               the actor may not see or change this (ownership re-checked on every action)
    ├── NumberGone             the chosen free number was taken meanwhile
    ├── InsufficientBalance    the account cannot pay for this
    ├── ApiUnavailable         Zadarma failed or refused; ``retryable``: whether to offer a retry
    ├── OutcomePending         outcome of a money-spending call unknown yet; settled by evidence later
    ├── RenewalInProgress      another renewal of this number is being checked; no new one may start
    └── OutcomeContested       the evidence contradicts itself; the operators were alerted
"""

from __future__ import annotations

from decimal import Decimal


class ServiceError(Exception):
    """Root of the service errors; ``code`` is a message id, ``params`` its arguments."""

    code = "error.generic"

    def __init__(self, detail: str = "", **params: object) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.params = params


class InvalidInput(ServiceError):
    """A value the user gave is not acceptable; ``code`` says what is expected."""

    def __init__(self, code: str, detail: str = "", **params: object) -> None:
        super().__init__(detail, **params)
        self.code = code


class NotFound(ServiceError):
    """The thing asked for does not exist (or not any more)."""

    code = "error.not_found"


class NotYours(ServiceError):
    """The actor may not see or change this."""

    code = "error.not_yours"


class NumberGone(ServiceError):
    """The chosen number is no longer free."""

    code = "error.number_gone"


class InsufficientBalance(ServiceError):
    """The account balance does not cover the price (the two may be in different currencies)."""

    code = "error.balance_low"

    def __init__(
        self,
        needed: Decimal,
        balance: Decimal,
        currency: str,
        detail: str = "",
        *,
        balance_currency: str | None = None,
    ) -> None:
        super().__init__(detail, needed=needed, balance=balance, currency=currency)
        self.needed = needed
        self.balance = balance
        self.currency = currency
        self.balance_currency = balance_currency or currency


class ApiUnavailable(ServiceError):
    """Zadarma failed; ``detail`` is its readable message; ``retryable`` whether trying again may help."""

    code = "error.api"

    def __init__(self, detail: str, *, retryable: bool = True) -> None:
        super().__init__(detail)
        self.retryable = retryable


class OutcomePending(ServiceError):
    """A money-spending call may or may not have happened; reconciliation will tell."""

    code = "error.outcome_pending"


class RenewalInProgress(ServiceError):
    """A renewal of ``number`` is still being checked with Zadarma: no second one may start meanwhile."""

    code = "error.renewal_in_progress"


class OutcomeContested(ServiceError):
    """The money was (or may have been) spent, but the records disagree; an operator will decide."""

    code = "error.outcome_contested"
