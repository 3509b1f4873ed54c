"""The adapter's own sentences (adapters.telegram.texts)."""

from __future__ import annotations

import pytest

from adapters.telegram import texts


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ((None, "pl"), "pl"),
        (("pl-PL",), "pl"),
        (("de", "pl_PL"), "pl"),
        (("de", None), "en"),
        ((), "en"),
        (("en", "pl"), "en"),
    ],
)
def test_pick_language(candidates: tuple[str | None, ...], expected: str) -> None:
    assert texts.pick_language(*candidates) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (20 * 1024 * 1024, "20 MB"),
        (25_000_000, "24 MB"),
        (1_572_864, "1.5 MB"),
        (340 * 1024, "340 KB"),
        (12, "12 B"),
    ],
)
def test_human_size(size: int, expected: str) -> None:
    assert texts.human_size(size) == expected


SENTENCES = ["error", "file_failed", "unsupported", "private_only", "assign_welcome"]


@pytest.mark.parametrize("key", SENTENCES)
def test_every_sentence_comes_from_the_catalogs_in_each_language(key: str) -> None:
    # The catalogs' own tests check that both languages hold every key with the same placeholders.
    english, polish = texts.message("en", key), texts.message("pl", key)
    assert english and polish and english != polish
    assert not english.startswith("telegram.") and not polish.startswith("telegram.")


def test_unknown_languages_fall_back_to_english() -> None:
    assert texts.message("de", "error") == texts.message("en", "error")
    assert "+48221234567" in texts.message("pl", "assign_welcome", number="48221234567")
