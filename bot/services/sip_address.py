"""SIP forwarding targets: parsing a SIP URI and refusing hosts the internet cannot reach.

A target is ``[sip:|sips:]user@host[:port][;param[=value]]...`` (RFC 3261,
without headers). The host is a domain name of at least two labels, an IPv4
address or an IPv6 address in brackets. Zadarma connects to it from the
internet, so loopback, private, link-local and other non-global addresses,
``localhost`` and single-label or local-only names are refused.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from bot.services.errors import InvalidInput

_SCHEME = re.compile(r"^(sips?):", re.IGNORECASE)
# RFC 3261 user part: unreserved, escaped (%XX) and user-unreserved characters.
_USER = re.compile(r"^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2}){1,64}$")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?$")
_TOKEN = re.compile(r"^[A-Za-z0-9\-_.!~*'%]{1,32}$")
_PARAM_VALUE = re.compile(r"^[A-Za-z0-9\-_.!~*'%\[\]/:&+$]{1,64}$")
_TRANSPORTS = frozenset({"udp", "tcp", "tls", "sctp", "ws", "wss"})
# Names that only resolve inside one machine or one local network (RFC 6761, RFC 6762, RFC 8375).
_LOCAL_SUFFIXES = (
    "localhost",
    "local",
    "localdomain",
    "internal",
    "intranet",
    "lan",
    "home",
    "corp",
    "home.arpa",
    "invalid",
    "test",
)


@dataclass(frozen=True)
class SipAddress:
    """A checked SIP URI; ``host`` is lower case (IDNA-encoded), IPv6 in brackets."""

    secure: bool
    user: str
    host: str
    port: int | None
    params: tuple[str, ...]

    @property
    def target(self) -> str:
        """What Zadarma is given: ``user@host[:port]``; the full URI when ``sips:`` or parameters need it."""
        plain = f"{self.user}@{self.host}" + (f":{self.port}" if self.port is not None else "")
        if not self.secure and not self.params:
            return plain
        return ("sips:" if self.secure else "sip:") + plain + "".join(f";{p}" for p in self.params)


def _invalid() -> InvalidInput:
    return InvalidInput("invalid.sip_uri")


def _host(raw: str) -> str:
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise _invalid()
        try:
            address = ipaddress.IPv6Address(raw[1:-1])
        except ValueError:
            raise _invalid() from None
        if not address.is_global:
            raise InvalidInput("invalid.sip_host_local", host=raw)
        return f"[{address.compressed}]"
    if re.fullmatch(r"[0-9.]+", raw):
        try:
            address4 = ipaddress.IPv4Address(raw)
        except ValueError:
            raise _invalid() from None
        if not address4.is_global:
            raise InvalidInput("invalid.sip_host_local", host=raw)
        return str(address4)
    try:
        host = raw.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _invalid() from None
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _invalid()
    if len(labels) < 2 or any(host == s or host.endswith("." + s) for s in _LOCAL_SUFFIXES):
        raise InvalidInput("invalid.sip_host_local", host=raw)
    if labels[-1].isdigit():
        raise _invalid()
    return host


def _params(raw: list[str]) -> tuple[str, ...]:
    params: list[str] = []
    for item in raw:
        name, has_value, value = item.partition("=")
        if not _TOKEN.match(name) or (has_value and not _PARAM_VALUE.match(value)):
            raise _invalid()
        name = name.lower()
        if name == "transport" and value.lower() not in _TRANSPORTS:
            raise _invalid()
        if name == "maddr":
            _host(value)  # a parameter that redirects the call must point at a public host too
        params.append(f"{name}={value}" if has_value else name)
    return tuple(params)


def parse_sip_address(value: str) -> SipAddress:
    """Parse ``[sip:|sips:]user@host[:port][;params]``; raise :class:`InvalidInput` when it is not one.

    ``invalid.sip_uri`` for a malformed URI, ``invalid.sip_host_local`` (with
    ``host``) for a host that cannot be reached from the internet.
    """
    text = value.strip()
    secure = False
    scheme = _SCHEME.match(text)
    if scheme:
        secure = scheme.group(1).lower() == "sips"
        text = text[scheme.end() :]
    if "?" in text.rpartition("@")[2] or any(c.isspace() for c in text):
        raise _invalid()
    user, at, rest = text.rpartition("@")
    if not at or not _USER.match(user):
        raise _invalid()
    hostport, *raw_params = rest.split(";")
    port: int | None = None
    host_raw = hostport
    if hostport.startswith("["):
        host_raw, _, after = hostport.partition("]")
        host_raw += "]"
        if after:
            if not after.startswith(":"):
                raise _invalid()
            port_text = after[1:]
        else:
            port_text = ""
    else:
        host_raw, colon, port_text = hostport.partition(":")
        if colon and not port_text:
            raise _invalid()
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _invalid()
        port = int(port_text)
    if not host_raw:
        raise _invalid()
    return SipAddress(secure, user, _host(host_raw), port, _params(raw_params))
