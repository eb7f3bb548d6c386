"""The use cases: the only way to change data.

Rule: each public call owns one transaction, runs the domain rules and writes through the
store, which records the change log. Callers get domain objects or plain values back.
"""
