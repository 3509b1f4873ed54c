"""Zadarma's rejection reasons (always English) in the user's language.

Document and address checks answer with a sentence in English
(``checking-wrongs``' ``message``, the rejection alert's ``reason``). The
sentences the API and the emulator are known to send are translated here;
an unknown one is shown as Zadarma wrote it, since it is still the best
explanation there is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from conversations.formatting import country_name, format_phone, territory_name
from conversations.i18n import N_, Translator

# Whole sentences, compared without case and surrounding space.
KNOWN_REASONS: Mapping[str, str] = {
    "the document is unreadable or has expired. please upload a clear copy of a valid document.": N_(
        "reason.unreadable_or_expired"
    ),
    "the passport has expired. it is considered invalid.": N_("reason.passport_expired"),
}

# "Invalid address: number 4822... needs an address in Poland, the group's address is in DE"
# (the emulator adds " and the address is empty" when it is).
_WRONG_ADDRESS = re.compile(
    r"^Invalid address: number (?P<number>\+?\d+) needs an address in (?P<needed>.+?), "
    r"the group's address is in (?P<given>.+?)(?P<empty> and the address is empty)?$"
)


def reason_text(tr: Translator, reason: str) -> str:
    """``reason`` as ``tr``'s language says it; an unknown reason as it was given."""
    cleaned = " ".join(reason.split())
    key = KNOWN_REASONS.get(cleaned.casefold())
    if key is not None:
        return tr.gettext(key)
    match = _WRONG_ADDRESS.match(cleaned)
    if match is not None:
        given = match["given"]
        text = tr.gettext(
            "reason.address_country",
            number=format_phone(match["number"]),
            needed=_country(tr, match["needed"]),
            given=tr.gettext("reason.no_country") if given == "no country" else _country(tr, given),
        )
        if match["empty"]:
            text += " " + tr.gettext("reason.address_empty")
        return text
    return reason


def _country(tr: Translator, name: str) -> str:
    """A country named in English or by its ISO code, in ``tr``'s language."""
    return territory_name(tr, name) if len(name) == 2 and name.isalpha() else country_name(tr, name)
