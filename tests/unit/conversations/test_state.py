"""The saved state: every step's state survives JSON, versions are checked, nothing private lingers."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from conversations.state import (
    STATE_VERSION,
    Action,
    ConversationState,
    DocsState,
    FormField,
    FormState,
    ManageState,
    OrderDraft,
    PaidAction,
    StepName,
    UploadState,
    load_state,
)
from conversations.steps import STEPS

ALL_STEPS: tuple[str, ...] = get_args(StepName)


def full_state(step: str) -> ConversationState:
    """A state for ``step`` with every sub-model filled in."""
    order = OrderDraft(
        iso="PL",
        country_matches=["PL", "NL"],
        country_query="land",
        direction_id=3001,
        direction_query="war",
        mask="777",
        number_id="1712p0D1643D0t42r198658",
        number="48223071234",
        group_id=4,
        period="3month",
        autorenew=False,
        receive_sms=True,
        purpose="Hotline",
        key="order-abc",
        failed=True,
        placed="48223071234",
        sip_test_mode=True,
    )
    return ConversationState(
        language="pl",
        step=step,
        salt="AbC",
        seq=41,
        actions={"AbC29": Action(op="pick", ref="PL"), "AbC2a": Action(op="page", n=2)},
        notice_actions={"AbC1": Action(op="notice.prolong", ref="48223071234", n=1)},
        paid={"AbC20": PaidAction(kind="order", key="order-abc", number="48223071234", draft=order)},
        order=order,
        form=FormState(
            origin="order",
            fields=[FormField(name="email", required=True), FormField(name="middle_name", required=False)],
            index=1,
            answers={"email": "jan@example.com"},
            direction_id=3001,
            country_must_be="PL",
            group_id=4,
            editing="city",
        ),
        upload=UploadState(origin="docs", group_id=4, types=["passport", "receipt"], index=1),
        manage=ManageState(
            number="48223071234", page=1, months=3, key="prolong-x", failed=True, test_mode=True
        ),
        docs=DocsState(group_id=4, page=2),
    )


@pytest.mark.parametrize("direction_id", ["ru495", 3001])
def test_a_direction_id_keeps_its_kind_through_json(direction_id: int | str) -> None:
    state = ConversationState(step="order.number", order=OrderDraft(iso="RU", direction_id=direction_id))
    loaded = load_state(state.dump())
    assert loaded is not None and loaded.order is not None
    assert loaded.order.direction_id == direction_id
    assert type(loaded.order.direction_id) is type(direction_id)


@pytest.mark.parametrize("step", ALL_STEPS)
def test_every_step_round_trips_through_json(step: str) -> None:
    for state in (ConversationState(step=step), full_state(step)):
        data = state.dump()
        assert json.loads(data)["version"] == STATE_VERSION
        assert load_state(data) == state


def test_every_step_name_has_a_step() -> None:
    assert set(STEPS) == set(ALL_STEPS)


def test_unknown_versions_and_garbage_are_refused() -> None:
    data = json.loads(full_state("menu").dump())
    data["version"] = STATE_VERSION + 1
    assert load_state(json.dumps(data)) is None
    assert load_state("{") is None
    assert load_state('{"step": "nowhere"}') is None


def test_reset_flows_drops_drafts_and_answers() -> None:
    state = full_state("order.form")
    state.reset_flows()
    assert state.order is None and state.form is None and state.upload is None
    assert state.manage == ManageState() and state.docs == DocsState()
    assert "jan@example.com" not in state.dump()


def test_remembered_tables_are_bounded() -> None:
    state = ConversationState()
    for i in range(100):
        state.remember_notice_action(f"n{i}", Action(op="notice.open", ref=str(i)))
        state.remember_paid(f"p{i}", PaidAction(kind="prolong", key=f"k{i}"))
    assert (
        len(state.notice_actions) <= 24 and "n99" in state.notice_actions and "n0" not in state.notice_actions
    )
    assert len(state.paid) <= 8 and "p99" in state.paid
