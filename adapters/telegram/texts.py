"""The few sentences the Telegram adapter says itself (their texts are in the translation catalogs).

Everything a customer reads about numbers, orders and documents comes from the
conversations (already translated); these are only the adapter's own words:
file refusals, fall-backs and the welcome of a customer given a number. The command
menu comes from the kit's catalog (:mod:`adapters.kit.commands`).
"""

from __future__ import annotations

from typing import Final

from adapters.kit import commands
from conversations.i18n import N_, translator

LANGUAGES: Final = ("en", "pl")
DEFAULT_LANGUAGE: Final = "en"

_KEYS: Final[dict[str, str]] = {
    "error": N_("telegram.error"),
    "file_too_big": N_("telegram.file_too_big"),
    "file_failed": N_("telegram.file_failed"),
    "unsupported": N_("telegram.unsupported"),
    "unknown_command": N_("telegram.unknown_command"),
    "private_only": N_("telegram.private_only"),
    "assign_welcome": N_("telegram.assign_welcome"),
    "webapp_open": N_("webapp.open_upload"),
}
"""The adapter's sentences by short name: message ids of the translation catalogs."""


def pick_language(*candidates: str | None) -> str:
    """The first candidate the adapter speaks (``"pl-PL"`` counts as ``"pl"``), else English."""
    for candidate in candidates:
        primary = primary_language(candidate)
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def primary_language(code: str | None) -> str | None:
    """``"pl-PL"`` -> ``"pl"``; ``None`` or an empty code -> ``None``."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-", 1)[0].strip().lower()
    return primary or None


def message(language: str, key: str, **params: object) -> str:
    """The adapter's sentence ``key`` in ``language`` (English when unknown), filled with ``params``."""
    return translator(language).gettext(_KEYS[key], **params)


def command_list() -> str:
    """``/start, /order, ...`` for hints."""
    return commands.command_list()


def human_size(size: int) -> str:
    """Bytes as a short human size: ``20 MB``, ``1.5 MB``, ``340 KB``."""
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        return f"{value:.0f} MB" if value >= 10 or value.is_integer() else f"{value:.1f} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} B"
