"""Requests as ldap3 encodes them, decoded by ours; our BER read back by pyasn1."""

from __future__ import annotations

from typing import Any

import pytest
from ldap3 import ANONYMOUS, SASL, SIMPLE, SUBTREE
from ldap3.operation.abandon import abandon_operation
from ldap3.operation.bind import bind_operation
from ldap3.operation.search import search_operation
from ldap3.operation.unbind import unbind_operation
from ldap3.protocol.rfc2696 import paged_search_control
from ldap3.protocol.rfc4511 import LDAPMessage, MessageID, ProtocolOp, SearchResultEntry
from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ

from schulhof.protocols.ldap import ber, codec
from schulhof.protocols.ldap import filters as flt
from schulhof.protocols.ldap.schema import lookup


def _message(kind: str, body: Any, message_id: int = 7, controls: Any = None) -> bytes:
    msg = LDAPMessage()
    msg["messageID"] = MessageID(message_id)
    op = ProtocolOp()
    op[kind] = body
    msg["protocolOp"] = op
    if controls is not None:
        ctrls = msg["controls"]
        for i, c in enumerate(controls):
            ctrls.setComponentByPosition(i, c)
    return bytes(encoder.encode(msg))


def _search_bytes(filter_text: str, controls: Any = None) -> bytes:
    req = search_operation("dc=x", filter_text, SUBTREE, 0, ["cn", "+"], 10, 5, True, None, None)
    return _message("searchRequest", req, controls=controls)


CORPUS = [
    _message("bindRequest", bind_operation(3, SIMPLE, "uid=ä,ou=people,dc=x", "pässword")),
    _message("bindRequest", bind_operation(3, ANONYMOUS, "", "")),
    _message("bindRequest", bind_operation(3, SASL, "", None, "EXTERNAL", None)),
    _message("unbindRequest", unbind_operation()),
    _message("abandonRequest", abandon_operation(300)),
    _search_bytes("(objectClass=*)"),
    _search_bytes("(&(uid=a*)(!(|(cn=b)(sn~=c))))"),
    _search_bytes("(cn=x)", controls=[paged_search_control(True, 500, b"\x01\x02")]),
    _search_bytes("(cn=x)", controls=[paged_search_control(False, 0, None)]),
]


@pytest.mark.parametrize("data", CORPUS)
def test_the_fast_path_decodes_as_pyasn1_does(data: bytes) -> None:
    fast = codec.decode_fast(data)
    assert fast is not None
    assert fast == codec.decode_asn1(data)
    assert codec.decode(data) == fast


def test_other_requests_go_through_pyasn1() -> None:
    data = _message("delRequest", "uid=a,dc=x")
    assert codec.decode_fast(data) is None
    assert codec.decode(data).request == codec.WriteRequest(0x6B)


def test_a_search_request_decodes_with_every_filter_type() -> None:
    text = (
        "(&(uid=a*b*c)(!(cn=x))(|(uidNumber>=5)(uidNumber<=9)(mail=*))"
        "(sn~=y)(cn:caseExactMatch:=Z))"
    )
    data = _search_bytes(text)
    assert codec.frame_length(data[:6]) is not None
    msg = codec.decode(data)
    assert msg.message_id == 7
    req = msg.request
    assert isinstance(req, codec.SearchRequest)
    assert (req.base, req.scope, req.size_limit, req.time_limit, req.types_only) == (
        "dc=x", 2, 10, 5, True,
    )  # fmt: skip
    assert req.attributes == ("cn", "+")
    uid, cn, sn, uidn, mail = (lookup(n) for n in ("uid", "cn", "sn", "uidNumber", "mail"))
    assert req.filter == flt.And(
        (
            flt.Substrings(uid, "a", ("b",), "c"),
            flt.Not(flt.Compare("=", cn, "x")),
            flt.Or(
                (
                    flt.Compare(">=", uidn, "5"),
                    flt.Compare("<=", uidn, "9"),
                    flt.Present(mail, "mail"),
                )
            ),
            flt.Compare("~=", sn, "y"),
            flt.Extensible("caseExactMatch", cn, "Z", False),
        )
    )


def test_garbage_is_a_decode_error() -> None:
    with pytest.raises(codec.DecodeError):
        codec.frame_length(b"\x04\x01")
    with pytest.raises(codec.DecodeError):
        codec.decode(b"\x30\x03\x02\x01")


@pytest.mark.parametrize("value", [0, 1, 127, 128, 255, 256, 65535, 2**31 - 1, -1, -129])
def test_integers_and_lengths_read_back(value: int) -> None:
    decoded, rest = decoder.decode(ber.integer(value), asn1Spec=univ.Integer())
    assert int(decoded) == value
    assert rest == b""
    big = ber.octets("x" * 70000)
    text, _ = decoder.decode(big, asn1Spec=univ.OctetString())
    assert len(bytes(text)) == 70000


def test_a_search_entry_reads_back_with_ldap3_s_definitions() -> None:
    wire = ber.search_entry("uid=a,dc=x", [ber.attribute("cn", ["Ä b", "c"])])
    decoded, _ = decoder.decode(wire, asn1Spec=SearchResultEntry())
    assert str(decoded["object"]) == "uid=a,dc=x"
    attr = decoded["attributes"][0]
    assert str(attr["type"]) == "cn"
    assert [bytes(v).decode() for v in attr["vals"]] == ["Ä b", "c"]
