"""`python -m schulhof` is the same as the `schulhof` command."""

from schulhof.cli.main import run

run()
