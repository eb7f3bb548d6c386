"""Translators between wire protocols and the services layer.

Rule: protocol vocabulary stays here; nothing in this package touches the store.
"""
