"""Requests as ldap3 encodes them, decoded by ours; our BER read back by pyasn1."""

from __future__ import annotations

import pytest
from ldap3 import SUBTREE
from ldap3.operation.search import search_operation
from ldap3.protocol.rfc4511 import LDAPMessage, MessageID, ProtocolOp, SearchResultEntry
from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ

from schulhof.protocols.ldap import ber, codec
from schulhof.protocols.ldap import filters as flt
from schulhof.protocols.ldap.schema import lookup


def _search_bytes(filter_text: str) -> bytes:
    req = search_operation("dc=x", filter_text, SUBTREE, 0, ["cn", "+"], 10, 5, True, None, None)
    msg = LDAPMessage()
    msg["messageID"] = MessageID(7)
    op = ProtocolOp()
    op["searchRequest"] = req
    msg["protocolOp"] = op
    return bytes(encoder.encode(msg))


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
