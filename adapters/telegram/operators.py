"""The operators' ``/assign NUMBER USER_ID``: give a number of the account to a customer.

:func:`parse_assign` is pure; :func:`assign` runs the request through the
service layer (which re-checks that the actor is an operator and that the
number is in the account) and returns the sentence to answer with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.telegram import texts
from bot.services import Actor, Services
from bot.services.errors import ApiUnavailable, NotFound, NotYours, ServiceError
from bot.services.types import UserRef
from bot.services.validation import number_digits

PLATFORM = "telegram"

_USER_ID = re.compile(r"^\d{1,20}$")


@dataclass(frozen=True)
class AssignRequest:
    """A well-formed ``/assign``: ``number`` as digits (no ``+``), the customer's Telegram ``user_id``."""

    number: str
    user_id: str


@dataclass(frozen=True)
class AssignProblem:
    """A malformed ``/assign``: ``key`` names the message (see :mod:`.texts`), ``value`` the bad part."""

    key: str
    value: str = ""


def parse_assign(args: str) -> AssignRequest | AssignProblem:
    """``"+48 22 123 45 67  123456789"`` -> ``AssignRequest("48221234567", "123456789")``.

    The last word is the user id; everything before it is the number, in which
    spaces, dashes, dots and brackets are allowed.
    """
    words = args.split()
    if len(words) < 2:
        return AssignProblem("assign_usage")
    *number_words, user_id = words
    raw_number = " ".join(number_words)
    number = number_digits(raw_number)
    if number is None:
        return AssignProblem("assign_bad_number", raw_number)
    if not _USER_ID.match(user_id) or int(user_id) == 0:
        return AssignProblem("assign_bad_user", user_id)
    return AssignRequest(number, user_id)


@dataclass(frozen=True)
class AssignResult:
    """What to tell the operator; ``done`` when the number now belongs to the customer."""

    reply: str
    done: bool


async def assign(services: Services, operator_id: str, request: AssignRequest, language: str) -> AssignResult:
    """Give ``request.number`` to ``request.user_id`` on behalf of operator ``operator_id``."""
    actor = Actor(UserRef(PLATFORM, operator_id), is_operator=True)
    owner = UserRef(PLATFORM, request.user_id)
    try:
        await services.numbers.assign(actor, request.number, owner)
    except NotFound:
        return AssignResult(texts.message(language, "assign_not_found", number=request.number), False)
    except NotYours:
        return AssignResult(texts.message(language, "assign_refused"), False)
    except ApiUnavailable as error:
        detail = error.detail or error.code
        return AssignResult(texts.message(language, "assign_unavailable", detail=detail), False)
    except ServiceError as error:
        detail = error.detail or error.code
        return AssignResult(texts.message(language, "assign_failed", detail=detail), False)
    reply = texts.message(language, "assign_done", number=request.number, user_id=request.user_id)
    return AssignResult(reply, True)
