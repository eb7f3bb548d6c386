"""A throwaway FreeRADIUS 3 whose rlm_ldap asks Schulhof: PAP, the password checked by an
LDAP bind as the user (the way a school's WLAN controller authenticates against LDAP), and
MS-CHAP, checked by rlm_mschap against the sambaNTPassword rlm_ldap read (PEAP/MSCHAPv2
in a WLAN works the same way)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.protocols.ldap.slapd import free_port
from tests.protocols.ldap.support import BASE, require

SECRET = "testing123"

_CONFIG = """
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = {folder}
raddbdir = {folder}
radacctdir = {folder}
name = freeradius
confdir = {folder}
modconfdir = {folder}
run_dir = {folder}
db_dir = {folder}
libdir = /usr/lib/freeradius
pidfile = {folder}/radiusd.pid
max_request_time = 10
cleanup_delay = 0
max_requests = 64
hostname_lookups = no
log {{
    destination = stdout
    auth = yes
}}
security {{
    allow_core_dumps = no
    max_attributes = 200
    reject_delay = 0
    status_server = no
}}
thread pool {{
    start_servers = 1
    max_servers = 2
    min_spare_servers = 1
    max_spare_servers = 2
    max_requests_per_server = 0
}}
client localhost {{
    ipaddr = 127.0.0.1
    secret = {secret}
}}
modules {{
    ldap {{
        server = "ldap://localhost:{ldap_port}"
        identity = "{identity}"
        password = "{password}"
        base_dn = "{base}"
        update {{
            control:NT-Password := 'sambaNTPassword'
        }}
        user {{
            base_dn = "ou=people,{base}"
            filter = "(uid=%{{%{{Stripped-User-Name}}:-%{{User-Name}}}})"
            scope = "one"
        }}
        options {{
            chase_referrals = no
            res_timeout = 5
            srv_timelimit = 5
            net_timeout = 2
        }}
        tls {{
            start_tls = yes
            ca_file = "{ca}"
            require_cert = "demand"
        }}
        pool {{
            start = 1
            min = 1
            max = 2
            spare = 1
            uses = 0
            lifetime = 0
            idle_timeout = 60
        }}
    }}
    mschap {{
        use_mppe = no
    }}
    pap {{
        normalise = yes
    }}
}}
server default {{
    listen {{
        type = auth
        ipaddr = 127.0.0.1
        port = {radius_port}
    }}
    authorize {{
        ldap
        if ((ok || updated) && User-Password) {{
            update control {{
                Auth-Type := ldap
            }}
        }}
        # rlm_pap turns the hex sambaNTPassword into the 16 bytes rlm_mschap compares.
        pap
        mschap
    }}
    authenticate {{
        Auth-Type LDAP {{
            ldap
        }}
        Auth-Type MS-CHAP {{
            mschap
        }}
    }}
}}
"""


@contextmanager
def running_freeradius(
    folder: Path, *, ldap_port: int, identity: str, password: str, ca: Path
) -> Iterator[int]:
    """FreeRADIUS in the foreground (`-X`) on a free port; yields that port."""
    binary = require("freeradius", "freeradius")
    require("radtest", "freeradius-utils")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dictionary").write_text("$INCLUDE /usr/share/freeradius/dictionary\n")
    port = free_port()
    (folder / "radiusd.conf").write_text(
        _CONFIG.format(
            folder=folder, secret=SECRET, ldap_port=ldap_port, identity=identity,
            password=password, base=BASE, ca=ca, radius_port=port,
        )
    )  # fmt: skip
    log = (folder / "radiusd.log").open("w")
    proc = subprocess.Popen([binary, "-X", "-d", str(folder)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while "Ready to process requests" not in (folder / "radiusd.log").read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "freeradius did not start:\n" + (folder / "radiusd.log").read_text()[-3000:]
                )
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def radtest(user: str, password: str, port: int, *, method: str = "pap") -> str:
    """One Access-Request (`method`: pap or mschap); returns radtest's output, in which
    only "Received Access-Accept" is an acceptance (a reject prints "Expected
    Access-Accept got Access-Reject")."""
    done = subprocess.run(
        [
            require("radtest", "freeradius-utils"),
            "-t",
            method,
            user,
            password,
            f"127.0.0.1:{port}",
            "0",
            SECRET,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout + done.stderr
