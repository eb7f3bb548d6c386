"""The HTTP face: FastAPI routes over the services layer.

Rule: routes translate HTTP to service calls and back, nothing more. Access decisions are
made by the services (through `access/`); errors become problem+json in one place
(`problems.py`); the actor comes from the bearer token (`auth.py`).
"""
