"""The emulator's realistic mode: exact data, varied the way real APIs vary it.

With ``SandboxConfig(realistic=True)`` (``python -m bot sandbox --realistic``)
every successful reply keeps its meaning but not its exact shape:

* unknown fields are added, at the top and in list items;
* optional and display fields are ``null`` (``number_name``, ``feature``,
  ``minutes``, an unset ``sip``, empty document-group fields, the list's
  ``description`` of some numbers) and some are left out (``sip_name``, a
  ``null`` ``receive_sms``);
* numbers come as JSON numbers where the spec has strings (direction and
  dial codes, ``channels`` of one number, ``connect_time``) and as strings where
  the spec has numbers (amounts, ``lines``, ``left``, ``unixtime``, group ids,
  ``direction_id`` of free numbers); ``"true"``/``"false"`` flags sometimes
  come as JSON booleans;
* PHP's ``[]`` stands for an empty object (no ``restrictions``, nothing wrong
  in ``checking-wrongs``);
* ``available`` lists at most 20 numbers, shuffled.

Which variation a value gets is decided by a checksum of the route, the field
and the value, so the same state always reads the same way; only the
shuffle of ``available`` draws from a random generator seeded by the config.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from typing import Any

Json = dict[str, Any]

AVAILABLE_CAP = 20
_EXTRA_TOP = {"server_time_ms": 12, "api_version": "v1.4.2"}
_EXTRA_ITEM: Json = {"flags": [], "updated": None}


def _coin(*parts: object) -> int:
    """A stable number 0..99 for ``parts`` (not Python's salted ``hash``)."""
    return zlib.crc32("|".join(map(str, parts)).encode("utf-8")) % 100


def _as_text_number(value: Any) -> Any:
    """A JSON number as the string a PHP backend might send (``2.5`` -> ``"2.50"``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _as_json_number(value: Any) -> Any:
    """A numeric string as a JSON number (``"3753"`` -> ``3753``); others unchanged."""
    if isinstance(value, str) and value.isdigit() and not (len(value) > 1 and value.startswith("0")):
        return int(value)
    return value


def _as_json_bool(value: Any) -> Any:
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


class Realism:
    """Varies reply payloads by route name (see the module docstring)."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._routes: dict[str, Callable[[Json], Json]] = {
            "info.balance": self._balance,
            "info.timezone": self._timezone,
            "sip": self._sip,
            "direct_numbers": self._numbers,
            "direct_numbers.number": self._number,
            "direct_numbers.countries": self._countries,
            "direct_numbers.country": self._directions,
            "direct_numbers.available": self._available,
            "direct_numbers.checking_wrongs": self._wrongs,
            "direct_numbers.prolong": self._prolong,
            "direct_numbers.order": self._order,
            "documents.groups.list": self._groups,
            "documents.groups.get": self._group_reply,
            "documents.groups.create": self._group_reply,
            "documents.groups.update": self._group_reply,
            "documents.files": self._files,
            "documents.groups.valid": self._flags,
        }

    def vary(self, route: str, payload: Json) -> Json:
        """``payload`` of ``route`` as a real server might send it."""
        change = self._routes.get(route)
        out = change(dict(payload)) if change else dict(payload)
        if _coin(route, "extra") < 70:
            out.update(_EXTRA_TOP)
        return out

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _item(route: str, item: Json, key: str) -> Json:
        out = dict(item)
        if _coin(route, key, "extra") < 50:
            out.update(_EXTRA_ITEM)
        return out

    # ------------------------------------------------------------------ routes
    def _balance(self, out: Json) -> Json:
        out["balance"] = _as_text_number(out["balance"])
        return out

    def _timezone(self, out: Json) -> Json:
        out["unixtime"] = str(out["unixtime"])
        return out

    def _sip(self, out: Json) -> Json:
        out["sips"] = [{**self._item("sip", s, s["id"]), "lines": str(s["lines"])} for s in out["sips"]]
        out["left"] = str(out["left"])
        return out

    def _number_record(self, route: str, record: Json) -> Json:
        out = self._item(route, record, record["number"])
        coin = _coin(route, record["number"])
        out["number_name"] = None
        if route == "direct_numbers" and coin < 30:
            out["description"] = None
        if not out.get("sip"):
            out["sip"] = None
        out["monthly_fee"] = _as_text_number(out["monthly_fee"])
        if coin < 50:
            out.pop("sip_name", None)
        if "channels" in out:
            channels = out["channels"]
            out["channels"] = str(channels) if isinstance(channels, int) else _as_json_number(channels)
        if "minutes" in out:
            out["minutes"] = None
        if coin % 2:
            for flag in ("autorenew", "is_on_test"):
                if flag in out:
                    out[flag] = _as_json_bool(out[flag])
        return out

    def _numbers(self, out: Json) -> Json:
        out["info"] = [self._number_record("direct_numbers", r) for r in out["info"]]
        return out

    def _number(self, out: Json) -> Json:
        out["info"] = self._number_record("direct_numbers.number", out["info"])
        if out["info"].get("receive_sms") is None:
            out["info"].pop("receive_sms", None)
        return out

    def _countries(self, out: Json) -> Json:
        out["info"] = [
            {
                **self._item("countries", c, c["countryCodeIso"]),
                "countryCode": _as_json_number(c["countryCode"]),
            }
            for c in out["info"]
        ]
        return out

    def _directions(self, out: Json) -> Json:
        varied = []
        for d in out["info"]:
            item = self._item("country", d, d["id"])
            item["id"] = _as_json_number(d["id"])
            item["countryCode"] = _as_json_number(d["countryCode"])
            item["connect_fee"] = _as_text_number(d["connect_fee"])
            item["monthly_fee"] = _as_text_number(d["monthly_fee"])
            item["connect_time"] = _as_json_number(d["connect_time"])
            restrictions = d.get("restrictions") or {}
            if not restrictions.get("upload") and not restrictions.get("specify"):
                item["restrictions"] = []
            if not d.get("feature"):
                item["feature"] = None
            if _coin("country", d["id"]) < 50:
                item["receive_sms"] = _as_json_bool(d["receive_sms"])
                item["is_toll"] = _as_json_bool(d["is_toll"])
            varied.append(item)
        out["info"] = varied
        return out

    def _available(self, out: Json) -> Json:
        numbers = [
            {**self._item("available", n, n["id"]), "direction_id": str(n["direction_id"])}
            for n in out["numbers"]
        ]
        self._rng.shuffle(numbers)
        out["numbers"] = numbers[:AVAILABLE_CAP]
        return out

    def _wrongs(self, out: Json) -> Json:
        if not out["info"]:
            out["info"] = []
        return out

    def _prolong(self, out: Json) -> Json:
        paid = dict(out["total_paid"])
        paid["amount"] = _as_text_number(paid["amount"])
        out["total_paid"] = paid
        return out

    def _order(self, out: Json) -> Json:
        out["is_reserved"] = _as_json_bool(out["is_reserved"])
        return out

    def _group(self, group: Json) -> Json:
        out = self._item("group", group, group["id"])
        out["id"] = str(group["id"])
        for key, value in group.items():
            if value == "":
                out[key] = None
        out["is_readonly"] = 0 if group.get("is_readonly") in (False, "false") else 1
        return out

    def _groups(self, out: Json) -> Json:
        out["groups"] = [self._group(g) for g in out["groups"]]
        return out

    def _group_reply(self, out: Json) -> Json:
        out["group"] = self._group(out["group"])
        return out

    def _files(self, out: Json) -> Json:
        out["documents"] = [
            {**self._item("files", f, f["name"]), "is_verified": _as_json_bool(f["is_verified"])}
            for f in out["documents"]
        ]
        return out

    def _flags(self, out: Json) -> Json:
        return {key: _as_json_bool(value) for key, value in out.items()}
