"""Finding a country by what a user types: an ISO code, a common alias, or a name in any supported language.

An exact ISO code (``ES``) or alias (``UK`` -> ``GB``) wins outright: it is
never mixed with countries whose names merely contain those letters
(``ES`` is Spain, not also the United States). Otherwise names match from
their start first, then anywhere, in every language the bot speaks, so
``Polska`` finds Poland whatever the user's language. Accents and case are
ignored (``lodz`` = ``Łódź``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Protocol, TypeVar

from babel import Locale

# The languages whose country names are searched (the bot's languages; CLDR names via Babel).
NAME_LANGUAGES: tuple[str, ...] = ("en", "pl")

# Names people type that are neither an ISO code nor a CLDR name (folded: lower case, no accents).
ALIASES: Mapping[str, str] = {
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "anglia": "GB",
    "usa": "US",
    "america": "US",
    "united states of america": "US",
    "holland": "NL",
    "holandia": "NL",
    "czech republic": "CZ",
    "czechy": "CZ",
    "uae": "AE",
    "emirates": "AE",
    "ivory coast": "CI",
    "south korea": "KR",
    "korea": "KR",
}


class Named(Protocol):
    """What is searched: an ISO code and the name shown to the user."""

    @property
    def iso(self) -> str: ...

    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=Named)


def fold(text: str) -> str:
    """Lower case without accents, ``ł`` as ``l``, single spaces: what matching compares."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ł", "l")
    return " ".join(plain.split())


@cache
def _names(iso: str) -> tuple[str, ...]:
    """The folded CLDR names of ``iso`` in every searched language."""
    names = []
    for language in NAME_LANGUAGES:
        name = Locale.parse(language).territories.get(iso)
        if name:
            names.append(fold(str(name)))
    return tuple(names)


def match_countries(views: Sequence[N], query: str) -> list[N]:
    """The countries ``query`` names: the exact code or alias alone, else name matches (starts first)."""
    folded = fold(query)
    if not folded:
        return list(views)
    by_iso = {v.iso.upper(): v for v in views}
    code = ALIASES.get(folded) or (folded.upper() if len(folded) == 2 and folded.isalpha() else None)
    if code is not None and code in by_iso:
        return [by_iso[code]]
    names = {v.iso: (fold(v.name), *_names(v.iso.upper())) for v in views}
    starts = [v for v in views if any(n.startswith(folded) for n in names[v.iso])]
    contains = [v for v in views if v not in starts and any(folded in n for n in names[v.iso])]
    exact_name = [v for v in starts if folded in names[v.iso]]
    if exact_name:
        return exact_name
    return starts + contains
