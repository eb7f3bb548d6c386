"""The asyncio LDAP listener: one `Session` per connection, requests in, BER out.

Operations (RFC 4511): bind (simple), search, compare, extended (StartTLS §4.14, Who-am-I
RFC 4532), abandon, unbind; add/modify/delete/modDN answer unwillingToPerform — the
directory is changed through the API and imports only. Searches run as tasks so that an
abandon can stop them; binds and extended operations wait for running searches first
(§4.2.1: no operation may be outstanding across a bind).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import ssl
import time
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from schulhof.access.actors import Actor, ActorKind
from schulhof.access.rules import SERVICE_DEFAULT_ATTRIBUTES
from schulhof.protocols.ldap import ber, codec, directory
from schulhof.protocols.ldap import dn as dns
from schulhof.protocols.ldap import filters as flt
from schulhof.protocols.ldap.entries import (
    SUBSCHEMA_DN,
    Entry,
    EntryKind,
    is_active,
    person_dn,
)
from schulhof.protocols.ldap.reader import Reader
from schulhof.protocols.ldap.results import (
    ALL_OPERATIONAL_FEATURE,
    NOTICE_OF_DISCONNECTION_OID,
    START_TLS_OID,
    WHO_AM_I_OID,
    ResultCode,
)
from schulhof.protocols.ldap.schema import BY_NAME, AttributeType, lookup, subschema_values
from schulhof.services import ldap_accounts, nt_hashes
from schulhof.services.ldap_accounts import BindRefused
from schulhof.services.runtime import Services

log = logging.getLogger(__name__)
FLUSH_EVERY = 256  # entries between two waits for the socket to drain
PAGE_STATES = 16  # open paged searches per connection
DEFAULT_BASE = "dc=schulhof,dc=local"
# Diagnostic messages of refused binds. "invalid" says nothing: wrong password, unknown
# name, disabled account and no password look the same.
_REFUSALS = {
    "invalid": "",
    "throttled": "too many failed sign-ins; try again in {0.retry_after} s",
    "must_change": "password must be changed at the sign-in page",
}


@dataclass(slots=True)
class LdapConfig:
    base: str = DEFAULT_BASE
    anonymous: bool = False  # anonymous searches read like a city-wide default service
    tls: ssl.SSLContext | None = None  # for StartTLS and LDAPS
    follow_interval: float = 0.5
    vendor_version: str = "schulhof"


@dataclass(slots=True)
class _Paging:
    key: tuple[str, int, str, tuple[str, ...]]  # base, scope, filter, attributes
    rest: list[Entry]


@dataclass(slots=True)
class _Failures:
    count: int = 0
    since: float = field(default_factory=time.monotonic)


class LdapServer:
    def __init__(self, svc: Services, config: LdapConfig) -> None:
        self.svc = svc
        self.config = config
        self.directory = directory.Directory(config.base)
        self._servers: list[asyncio.Server] = []
        self._follower: asyncio.Task[None] | None = None
        self._failures: dict[str, _Failures] = {}
        self._sessions: set[asyncio.Task[None]] = set()
        self.root_dse = self._root_dse()
        self.subschema = self._subschema()

    @property
    def base(self) -> str:
        return self.directory.base

    async def start(
        self, host: str | Sequence[str], port: int | None, ldaps_port: int | None = None
    ) -> list[tuple[str, int]]:
        """Load the directory, follow the change log, listen on `host` (one or several
        addresses); returns one bound address per listener."""
        self.directory = await asyncio.to_thread(directory.build, self.svc, self.config.base)
        self._follower = asyncio.create_task(
            directory.follow(self.svc, self.directory, self.config.follow_interval)
        )
        if port is not None:
            self._servers.append(await asyncio.start_server(self._session, host, port))
        if ldaps_port is not None:
            if self.config.tls is None:
                raise ValueError("LDAPS needs a certificate and key")
            self._servers.append(
                await asyncio.start_server(self._session, host, ldaps_port, ssl=self.config.tls)
            )
        return [s.sockets[0].getsockname()[:2] for s in self._servers]

    async def close(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        for s in self._servers:
            s.close()
        for task in list(self._sessions):
            task.cancel()
        if self._sessions:
            await asyncio.gather(*self._sessions, return_exceptions=True)
        for s in self._servers:
            await s.wait_closed()
        self._servers.clear()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(self, reader, writer)
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        closing = False
        try:
            await session.run()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client went away
        except asyncio.CancelledError:
            closing = True  # the server is closing
        except Exception:
            log.exception("ldap: session failed")
        finally:
            if task is not None:
                self._sessions.discard(task)
            session.stop()
            if closing:
                # No TLS goodbye: a client that keeps its connection open would hold the
                # shutdown for asyncio's ssl_shutdown_timeout (30 s).
                writer.transport.abort()
            else:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()

    # ---- the two entries outside the tree --------------------------------------------------

    def _root_dse(self) -> Entry:
        attrs = {
            "objectclass": ["top"],
            "namingcontexts": [self.config.base],
            "supportedldapversion": ["3"],
            "supportedcontrol": [ber.PAGED_RESULTS_OID],
            "supportedextension": [START_TLS_OID, WHO_AM_I_OID],
            "supportedfeatures": [ALL_OPERATIONAL_FEATURE],
            "subschemasubentry": [SUBSCHEMA_DN],
            "vendorname": ["Schulhof"],
            "vendorversion": [self.config.vendor_version],
        }
        return Entry("", "", EntryKind.DSE, attrs)

    def _subschema(self) -> Entry:
        attrs: dict[str, list[str]] = {
            "objectclass": ["top", "subentry", "subschema", "extensibleObject"],
            "cn": ["Subschema"],
        }
        for name, values in subschema_values().items():
            attrs[name.lower()] = values
        return Entry(SUBSCHEMA_DN, dns.normalize(SUBSCHEMA_DN), EntryKind.DSE, attrs)

    # ---- binds (blocking checks run in a thread) -------------------------------------------

    async def authenticate(self, name: str, password: str, peer: str) -> Actor | BindRefused:
        """People: the sign-in's check and throttle (in the database, shared with the web
        and every worker). Everything else (service accounts, DNs outside the tree): this
        listener's own throttle per address, since a service token has no account to count
        failures on."""
        person = self._person_name(name)
        if person is not None:
            return await asyncio.to_thread(
                ldap_accounts.authenticate_person, self.svc, person, password, address=peer
            )
        await self._slow_down(peer)
        actor = await asyncio.to_thread(self._check_service, name, password)
        if actor is None:
            f = self._failures.setdefault(peer, _Failures())
            if time.monotonic() - f.since > 300:
                f.count, f.since = 0, time.monotonic()
            f.count += 1
            return BindRefused("invalid")
        self._failures.pop(peer, None)
        return actor

    async def _slow_down(self, peer: str) -> None:
        """After 5 failed service binds from one address in 5 minutes, each next one waits
        2, 4, 8 … (at most 30) seconds, per LDAP listener."""
        f = self._failures.get(peer)
        if f is not None and f.count >= 5 and time.monotonic() - f.since <= 300:
            await asyncio.sleep(min(2 ** (f.count - 4), 30))

    def _person_name(self, name: str) -> str | None:
        """The username a bind DN below ou=people names, or None for any other DN."""
        try:
            key = dns.normalize(name)
        except dns.InvalidDNError:
            return None
        if dns.parent(key) != dns.normalize(f"ou=people,{self.base}"):
            return None
        uid = dns.first_value(key, "uid")
        if uid is None:
            return None
        entry = self.directory.get(key)
        return entry.person.username if entry and entry.person else uid

    def _check_service(self, name: str, password: str) -> Actor | None:
        try:
            key = dns.normalize(name)
        except dns.InvalidDNError:
            return None
        if dns.parent(key) == dns.normalize(f"ou=services,{self.base}"):
            cn = dns.first_value(key, "cn")
            return ldap_accounts.authenticate_client(self.svc, cn, password) if cn else None
        return None

    def bound_dn(self, actor: Actor) -> str:
        if actor.kind is ActorKind.PERSON:
            return person_dn(actor.name, self.base)
        return f"cn={dns.escape(actor.name)},ou=services,{self.base}"


class _Selection:
    """The attributes a search asks for (RFC 4511 §4.5.1.8, RFC 3673 for '+')."""

    def __init__(self, requested: Sequence[str]) -> None:
        names = [a.strip() for a in requested if a.strip()]
        self.none = names == ["1.1"]
        self.all_user = not names or "*" in names
        self.all_operational = "+" in names
        self.named: set[str] = set()
        for n in names:
            if n in ("*", "+", "1.1"):
                continue
            if n.lower() == "objectclass" or n.startswith("@"):
                self.named.add("objectclass")
                continue
            at = lookup(n)
            if at is not None:
                self.named.add(at.key)

    def wants(self, at: AttributeType) -> bool:
        if self.none:
            return False
        if at.key in self.named:
            return True
        if at.secret:
            return False  # only by name: a dump with '*' carries no password equivalents
        return self.all_operational if at.operational else self.all_user


class Session:
    def __init__(
        self, server: LdapServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.actor: Actor | None = None
        self.tls = writer.get_extra_info("sslcontext") is not None
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.pages: dict[bytes, _Paging] = {}
        peer = writer.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) else "local"

    def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()

    async def run(self) -> None:
        while True:
            head = await self.reader.readexactly(2)
            try:
                framing = codec.frame_length(head)
                while framing is None:  # a long-form length: read its bytes one by one
                    head += await self.reader.readexactly(1)
                    framing = codec.frame_length(head)
                _, size = framing  # now `head` is exactly the tag and length
                data = head + await self.reader.readexactly(size)
                msg = codec.decode(data)
            except codec.DecodeError as exc:
                self._send(
                    0,
                    ber.extended_response(
                        ResultCode.PROTOCOL_ERROR,
                        name=NOTICE_OF_DISCONNECTION_OID,
                        diagnostic=f"cannot decode the request: {exc}",
                    ),
                )
                await self.writer.drain()
                return
            if not await self._dispatch(msg):
                return

    def _send(self, message_id: int, op: bytes, controls: bytes = b"") -> None:
        self.writer.write(ber.message(message_id, op, controls))

    def _done(
        self, message_id: int, code: int, diagnostic: str = "", matched: str = "",
        controls: bytes = b"",
    ) -> None:  # fmt: skip
        self._send(
            message_id, ber.result(ber.SEARCH_RESULT_DONE, code, diagnostic, matched), controls
        )

    async def _quiesce(self) -> None:
        if self.tasks:
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    async def _dispatch(self, msg: codec.Message) -> bool:
        """Handle one request; False ends the connection."""
        req = msg.request
        mid = msg.message_id
        critical = [c for c in msg.controls if c.critical and c.oid != ber.PAGED_RESULTS_OID]
        if isinstance(req, codec.UnbindRequest):
            return False
        if isinstance(req, codec.AbandonRequest):
            task = self.tasks.get(req.message_id)
            if task is not None:
                task.cancel()
            return True  # §4.11: no response
        if critical and not isinstance(req, codec.SearchRequest):
            self._send(
                mid,
                ber.result(
                    _response_tag(req), ResultCode.UNAVAILABLE_CRITICAL_EXTENSION,
                    f"control {critical[0].oid} is not supported",
                ),
            )  # fmt: skip
            return True
        if isinstance(req, codec.BindRequest):
            await self._quiesce()
            await self._bind(mid, req)
        elif isinstance(req, codec.ExtendedRequest):
            await self._quiesce()
            await self._extended(mid, req)
        elif isinstance(req, codec.SearchRequest):
            self._start(mid, self._search(mid, req, msg))
        elif isinstance(req, codec.CompareRequest):
            self._compare(mid, req)
        elif isinstance(req, codec.WriteRequest):
            self._send(
                mid,
                ber.result(
                    req.response_tag, ResultCode.UNWILLING_TO_PERFORM,
                    "this directory is read-only: change it through Schulhof",
                ),
            )  # fmt: skip
        else:
            return True  # unknown protocol ops are ignored
        await self.writer.drain()
        return True

    def _start(self, mid: int, work: Coroutine[Any, Any, None]) -> None:
        async def runner() -> None:
            try:
                await work
                await self.writer.drain()
            except asyncio.CancelledError:
                pass
            finally:
                self.tasks.pop(mid, None)

        self.tasks[mid] = asyncio.create_task(runner())

    # ---- bind ----------------------------------------------------------------------------

    async def _bind(self, mid: int, req: codec.BindRequest) -> None:
        def answer(code: int, diagnostic: str = "") -> None:
            self._send(mid, ber.result(ber.BIND_RESPONSE, code, diagnostic))

        self.actor = None  # §4.2.1: a bind (even a failed one) resets the identity
        self.pages.clear()  # paged results chosen for the previous identity are gone too
        if req.version != 3:
            answer(ResultCode.PROTOCOL_ERROR, "only LDAPv3 is supported")
            return
        if req.password is None:
            answer(ResultCode.AUTH_METHOD_NOT_SUPPORTED, "only simple binds are supported")
            return
        if not req.name and not req.password:
            answer(ResultCode.SUCCESS)  # anonymous (RFC 4513 §5.1.1); searches decide later
            return
        if not req.password:
            # RFC 4513 §5.1.2: an "unauthenticated" bind must not look like a success.
            answer(ResultCode.UNWILLING_TO_PERFORM, "unauthenticated bind (DN without password)")
            return
        actor = await self.server.authenticate(
            req.name, req.password.decode("utf-8", errors="replace"), self.peer
        )
        if isinstance(actor, BindRefused):
            # invalidCredentials for every refusal, as slapd's ppolicy does for a locked
            # account: clients that read only the code refuse the user, which is right.
            answer(ResultCode.INVALID_CREDENTIALS, _REFUSALS[actor.reason].format(actor))
            return
        self.actor = actor
        answer(ResultCode.SUCCESS)

    # ---- extended operations ---------------------------------------------------------------

    async def _extended(self, mid: int, req: codec.ExtendedRequest) -> None:
        if req.oid == WHO_AM_I_OID:
            identity = f"dn:{self.server.bound_dn(self.actor)}" if self.actor else ""
            self._send(mid, ber.extended_response(ResultCode.SUCCESS, value=identity.encode()))
            return
        if req.oid == START_TLS_OID:
            ctx = self.server.config.tls
            if ctx is None:
                self._send(
                    mid,
                    ber.extended_response(
                        ResultCode.UNAVAILABLE, name=START_TLS_OID,
                        diagnostic="no certificate configured",
                    ),
                )  # fmt: skip
                return
            if self.tls:
                self._send(
                    mid,
                    ber.extended_response(
                        ResultCode.OPERATIONS_ERROR, name=START_TLS_OID,
                        diagnostic="TLS is already in use",
                    ),
                )  # fmt: skip
                return
            self._send(mid, ber.extended_response(ResultCode.SUCCESS, name=START_TLS_OID))
            await self.writer.drain()
            await self.writer.start_tls(ctx)
            self.tls = True
            return
        self._send(
            mid,
            ber.extended_response(
                ResultCode.PROTOCOL_ERROR, diagnostic=f"unknown extended operation {req.oid}"
            ),
        )

    # ---- search ----------------------------------------------------------------------------

    def _reader(self) -> Reader | None:
        if self.actor is not None:
            return Reader.of(self.actor)
        if self.server.config.anonymous:
            return Reader(Actor(ActorKind.SERVICE, "anonymous"), None, SERVICE_DEFAULT_ATTRIBUTES)
        return None

    async def _search(self, mid: int, req: codec.SearchRequest, msg: codec.Message) -> None:
        d = self.server.directory
        try:
            base_key = dns.normalize(req.base)
        except dns.InvalidDNError:
            self._done(mid, ResultCode.INVALID_DN_SYNTAX, f"invalid base {req.base!r}")
            return
        critical = [c for c in msg.controls if c.critical and c.oid != ber.PAGED_RESULTS_OID]
        if critical:
            self._done(
                mid, ResultCode.UNAVAILABLE_CRITICAL_EXTENSION,
                f"control {critical[0].oid} is not supported",
            )  # fmt: skip
            return
        selection = _Selection(req.attributes)
        unrestricted = Reader(Actor(ActorKind.SYSTEM, "dse"), None, None)
        if req.scope == 0 and base_key in ("", self.server.subschema.key):
            # rootDSE (RFC 4512 §5.1) and subschema (§4.2): readable by anyone.
            entry = self.server.root_dse if base_key == "" else self.server.subschema
            if self._matches(req.filter, unrestricted, entry):
                self._send(mid, self._encode(entry, unrestricted, selection, req.types_only))
            self._done(mid, ResultCode.SUCCESS)
            return
        reader = self._reader()
        if reader is None:
            self._done(
                mid, ResultCode.INSUFFICIENT_ACCESS_RIGHTS, "bind first: anonymous search is off"
            )
            return
        paged = msg.control(ber.PAGED_RESULTS_OID)
        page_size, cookie = codec.paged_request(paged) if paged else (0, b"")
        signature = (base_key, req.scope, repr(req.filter), req.attributes)
        if cookie:
            state = self.pages.pop(cookie, None)
            if state is None or state.key != signature:
                self._done(mid, ResultCode.UNWILLING_TO_PERFORM, "unknown or stale paging cookie")
                return
            if page_size == 0:  # RFC 2696 §3: size 0 abandons the paged search
                self._done(
                    mid, ResultCode.SUCCESS, controls=ber.controls([ber.paged_results(0, b"")])
                )
                return
            matches = state.rest
        else:
            base = d.get(base_key)
            if base is None or not reader.sees(base):
                self._done(mid, ResultCode.NO_SUCH_OBJECT, "", self._matched(base_key, reader))
                return
            matches = []
            deadline = time.monotonic() + req.time_limit if req.time_limit else None
            for n, entry in enumerate(self._candidates(base, req)):
                if n % 2048 == 2047:
                    await asyncio.sleep(0)  # let other clients in during a large scan
                    if deadline is not None and time.monotonic() > deadline:
                        self._done(mid, ResultCode.TIME_LIMIT_EXCEEDED)
                        return
                if reader.sees(entry) and self._matches(req.filter, reader, entry):
                    matches.append(entry)
        limit = req.size_limit
        over = bool(limit) and len(matches) > limit and not cookie
        if over:
            matches = matches[:limit]
        send, rest = (matches[:page_size], matches[page_size:]) if page_size else (matches, [])
        secrets_ = await self._secrets(send, reader, selection)
        batch: list[bytes] = []  # one socket write per batch, not per entry
        for entry in send:
            batch.append(
                ber.message(mid, self._encode(entry, reader, selection, req.types_only, secrets_))
            )
            if len(batch) == FLUSH_EVERY:
                self.writer.write(b"".join(batch))
                batch.clear()
                await self.writer.drain()
        controls = b""
        if paged is not None:
            next_cookie = b""
            if rest:
                next_cookie = secrets.token_bytes(8)
                if len(self.pages) >= PAGE_STATES:
                    self.pages.pop(next(iter(self.pages)))
                self.pages[next_cookie] = _Paging(signature, rest)
            controls = ber.controls([ber.paged_results(len(rest), next_cookie)])
        code = ResultCode.SIZE_LIMIT_EXCEEDED if over else ResultCode.SUCCESS
        batch.append(ber.message(mid, ber.result(ber.SEARCH_RESULT_DONE, code), controls))
        self.writer.write(b"".join(batch))

    def _candidates(self, base: Entry, req: codec.SearchRequest) -> Iterable[Entry]:
        d = self.server.directory
        if req.scope == 0:
            return [base]
        narrowed = self._by_name(req.filter)
        if narrowed is not None:
            inside = [
                e
                for e in narrowed
                if (e.key.endswith("," + base.key) or not base.key)
                and (req.scope == 2 or dns.parent(e.key) == base.key)
            ]
            return inside
        if req.scope == 1:
            return d.one_level(base.key)
        return list(d.subtree(base.key))

    def _by_name(self, f: flt.Filter) -> list[Entry] | None:
        """The entries an equality on uid can only be among (a person's DN names the uid);
        None when the filter pins none — then every entry in scope is tried."""
        d = self.server.directory
        if isinstance(f, flt.And):
            for item in f.items:
                found = self._by_name(item)
                if found is not None:
                    return found
            return None
        if (
            isinstance(f, flt.Compare)
            and f.op == "="
            and f.attr is not None
            and f.attr.key == "uid"
        ):
            e = d.get(dns.normalize(person_dn(f.value, d.base)))
            return [e] if e else []
        return None

    def _matches(self, f: flt.Filter, reader: Reader, entry: Entry) -> bool:
        d = self.server.directory
        return flt.evaluate(f, lambda at: reader.values(d, entry, at), entry.dn) is True

    def _matched(self, key: str, reader: Reader) -> str:
        d = self.server.directory
        while key:
            key = dns.parent(key)
            e = d.get(key)
            if e is not None and reader.sees(e):
                return e.dn
        return ""

    async def _secrets(
        self, send: Sequence[Entry], reader: Reader, sel: _Selection
    ) -> dict[str, str]:
        """NT hashes of the active people among `send`, when the search names
        sambaNTPassword and the reader is granted it (read now, not kept in the index)."""
        at = BY_NAME["sambantpassword"]
        if at.key not in sel.named or sel.none:
            return {}
        ids = [
            e.person.id
            for e in send
            if e.person is not None and is_active(e.person) and reader.may_see(e, at)
        ]
        if not ids:
            return {}
        return await asyncio.to_thread(nt_hashes.for_people, self.server.svc, ids)

    def _encode(
        self, entry: Entry, reader: Reader, sel: _Selection, types_only: bool,
        secrets_: dict[str, str] | None = None,
    ) -> bytes:  # fmt: skip
        if sel.none:
            return ber.search_entry(entry.dn, ())
        d = self.server.directory
        parts = []
        secret = secrets_.get(entry.person.id) if secrets_ and entry.person else None
        if secret is not None:
            parts.append(ber.attribute("sambaNTPassword", () if types_only else (secret,)))
        for key, raw in entry.attrs.items():
            at = BY_NAME.get(key)
            if at is None or not sel.wants(at):
                continue
            values = reader.values(d, entry, at)
            if not values:
                continue
            if types_only:
                parts.append(ber.attribute(at.name, ()))
            elif values is raw:
                cached = entry.wire.get(key)
                if cached is None:
                    cached = entry.wire[key] = ber.attribute(at.name, raw)
                parts.append(cached)
            else:
                parts.append(ber.attribute(at.name, values))
        return ber.search_entry(entry.dn, parts)

    # ---- compare ---------------------------------------------------------------------------

    def _compare(self, mid: int, req: codec.CompareRequest) -> None:
        def answer(code: int, diagnostic: str = "") -> None:
            self._send(mid, ber.result(ber.COMPARE_RESPONSE, code, diagnostic))

        reader = self._reader()
        if reader is None:
            answer(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, "bind first")
            return
        try:
            entry = self.server.directory.get(dns.normalize(req.dn))
        except dns.InvalidDNError:
            answer(ResultCode.INVALID_DN_SYNTAX)
            return
        if entry is None or not reader.sees(entry):
            answer(ResultCode.NO_SUCH_OBJECT)
            return
        at = lookup(req.attribute)
        if at is None:
            answer(ResultCode.UNDEFINED_ATTRIBUTE_TYPE)
            return
        test = flt.Compare("=", at, req.value)
        ok = self._matches(test, reader, entry)
        answer(ResultCode.COMPARE_TRUE if ok else ResultCode.COMPARE_FALSE)


def _response_tag(req: codec.Request) -> int:
    if isinstance(req, codec.BindRequest):
        return ber.BIND_RESPONSE
    if isinstance(req, codec.CompareRequest):
        return ber.COMPARE_RESPONSE
    if isinstance(req, codec.WriteRequest):
        return req.response_tag
    return ber.EXTENDED_RESPONSE
