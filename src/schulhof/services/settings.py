"""Settings an authority may change (file `schulhof.toml` or defaults)."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from schulhof.domain.errors import ConfigurationError
from schulhof.domain.lifecycle import GracePeriods
from schulhof.domain.model import Role

DEFAULT_TEMPLATE = "{given}.{family}"


@dataclass(frozen=True, slots=True)
class Argon2Params:
    """argon2id cost. Defaults: t=3, 12 MiB, p=1 — one of OWASP's equal-strength settings
    (with t=2/19 MiB), ~15 ms per check here against ~19 ms, and less memory per sign-in in
    flight; chosen with the login benchmark (docs/design/signin.md)."""

    time_cost: int = 3
    memory_kib: int = 12288
    parallelism: int = 1


_DEFAULT_ARGON2 = Argon2Params()


@dataclass(frozen=True, slots=True)
class Settings:
    username_templates: dict[Role, str] = field(default_factory=dict)
    grace: GracePeriods = field(default_factory=GracePeriods)
    # Import guard: a full export may not disable more than this share of people at once.
    guard_school_share: float = 0.10
    guard_authority_share: float = 0.02
    keep_source_usernames: bool = False
    argon2: Argon2Params = field(default_factory=Argon2Params)
    # SAML eduPersonPrincipalName / eduPersonScopedAffiliation scope (`[saml] scope`);
    # None: the host of the public URL.
    saml_scope: str | None = None
    # `[ldap] nt_hash`: also store each new password's NT hash (unsalted MD4) and serve it
    # as sambaNTPassword to LDAP accounts granted it (FreeRADIUS MSCHAPv2). Off: none are
    # kept (docs/ldap.md).
    ldap_nt_hash: bool = False
    # `[ldap] relay_addresses`: RADIUS servers and other relays that bind for many people;
    # their people binds are throttled per account only (services/signin.py `relayed`).
    ldap_relays: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def is_ldap_relay(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack listener sees ::ffff:10.0.0.5
        return any(ip in net for net in self.ldap_relays)

    def template_for(self, role: Role | None) -> str:
        if role is None:
            return DEFAULT_TEMPLATE
        return self.username_templates.get(role, DEFAULT_TEMPLATE)


def load_settings(path: Path | None) -> Settings:
    """Read a TOML settings file; a missing default file means defaults."""
    if path is None or not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc
    templates: dict[Role, str] = {}
    for role, template in data.get("usernames", {}).get("templates", {}).items():
        try:
            templates[Role(role)] = str(template)
        except ValueError as exc:
            raise ConfigurationError(
                f"{path}: [usernames.templates] unknown role {role!r}"
            ) from exc
    life = data.get("lifecycle", {})
    guard = data.get("import", {})
    pw = data.get("passwords", {})
    ldap = data.get("ldap", {})
    try:
        argon2 = Argon2Params(
            time_cost=int(pw.get("time_cost", _DEFAULT_ARGON2.time_cost)),
            memory_kib=int(pw.get("memory_kib", _DEFAULT_ARGON2.memory_kib)),
            parallelism=int(pw.get("parallelism", 1)),
        )
        if argon2.time_cost < 1 or argon2.memory_kib < 8 * argon2.parallelism:
            raise ValueError("[passwords] time_cost >= 1 and memory_kib >= 8 x parallelism")
        return Settings(
            username_templates=templates,
            grace=GracePeriods(
                student=int(life.get("student_grace_days", 90)),
                staff=int(life.get("staff_grace_days", 180)),
            ),
            guard_school_share=float(guard.get("guard_school_percent", 10)) / 100,
            guard_authority_share=float(guard.get("guard_authority_percent", 2)) / 100,
            keep_source_usernames=bool(guard.get("keep_source_usernames", False)),
            argon2=argon2,
            saml_scope=str(data["saml"]["scope"]) if "scope" in data.get("saml", {}) else None,
            ldap_nt_hash=_flag(ldap, "nt_hash", "[ldap] nt_hash"),
            ldap_relays=_networks(ldap, "relay_addresses", "[ldap] relay_addresses"),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc


def _flag(section: dict[str, object], key: str, name: str) -> bool:
    value = section.get(key, False)
    if not isinstance(value, bool):  # "false" as a string would be true: refuse it
        raise ValueError(f"{name} is true or false, not {value!r}")
    return value


def _networks(
    section: dict[str, object], key: str, name: str
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    value = section.get(key, [])
    if not isinstance(value, list):  # a string would be read character by character
        raise ValueError(f"{name} is a list of addresses or networks, not {value!r}")
    return tuple(ipaddress.ip_network(str(a), strict=False) for a in value)
