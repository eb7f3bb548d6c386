"""A read-only LDAPv3 face of the directory (docs/design/ldap.md).

Rule: LDAP's vocabulary (DNs, attribute types, result codes, BER) stays in this package.
No store access: the entries are built from what the services hand out, access is decided
by `schulhof.access.rules`, and the only I/O is the listener in `server.py`.
"""
