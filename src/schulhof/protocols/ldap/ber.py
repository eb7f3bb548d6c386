"""A lean BER encoder for the responses we send (RFC 4511 §5.1, X.690 definite lengths).

Requests are decoded with pyasn1 (`codec.py`); responses are built here by hand because
encoding a search result through pyasn1 cost ~20× slapd's time. Every function returns
the complete TLV as bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# Universal and LDAP application tags (RFC 4511 §4.2 ff.).
BOOLEAN = 0x01
INTEGER = 0x02
OCTET_STRING = 0x04
ENUMERATED = 0x0A
SEQUENCE = 0x30
SET = 0x31
BIND_RESPONSE = 0x61
SEARCH_RESULT_ENTRY = 0x64
SEARCH_RESULT_DONE = 0x65
MODIFY_RESPONSE = 0x67
ADD_RESPONSE = 0x69
DEL_RESPONSE = 0x6B
MODIFY_DN_RESPONSE = 0x6D
COMPARE_RESPONSE = 0x6F
EXTENDED_RESPONSE = 0x78
CONTROLS = 0xA0  # [0] in LDAPMessage
RESPONSE_NAME = 0x8A  # [10] in ExtendedResponse
RESPONSE_VALUE = 0x8B  # [11]

PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"  # RFC 2696


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + length(len(content)) + content


def integer(value: int, tag: int = INTEGER) -> bytes:
    size = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return tlv(tag, value.to_bytes(size, "big", signed=True))


def octets(value: str | bytes, tag: int = OCTET_STRING) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return tlv(tag, raw)


def boolean(value: bool) -> bytes:
    return tlv(BOOLEAN, b"\xff" if value else b"\x00")


def sequence(parts: Iterable[bytes], tag: int = SEQUENCE) -> bytes:
    return tlv(tag, b"".join(parts))


def attribute(name: str, values: Sequence[str]) -> bytes:
    """A PartialAttribute: the type and the SET OF its values (empty for typesOnly)."""
    return sequence((octets(name), sequence((octets(v) for v in values), SET)))


def message(message_id: int, op: bytes, controls: bytes = b"") -> bytes:
    return sequence((integer(message_id), op, controls))


def search_entry(dn: str, encoded_attributes: Iterable[bytes]) -> bytes:
    """SearchResultEntry (§4.5.2) from PartialAttributes made by `attribute`."""
    return sequence((octets(dn), sequence(encoded_attributes)), SEARCH_RESULT_ENTRY)


def result(
    tag: int, code: int, diagnostic: str = "", matched_dn: str = "", extra: bytes = b""
) -> bytes:
    """An LDAPResult-shaped response (§4.1.9): BindResponse, SearchResultDone, …"""
    return tlv(
        tag,
        integer(code, ENUMERATED) + octets(matched_dn) + octets(diagnostic) + extra,
    )


def extended_response(
    code: int,
    *,
    name: str | None = None,
    value: bytes | None = None,
    diagnostic: str = "",
) -> bytes:
    extra = b""
    if name is not None:
        extra += octets(name, RESPONSE_NAME)
    if value is not None:
        extra += octets(value, RESPONSE_VALUE)
    return result(EXTENDED_RESPONSE, code, diagnostic, extra=extra)


def control(oid: str, value: bytes | None = None, *, critical: bool = False) -> bytes:
    parts = [octets(oid)]
    if critical:
        parts.append(boolean(True))
    if value is not None:
        parts.append(octets(value))
    return sequence(parts)


def controls(items: Sequence[bytes]) -> bytes:
    return sequence(items, CONTROLS) if items else b""


def paged_results(size: int, cookie: bytes) -> bytes:
    """The Paged Results response control (RFC 2696 §2): estimated size and next cookie."""
    return control(PAGED_RESULTS_OID, sequence((integer(size), octets(cookie))))
