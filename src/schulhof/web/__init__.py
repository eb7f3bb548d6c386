"""The ASGI application: a thin surface over services and protocols."""
