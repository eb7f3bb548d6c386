"""Schulhof: identity management for school authorities.

Packages, from the inside out (imports only point inward; CI checks it):
domain → access → store → services → {importers, protocols} → {cli, web}.
"""

__version__ = "0.1.0"
