"""Reading the Host header strictly: `name[:port]`, `IPv4[:port]` or `[IPv6][:port]`.

Splitting at the last colon, as the allowlist once did, read `127.0.0.1:8100@evil.example.com`
and `127.0.0.1:evil.example.com` as `127.0.0.1`: a link built from such a Host points
elsewhere. Anything outside the grammar of RFC 9110's Host (with DNS-style names) is
malformed and refused.
"""

import functools
import ipaddress
import re

# Labels of letters, digits, `-` and `_` (container names have them), optional final dot.
_HOST = re.compile(
    r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9_][A-Za-z0-9_-]{0,62}"
    r"(?:\.[A-Za-z0-9_][A-Za-z0-9_-]{0,62})*\.?))(?::(?P<port>[0-9]{1,5}))?"
)
_MAX_NAME = 253


@functools.lru_cache(maxsize=512)
def parse_host(header: str) -> str | None:
    """The host name of a Host header, lower-cased, without port or brackets; None when the
    header is malformed (bad characters, a port that is not a number in 0-65535, ...)."""
    match = _HOST.fullmatch(header)
    if match is None:
        return None
    port = match["port"]
    if port is not None and int(port) > 65535:
        return None
    if match["ipv6"] is not None:
        try:
            return str(ipaddress.IPv6Address(match["ipv6"]))
        except ValueError:
            return None
    name: str = match["name"].rstrip(".").lower()
    return name if len(name) <= _MAX_NAME else None
