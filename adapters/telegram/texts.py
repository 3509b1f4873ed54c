"""The few sentences the Telegram adapter says itself, in English and Polish.

Everything a customer reads about numbers, orders and documents comes from the
conversations (already translated); these are only the adapter's own words:
file refusals, fall-backs and the operators' ``/assign`` command. The command
menu comes from the kit's catalog (:mod:`adapters.kit.commands`).
"""

from __future__ import annotations

from typing import Final

from adapters.kit import commands

LANGUAGES: Final = ("en", "pl")
DEFAULT_LANGUAGE: Final = "en"

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "error": "Sorry, something went wrong on our side. Please try again in a moment.",
        "file_too_big": (
            "This file is {size}, which is too big: files up to {limit} are accepted. "
            "Please send a smaller photo or PDF."
        ),
        "file_failed": "I could not fetch that file from Telegram. Please send it again.",
        "unsupported": (
            "I can read text, photos and documents (PDF, JPEG or PNG). Send /help to see what I can do."
        ),
        "unknown_command": "I don't know /{name}. Try {commands}.",
        "private_only": "Please write to me in a private chat: documents and orders are personal.",
        "assign_usage": "Usage: /assign NUMBER USER_ID, for example /assign +48221234567 123456789",
        "assign_bad_number": (
            "“{value}” is not a phone number. Write it in international format, for example +48221234567."
        ),
        "assign_bad_user": "“{value}” is not a Telegram user id. Use the numeric id, for example 123456789.",
        "assign_not_found": "+{number} is not a number of this Zadarma account.",
        "assign_unavailable": "Zadarma did not answer ({detail}). Please try again later.",
        "assign_failed": "The number could not be assigned ({detail}).",
        "assign_done": "+{number} now belongs to Telegram user {user_id}.",
        "assign_refused": "Sorry, /assign is only for the operators of this service.",
        "assign_welcome": "You now have the number +{number}. Send /numbers to manage it.",
    },
    "pl": {
        "error": "Przepraszamy, coś poszło nie tak po naszej stronie. Spróbuj ponownie za chwilę.",
        "file_too_big": (
            "Ten plik ma {size}, to za dużo: przyjmujemy pliki do {limit}. Wyślij mniejsze zdjęcie lub PDF."
        ),
        "file_failed": "Nie udało się pobrać tego pliku z Telegrama. Wyślij go ponownie.",
        "unsupported": (
            "Rozumiem tekst, zdjęcia i dokumenty (PDF, JPEG lub PNG). "
            "Wyślij /help, aby zobaczyć, co potrafię."
        ),
        "unknown_command": "Nie znam polecenia /{name}. Spróbuj {commands}.",
        "private_only": "Napisz do mnie w prywatnym czacie: dokumenty i zamówienia są osobiste.",
        "assign_usage": "Użycie: /assign NUMER ID_UŻYTKOWNIKA, na przykład /assign +48221234567 123456789",
        "assign_bad_number": (
            "„{value}” to nie jest numer telefonu. Podaj go w formacie międzynarodowym, np. +48221234567."
        ),
        "assign_bad_user": (
            "„{value}” to nie jest identyfikator użytkownika Telegrama. Podaj numer, np. 123456789."
        ),
        "assign_not_found": "+{number} nie jest numerem tego konta Zadarma.",
        "assign_unavailable": "Zadarma nie odpowiada ({detail}). Spróbuj ponownie później.",
        "assign_failed": "Nie udało się przypisać numeru ({detail}).",
        "assign_done": "+{number} należy teraz do użytkownika Telegrama {user_id}.",
        "assign_refused": "Przepraszamy, /assign jest tylko dla operatorów tej usługi.",
        "assign_welcome": "Masz teraz numer +{number}. Wyślij /numbers, aby nim zarządzać.",
    },
}


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
    table = MESSAGES.get(language, MESSAGES[DEFAULT_LANGUAGE])
    return table[key].format(**params)


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
