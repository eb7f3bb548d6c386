"""Decoding requests into plain dataclasses: pyasn1 with ldap3's RFC 4511 definitions, and
a fast path for the hot requests.

pyasn1 was more than half of the server's CPU time under a bind + search load (two
decodes per round trip), so bind, search, unbind and abandon requests are read by the
small definite-length TLV reader below; every other request, and anything the fast path
does not accept, goes through pyasn1 and ldap3's definitions. The tests decode the same
messages both ways and require equal results.

ldap3's recursive `Filter` type decodes wrongly with current pyasn1 (its `and`/`or`/`not`
parts are patched onto the classes after instances were made), so on the pyasn1 path the
search request's filter is taken as an open type (`Any`) and read by the TLV reader too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ldap3.protocol import rfc4511
from ldap3.protocol.rfc2696 import RealSearchControlValue
from pyasn1.codec.ber import decoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ
from pyasn1.type.namedtype import NamedType, NamedTypes

from schulhof.protocols.ldap import filters as flt
from schulhof.protocols.ldap.ber import PAGED_RESULTS_OID
from schulhof.protocols.ldap.schema import lookup

MAX_MESSAGE = 4 * 1024 * 1024  # a request larger than this is not an LDAP client's


class DecodeError(ValueError):
    """The bytes are not a well-formed request (RFC 4511 §4.1.1: protocolError)."""


def _replace(types: NamedTypes, name: str, new: object) -> NamedTypes:
    return NamedTypes(*[NamedType(t.name, new) if t.name == name else t for t in types.namedTypes])


_SEARCH = rfc4511.SearchRequest(
    componentType=_replace(rfc4511.SearchRequest.componentType, "filter", univ.Any())
)
_OP = rfc4511.ProtocolOp(
    componentType=_replace(rfc4511.ProtocolOp.componentType, "searchRequest", _SEARCH)
)
_MESSAGE = rfc4511.LDAPMessage(
    componentType=_replace(rfc4511.LDAPMessage.componentType, "protocolOp", _OP)
)


@dataclass(frozen=True, slots=True)
class Control:
    oid: str
    critical: bool
    value: bytes | None


@dataclass(frozen=True, slots=True)
class BindRequest:
    version: int
    name: str
    password: bytes | None  # None: a SASL bind
    sasl_mechanism: str | None = None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    base: str
    scope: int  # 0 base, 1 one level, 2 subtree
    size_limit: int
    time_limit: int
    types_only: bool
    filter: flt.Filter
    attributes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompareRequest:
    dn: str
    attribute: str
    value: str


@dataclass(frozen=True, slots=True)
class ExtendedRequest:
    oid: str
    value: bytes | None


@dataclass(frozen=True, slots=True)
class AbandonRequest:
    message_id: int


@dataclass(frozen=True, slots=True)
class UnbindRequest:
    pass


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """Add, modify, delete, modify DN: answered with `response_tag` and unwillingToPerform."""

    response_tag: int


@dataclass(frozen=True, slots=True)
class UnknownRequest:
    name: str


Request = (
    BindRequest | SearchRequest | CompareRequest | ExtendedRequest | AbandonRequest
    | UnbindRequest | WriteRequest | UnknownRequest
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Message:
    message_id: int
    request: Request
    controls: tuple[Control, ...] = field(default=())

    def control(self, oid: str) -> Control | None:
        return next((c for c in self.controls if c.oid == oid), None)


_WRITE_RESPONSES = {
    "modifyRequest": 0x67,
    "addRequest": 0x69,
    "delRequest": 0x6B,
    "modDNRequest": 0x6D,
}


def frame_length(head: bytes) -> tuple[int, int] | None:
    """(header length, content length) of the message starting `head`, or None if more
    bytes are needed. Raises DecodeError for what is not an LDAPMessage."""
    if not head:
        return None
    if head[0] != 0x30:
        raise DecodeError("not an LDAPMessage")
    if len(head) < 2:
        return None
    first = head[1]
    if first < 0x80:
        return 2, first
    n = first & 0x7F
    if n == 0 or n > 4:
        raise DecodeError("unsupported length")
    if len(head) < 2 + n:
        return None
    size = int.from_bytes(head[2 : 2 + n], "big")
    if size > MAX_MESSAGE:
        raise DecodeError("message too large")
    return 2 + n, size


def _text(value: Any) -> str:
    return bytes(value).decode("utf-8", errors="replace")


def decode(data: bytes) -> Message:
    try:
        fast = decode_fast(data)
    except DecodeError:
        fast = None  # let pyasn1 have its say
    return fast if fast is not None else decode_asn1(data)


def decode_asn1(data: bytes) -> Message:
    try:
        msg, _ = decoder.decode(data, asn1Spec=_MESSAGE)
        message_id = int(msg["messageID"])
        op = msg["protocolOp"]
        name = op.getName()
        body = op.getComponent()
        controls: list[Control] = []
        if msg["controls"].isValue:
            for c in msg["controls"]:
                value = c["controlValue"]
                controls.append(
                    Control(
                        str(c["controlType"]),
                        bool(c["criticality"]) if c["criticality"].isValue else False,
                        bytes(value) if value.isValue else None,
                    )
                )
        return Message(message_id, _request(name, body), tuple(controls))
    except PyAsn1Error as exc:
        raise DecodeError(str(exc)) from exc


def _request(name: str, b: Any) -> Request:
    if name == "bindRequest":
        auth = b["authentication"]
        kind = auth.getName()
        if kind == "simple":
            return BindRequest(int(b["version"]), _text(b["name"]), bytes(auth.getComponent()))
        sasl = auth.getComponent()
        mech = str(sasl["mechanism"]) if kind == "sasl" else kind
        return BindRequest(int(b["version"]), _text(b["name"]), None, mech)
    if name == "searchRequest":
        return SearchRequest(
            base=_text(b["baseObject"]),
            scope=int(b["scope"]),
            size_limit=int(b["sizeLimit"]),
            time_limit=int(b["timeLimit"]),
            types_only=bool(b["typesOnly"]),
            filter=parse_filter(bytes(b["filter"])),
            attributes=tuple(_text(a) for a in b["attributes"]),
        )
    if name == "compareRequest":
        ava = b["ava"]
        return CompareRequest(
            _text(b["entry"]),
            _text(ava["attributeDesc"]),
            _text(ava["assertionValue"]),
        )
    if name == "extendedReq":
        value = b["requestValue"]
        return ExtendedRequest(
            _text(b["requestName"]),
            bytes(value) if value.isValue else None,
        )
    if name == "abandonRequest":
        return AbandonRequest(int(b))
    if name == "unbindRequest":
        return UnbindRequest()
    if name in _WRITE_RESPONSES:
        return WriteRequest(_WRITE_RESPONSES[name])
    return UnknownRequest(name)


# ---- the filter: a definite-length TLV walk (RFC 4511 §4.5.1, X.690 §8.1) -------------------


def _tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """(tag, content, next position) of the TLV at `pos`."""
    if pos + 2 > len(data):
        raise DecodeError("truncated filter")
    tag = data[pos]
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        size = first
    else:
        n = first & 0x7F
        if n == 0 or n > 4 or pos + n > len(data):
            raise DecodeError("bad length in filter")
        size = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    end = pos + size
    if end > len(data):
        raise DecodeError("truncated filter")
    return tag, data[pos:end], end


def _items(data: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(data):
        tag, content, pos = _tlv(data, pos)
        out.append((tag, content))
    return out


def _ava(content: bytes) -> tuple[str, str]:
    parts = _items(content)
    if len(parts) != 2:
        raise DecodeError("bad attribute value assertion")
    return parts[0][1].decode(errors="replace"), parts[1][1].decode(errors="replace")


_COMPARE_TAGS = {0xA3: "=", 0xA5: ">=", 0xA6: "<=", 0xA8: "~="}


def parse_filter(data: bytes, depth: int = 0) -> flt.Filter:
    if depth > 50:
        raise DecodeError("filter nested too deeply")
    tag, content, _ = _tlv(data, 0)
    return _filter(tag, content, depth)


def _filter(tag: int, content: bytes, depth: int) -> flt.Filter:
    if tag in (0xA0, 0xA1):
        subs = tuple(_filter(t, c, depth + 1) for t, c in _items(content))
        return flt.And(subs) if tag == 0xA0 else flt.Or(subs)
    if tag == 0xA2:
        inner = _items(content)
        if len(inner) != 1:
            raise DecodeError("not takes one filter")
        return flt.Not(_filter(inner[0][0], inner[0][1], depth + 1))
    if tag in _COMPARE_TAGS:
        attr, value = _ava(content)
        return flt.Compare(_COMPARE_TAGS[tag], lookup(attr), value)
    if tag == 0x87:
        name = content.decode(errors="replace")
        return flt.Present(lookup(name), name)
    if tag == 0xA4:
        parts = _items(content)
        if len(parts) != 2:
            raise DecodeError("bad substring filter")
        attr = parts[0][1].decode(errors="replace")
        initial, final, middle = None, None, []
        for t, c in _items(parts[1][1]):
            text = c.decode(errors="replace")
            if t == 0x80:
                initial = text
            elif t == 0x81:
                middle.append(text)
            elif t == 0x82:
                final = text
        return flt.Substrings(lookup(attr), initial, tuple(middle), final)
    if tag == 0xA9:
        parts_by_tag = {t: c for t, c in _items(content)}
        rule = parts_by_tag.get(0x81)
        kind = parts_by_tag.get(0x82)
        return flt.Extensible(
            rule.decode(errors="replace") if rule is not None else None,
            lookup(kind.decode(errors="replace")) if kind is not None else None,
            parts_by_tag.get(0x83, b"").decode(errors="replace"),
            parts_by_tag.get(0x84, b"\x00") != b"\x00",
        )
    raise DecodeError(f"unknown filter choice 0x{tag:02x}")


def _int(content: bytes) -> int:
    if not content or len(content) > 8:
        raise DecodeError("bad integer")
    return int.from_bytes(content, "big", signed=True)


def _controls(content: bytes) -> tuple[Control, ...]:
    out = []
    for tag, body in _items(content):
        if tag != 0x30:
            raise DecodeError("bad control")
        parts = _items(body)
        if not parts or parts[0][0] != 0x04:
            raise DecodeError("bad control type")
        critical, value = False, None
        for t, c in parts[1:]:
            if t == 0x01:
                critical = c != b"\x00"
            elif t == 0x04:
                value = c
        out.append(Control(parts[0][1].decode(errors="replace"), critical, value))
    return tuple(out)


def decode_fast(data: bytes) -> Message | None:
    """Bind, search, unbind and abandon requests without pyasn1; None for other requests."""
    tag, body, _ = _tlv(data, 0)
    if tag != 0x30:
        raise DecodeError("not an LDAPMessage")
    items = _items(body)
    if len(items) < 2 or items[0][0] != 0x02:
        raise DecodeError("no message id")
    message_id = _int(items[0][1])
    op_tag, op = items[1]
    controls = _controls(items[2][1]) if len(items) > 2 and items[2][0] == 0xA0 else ()
    request: Request
    if op_tag == 0x42:
        request = UnbindRequest()
    elif op_tag == 0x50:
        request = AbandonRequest(_int(op))
    elif op_tag == 0x60:
        parts = _items(op)
        if len(parts) != 3 or parts[0][0] != 0x02 or parts[1][0] != 0x04:
            raise DecodeError("bad bind request")
        version, name = _int(parts[0][1]), parts[1][1].decode(errors="replace")
        auth_tag, auth = parts[2]
        if auth_tag == 0x80:
            request = BindRequest(version, name, auth)
        elif auth_tag == 0xA3:
            mech = _items(auth)
            request = BindRequest(version, name, None, mech[0][1].decode(errors="replace"))
        else:
            return None
    elif op_tag == 0x63:
        parts = _items(op)
        shape = (0x04, 0x0A, 0x0A, 0x02, 0x02, 0x01)
        if len(parts) != 8 or tuple(t for t, _ in parts[:6]) != shape or parts[7][0] != 0x30:
            raise DecodeError("bad search request")
        f_tag, f_body = parts[6]
        request = SearchRequest(
            base=parts[0][1].decode(errors="replace"),
            scope=_int(parts[1][1]),
            size_limit=_int(parts[3][1]),
            time_limit=_int(parts[4][1]),
            types_only=parts[5][1] != b"\x00",
            filter=_filter(f_tag, f_body, 0),
            attributes=tuple(c.decode(errors="replace") for _, c in _items(parts[7][1])),
        )
    else:
        return None
    return Message(message_id, request, controls)


def paged_request(control: Control) -> tuple[int, bytes]:
    """(page size, cookie) of a Paged Results request control (RFC 2696 §2)."""
    try:
        value, _ = decoder.decode(control.value or b"", asn1Spec=RealSearchControlValue())
        return int(value["size"]), bytes(value["cookie"])
    except PyAsn1Error as exc:
        raise DecodeError(str(exc)) from exc


__all__ = ["PAGED_RESULTS_OID", "DecodeError", "Message", "decode", "frame_length"]
