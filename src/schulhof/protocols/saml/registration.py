"""Registering an SP from its metadata: what `schulhof clients add saml` stores.

The registration's id is the SP's entityID; its config keeps the metadata XML as given
(the SP's certificates, endpoints and wishes are read from it at each request), the
attributes it is given (friendly names, attributes.ATTRIBUTES) and `pairwise`: SAML
persistent NameIDs are always pairwise. Its `release` is derived from the attributes, so
`services.release` withholds everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schulhof.access.actors import Actor
from schulhof.domain.errors import ValidationError
from schulhof.protocols.saml import attributes
from schulhof.protocols.saml.metadata import MetadataError, SPMetadata, parse
from schulhof.services import clients
from schulhof.services.clients import ServiceClient
from schulhof.services.runtime import Services


@dataclass(frozen=True, slots=True)
class Registered:
    client: ServiceClient
    sp: SPMetadata
    attributes: tuple[str, ...]


def read_metadata(xml: str, source: str) -> SPMetadata:
    """The SP's metadata, or ValidationError naming `source` and what is wrong."""
    try:
        return parse(xml)
    except MetadataError as exc:
        raise ValidationError(f"{source}: {exc}", field="metadata") from exc


def choose_attributes(requested: Sequence[str] | None, sp: SPMetadata) -> tuple[str, ...]:
    """`requested` (names or urn:oid names), else what the metadata asks for that Schulhof
    has (RequestedAttribute), else none: least by default."""
    if requested is None:
        return sp.requested_attributes
    try:
        return attributes.canonical(n for n in requested if n.strip())
    except KeyError as exc:
        known = ", ".join(a.friendly for a in attributes.ATTRIBUTES)
        raise ValidationError(
            f"unknown attribute {exc.args[0]!r}; known: {known}", field="attributes"
        ) from exc


def register(
    svc: Services,
    actor: Actor,
    xml: str,
    *,
    source: str,
    name: str | None = None,
    attribute_names: Sequence[str] | None = None,
    schools: tuple[str, ...] = (),
) -> Registered:
    sp = read_metadata(xml, source)
    chosen = choose_attributes(attribute_names, sp)
    client, _ = clients.add(
        svc,
        actor,
        protocol="saml",
        name=name or sp.entity_id,
        config={"metadata": xml, "attributes": list(chosen), "pairwise": True},
        schools=schools,
        release=attributes.release_fields(chosen),
        client_id=sp.entity_id,
    )
    return Registered(client, sp, chosen)
