"""Tables, queries and the unit of work over SQLite or PostgreSQL.

Rule: the only package that speaks SQL. It appends the change log in the same transaction as
the rows it describes. It knows nothing of HTTP, CSV, LDAP or the command line.
"""
