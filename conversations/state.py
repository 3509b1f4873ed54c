"""A conversation's saved state: plain pydantic models that round-trip through JSON.

One :class:`ConversationState` per (platform, chat, user) is saved after
every step. It holds where the user is (``step``), the drafts of the flow in
progress, and the table that maps the opaque tokens of the buttons on screen
to what they do. It never holds document contents; form answers stay only
until the document group is created.

``version`` lets a later release read older states (see :func:`load_state`).
"""

from __future__ import annotations

import logging
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger("conversations.state")

STATE_VERSION = 1

StepName: TypeAlias = Literal[
    "menu",
    "help",
    "language",
    "order.country",
    "order.direction",
    "order.number",
    "order.group",
    "order.form",
    "order.upload",
    "order.doc_status",
    "order.confirm",
    "order.pending",
    "order.sip",
    "order.done",
    "numbers.list",
    "numbers.card",
    "numbers.caller_name",
    "numbers.messages",
    "numbers.sip",
    "numbers.prolong",
    "numbers.prolong_confirm",
    "numbers.prolong_pending",
    "docs.list",
    "docs.group",
    "docs.upload_type",
    "docs.upload",
    "docs.form",
    "order.edit",
    "docs.edit",
    "team.idle",
    "team.list",
    "team.expiring",
    "team.card",
    "team.prolong_confirm",
    "team.prolong_pending",
    "team.docs",
    "team.group",
    "team.audit",
    "team.form",
    "team.edit",
]
Origin: TypeAlias = Literal["order", "docs", "team"]
Period: TypeAlias = Literal["month", "3month"]

MAX_NOTICE_ACTIONS = 24
MAX_PAID_ACTIONS = 8
MAX_TEAM_ACTIONS = 48
MAX_ALERT_ACTIONS = 600  # the buttons of a channel's last 200 alerts or so


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class Action(_Model):
    """What one button does: an operation and its argument (an ISO code, an id, a page...).

    ``shown`` is what the button showed when its press must take exactly that (a free
    number's digits): kept here, with the token, never in the token itself.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    op: str
    ref: str = ""
    n: int = 0
    shown: str = ""


class OrderDraft(_Model):
    """The order being put together, step by step."""

    iso: str = ""
    country_page: int = 0
    country_query: str = ""
    country_matches: list[str] = Field(default_factory=list)
    direction_id: int | str = 0  # as the API gives it: 3001, or a code such as "ru495"
    direction_page: int = 0
    direction_query: str = ""
    mask: str = ""
    number_page: int = 0
    shown: dict[str, str] = Field(default_factory=dict)  # read only: saved before buttons held digits
    number_id: str = ""
    number: str = ""
    group_id: int | None = None
    group_page: int = 0
    period: Period = "month"
    autorenew: bool = True
    receive_sms: bool = False
    purpose: str = ""
    key: str = ""
    failed: bool = False
    placed: str = ""
    sip_test_mode: bool = False


class FormField(_Model):
    """One question of the document-group form."""

    name: str
    required: bool


class FormState(_Model):
    """A document-group form being filled in; ``answers`` are dropped once the group exists.

    With ``group_id`` set it corrects that group instead: ``answers`` then hold only the
    changes (an empty value clears an optional field) and ``editing`` names the field asked now.
    """

    origin: Origin
    fields: list[FormField]
    index: int = 0
    answers: dict[str, str] = Field(default_factory=dict)
    direction_id: int | str | None = None
    country_must_be: str = ""
    group_id: int | None = None
    editing: str = ""


class UploadState(_Model):
    """Files still to send for one document group, one ``types`` entry at a time."""

    origin: Origin
    group_id: int
    types: list[str]
    index: int = 0


class ManageState(_Model):
    """Which of the user's numbers is open, and the renewal being confirmed."""

    number: str = ""
    page: int = 0
    months: int = 1
    key: str = ""
    failed: bool = False
    test_mode: bool = False


class DocsState(_Model):
    """The "my documents" section: the open group and the list page."""

    group_id: int | None = None
    page: int = 0


class TeamState(_Model):
    """What the team console shows: the list's filter or days, the group or the audit's number.

    The number of the open card and the renewal being confirmed live in ``manage``, as for customers.
    """

    filter_kind: Literal["", "status", "digits", "country"] = ""
    filter_value: str = ""
    days: int = 7
    group_id: int | None = None
    audit_number: str = ""


class PaidAction(_Model):
    """A money-spending confirmation already used; pressing its button again shows its result."""

    kind: Literal["order", "prolong"]
    key: str
    number: str = ""
    months: int = 0
    draft: OrderDraft | None = None


class ConversationState(_Model):
    """Everything needed to resume a conversation after a restart."""

    version: int = STATE_VERSION
    language: str = "en"
    step: StepName = "menu"
    salt: str = ""
    seq: int = 0
    last_event: str = ""
    """The platform's id of the last event applied (an event handled again is not applied twice)."""
    actions: dict[str, Action] = Field(default_factory=dict)
    notice_actions: dict[str, Action] = Field(default_factory=dict)
    paid: dict[str, PaidAction] = Field(default_factory=dict)
    team_actions: dict[str, Action] = Field(default_factory=dict)
    """The team console's one-tap buttons (a card's, a group list's): valid until newer ones push them out."""
    team: TeamState = Field(default_factory=TeamState)
    order: OrderDraft | None = None
    form: FormState | None = None
    upload: UploadState | None = None
    manage: ManageState = Field(default_factory=ManageState)
    docs: DocsState = Field(default_factory=DocsState)

    def reset_flows(self) -> None:
        """Drop every flow in progress (order draft, form answers, pending uploads)."""
        self.order = None
        self.form = None
        self.upload = None
        self.manage = ManageState()
        self.docs = DocsState()

    def remember_notice_action(self, token: str, action: Action) -> None:
        """Keep an alert's button working across screens (the oldest ones expire)."""
        self.notice_actions[token] = action
        while len(self.notice_actions) > MAX_NOTICE_ACTIONS:
            del self.notice_actions[next(iter(self.notice_actions))]

    def remember_team_action(self, token: str, action: Action, limit: int = MAX_TEAM_ACTIONS) -> None:
        """Keep a team console button working after newer screens (beyond ``limit``, the oldest expire)."""
        self.team_actions[token] = action
        while len(self.team_actions) > limit:
            del self.team_actions[next(iter(self.team_actions))]

    def remember_paid(self, token: str, paid: PaidAction) -> None:
        """Remember a used confirmation button so a repeated press shows the same result."""
        self.paid[token] = paid
        while len(self.paid) > MAX_PAID_ACTIONS:
            del self.paid[next(iter(self.paid))]

    def dump(self) -> str:
        """The JSON text to store."""
        return self.model_dump_json()


def holds_form_answers(data: str) -> bool:
    """Whether a dumped state (:meth:`ConversationState.dump`) holds form answers.

    The store wipes its journal when a state that held them is replaced by
    one that does not. A cheap look at the compact JSON, no parsing: any
    non-empty ``answers`` object counts.
    """
    return '"answers":{"' in data


def load_state(data: str) -> ConversationState | None:
    """Read a stored state; ``None`` when it is unreadable or from an unknown version."""
    try:
        state = ConversationState.model_validate_json(data)
    except ValidationError:
        log.warning("unreadable conversation state, starting over")
        return None
    if state.version != STATE_VERSION:
        log.warning("conversation state of unknown version, starting over", extra={"version": state.version})
        return None
    return state
