"""What the Slack buttons and modals carry (pure)."""

from __future__ import annotations

from adapters.slack import actions


def test_wizard_values_round_trip_and_reject_junk() -> None:
    value = actions.wizard_value("C123", "ab|c")
    assert actions.parse_wizard_value(value) == ("C123", "ab|c")
    assert actions.parse_wizard_value("no-separator") is None
    assert actions.parse_wizard_value("|x") is None
    assert actions.WIZARD_PATTERN.match(actions.wizard_action_id(2, 3))


def test_modal_context_round_trips() -> None:
    context = actions.ModalContext("C1", "C1", "https://hooks.slack.com/actions/T/1/x")
    assert actions.ModalContext.decode(context.encode()) == context
    assert actions.ModalContext.decode("not json") == actions.ModalContext()
    assert actions.ModalContext.decode("[1]") == actions.ModalContext()
