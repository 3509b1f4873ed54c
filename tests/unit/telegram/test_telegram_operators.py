"""Parsing the operators' /assign (adapters.telegram.operators)."""

from __future__ import annotations

import pytest

from adapters.telegram.operators import AssignProblem, AssignRequest, parse_assign


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("+48221234567 123456789", AssignRequest("48221234567", "123456789")),
        ("48221234567 123456789", AssignRequest("48221234567", "123456789")),
        ("+48 22 123-45-67 555", AssignRequest("48221234567", "555")),
        ("(+48) 22.123.45.67 555", AssignRequest("48221234567", "555")),
        ("", AssignProblem("assign_usage")),
        ("+48221234567", AssignProblem("assign_usage")),
        ("hello 123", AssignProblem("assign_bad_number", "hello")),
        ("+4812 123", AssignProblem("assign_bad_number", "+4812")),
        ("+48221234567 @ann", AssignProblem("assign_bad_user", "@ann")),
        ("+48221234567 0", AssignProblem("assign_bad_user", "0")),
    ],
)
def test_parse_assign(args: str, expected: AssignRequest | AssignProblem) -> None:
    assert parse_assign(args) == expected
