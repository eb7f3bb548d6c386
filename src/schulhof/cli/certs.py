"""A self-signed TLS certificate for trying LDAPS/StartTLS (development and tests only).

It names the machine's host name, `localhost` and 127.0.0.1: OpenLDAP's client checks
the name it connected to against the certificate. Made with the `openssl` command.
"""

from __future__ import annotations

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
    names = ",".join(dict.fromkeys([f"DNS:{host}", "DNS:localhost", "IP:127.0.0.1"]))
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
