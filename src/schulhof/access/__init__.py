"""Who may do what, as pure functions over actors and targets.

Rule: no I/O. Every face (CLI, REST, LDAP, OIDC claims) asks these functions; deny wins.
"""
