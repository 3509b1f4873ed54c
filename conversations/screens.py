"""What the engine answers: screens of final text with rows of buttons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

MAX_ACTION_BYTES = 64
"""Telegram's limit for callback data; every button action fits in it."""

Expects: TypeAlias = Literal["text", "file", "choice", "none"]
FieldKind: TypeAlias = Literal["text", "multiline", "choice", "date", "email", "phone", "country"]


@dataclass(frozen=True)
class Button:
    """A button: its translated ``label`` and the opaque ``action`` token a press sends back.

    ``role`` marks navigation an adapter may place or key in its own way
    (``prev``/``next`` for page turning); empty for every other button.
    """

    label: str
    action: str
    role: str = ""

    def __post_init__(self) -> None:
        if not self.action or len(self.action.encode("utf-8")) > MAX_ACTION_BYTES:
            raise ValueError(f"button action must be 1..{MAX_ACTION_BYTES} bytes")


@dataclass(frozen=True)
class Choice:
    """One option of a ``choice`` field: the ``value`` submitted and its translated ``label``."""

    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One field of a form description, everything translated.

    ``kind`` tells a renderer which input fits (a date picker for ``date``, a
    select of ``choices`` for ``choice``...); ``value`` is what the field holds
    now (shown as the initial value). ``required_if`` names another field and
    the value of it that makes this optional field required (a company's
    organization); renderers that cannot express that show it as optional and
    the submission is refused with the error beside it.
    """

    name: str
    kind: FieldKind
    label: str
    hint: str = ""
    required: bool = True
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    value: str = ""
    required_if: tuple[str, str] | None = None


@dataclass(frozen=True)
class Form:
    """A form description a screen carries: its fields, title, submit label and per-field errors.

    One description serves every renderer: Telegram and the console ask its
    fields one at a time (the screen's text and buttons), Slack opens it as a
    modal, a web page would show it whole. The answers go back to the engine as
    :class:`~conversations.events.FormSubmitted` keyed by field name (``submit``
    and ``cancel`` label the buttons of a renderer that shows it whole); ``errors``
    (field name -> translated message) are set on the screen that refuses them.
    ``open`` is the engine's button for opening the whole form (``role="form"``);
    it is not part of the screen's button rows, which ask one question at a time.
    """

    title: str
    submit: str
    fields: tuple[FormField, ...]
    cancel: str = ""
    intro: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)
    open: Button | None = None

    def field(self, name: str) -> FormField | None:
        """The field called ``name``, if the form has one."""
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class Screen:
    """One message to show.

    ``text`` is final, translated plain text (emoji allowed, no markup);
    ``buttons`` are rows; ``expects`` tells the adapter what input the
    conversation waits for (typed ``text``, a ``file``, a button ``choice``,
    or ``none`` for an informational message). ``settles`` names the
    payments (intent keys) whose final outcome these screens tell: once they
    are shown, the adapter passes them to ``ConversationEngine.acknowledge``
    so the outcome is not sent again as an alert. ``replaces_pressed`` is
    False when these screens answer a press that was not applied (a button of
    an expired menu, or a press delivered again after its effect was saved):
    the pressed message then keeps what it shows, which may be a payment's
    outcome, and the screens come as new messages. ``form`` is the
    description of the form this screen asks (see :class:`Form`), if any.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    expects: Expects = "choice"
    settles: tuple[str, ...] = ()
    replaces_pressed: bool = True
    form: Form | None = None

    @property
    def actions(self) -> tuple[str, ...]:
        """Every button's action, row by row."""
        return tuple(b.action for row in self.buttons for b in row)
