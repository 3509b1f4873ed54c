"""The steps of the conversations, one class per screen, registered by name in :data:`STEPS`."""

from __future__ import annotations

from conversations.state import StepName
from conversations.steps.base import FlowLost, Step
from conversations.steps.confirm import ConfirmStep, PendingStep
from conversations.steps.country import CountryStep
from conversations.steps.direction import DirectionStep
from conversations.steps.documents import DocumentStatusStep, GroupChoiceStep
from conversations.steps.form import DocsFormStep, OrderFormStep
from conversations.steps.group_edit import DocsGroupEditStep, OrderGroupEditStep
from conversations.steps.menu import HelpStep, LanguageStep, MenuStep
from conversations.steps.my_documents import DocumentGroupsStep, DocumentGroupStep, UploadTypeStep
from conversations.steps.number import NumberStep
from conversations.steps.numbers import CallerNameStep, MessagesStep, NumberCardStep, NumberListStep
from conversations.steps.prolong import ProlongChoiceStep, ProlongConfirmStep, ProlongPendingStep
from conversations.steps.sip import NumberSipStep, OrderDoneStep, OrderSipStep
from conversations.steps.team import TEAM_STEPS
from conversations.steps.upload import DocsUploadStep, OrderUploadStep

_ALL: tuple[Step, ...] = (
    MenuStep(),
    HelpStep(),
    LanguageStep(),
    CountryStep(),
    DirectionStep(),
    NumberStep(),
    GroupChoiceStep(),
    OrderFormStep(),
    OrderUploadStep(),
    DocumentStatusStep(),
    ConfirmStep(),
    PendingStep(),
    OrderSipStep(),
    OrderDoneStep(),
    NumberListStep(),
    NumberCardStep(),
    CallerNameStep(),
    MessagesStep(),
    NumberSipStep(),
    ProlongChoiceStep(),
    ProlongConfirmStep(),
    ProlongPendingStep(),
    DocumentGroupsStep(),
    DocumentGroupStep(),
    UploadTypeStep(),
    DocsUploadStep(),
    DocsFormStep(),
    OrderGroupEditStep(),
    DocsGroupEditStep(),
    *TEAM_STEPS,
)

STEPS: dict[StepName, Step] = {step.name: step for step in _ALL}
"""Every step by the name kept in :attr:`ConversationState.step`."""

__all__ = ["STEPS", "FlowLost", "Step"]
