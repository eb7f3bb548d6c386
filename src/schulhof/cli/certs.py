"""A self-signed TLS certificate for trying LDAPS/StartTLS (development and tests only).

It names the machine's host name (short and fully qualified), `localhost` and 127.0.0.1:
OpenLDAP's client checks the name it connected to against the certificate. Made with the
`openssl` command.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import subprocess
from pathlib import Path

from schulhof.domain.errors import ConfigurationError


def self_signed(folder: Path, *, days: int = 30) -> tuple[Path, Path]:
    """(certificate, key) written into `folder` as PEM; the key is readable by the owner only."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ConfigurationError("openssl is missing (Debian package openssl)")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "ldap-cert.pem", folder / "ldap-key.pem"
    host = socket.gethostname()
    names = ",".join(
        dict.fromkeys(
            [f"DNS:{n}" for n in host_names() if not _is_ip(n)] + ["DNS:localhost", "IP:127.0.0.1"]
        )
    )
    subprocess.run(  # noqa: S603 - fixed arguments, openssl from PATH
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
            "-days", str(days), "-subj", f"/CN={host}", "-addext", f"subjectAltName={names}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    key.chmod(0o600)
    return cert, key


def host_names() -> list[str]:
    """The machine's names as clients would type them: short, then fully qualified."""
    names = [socket.gethostname(), socket.getfqdn()]
    return [n for n in dict.fromkeys(names) if n]


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
