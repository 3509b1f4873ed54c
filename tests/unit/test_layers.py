"""The import-linter contracts in ``pyproject.toml`` stay complete as modules are added."""

from __future__ import annotations

import pkgutil
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import bot
from bot.services import Services

ROOT = Path(__file__).resolve().parents[2]


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return found


def test_conversations_are_refused_every_module_of_bot_but_the_services() -> None:
    [contract] = [
        c
        for c in contracts()
        if c["source_modules"] == ["conversations"] and "bot.storage" in c["forbidden_modules"]
    ]
    modules = {f"bot.{m.name}" for m in pkgutil.iter_modules(bot.__path__)}
    assert "bot.services" in modules
    assert set(contract["forbidden_modules"]) == modules - {"bot.services"}


def test_adapters_are_refused_the_api_client_and_the_store() -> None:
    [contract] = [c for c in contracts() if c["source_modules"] == ["adapters"]]
    assert {"bot.zadarma", "bot.storage"} <= set(contract["forbidden_modules"])


def test_the_services_hand_down_no_store() -> None:
    assert "storage" not in {f.name for f in fields(Services)}
